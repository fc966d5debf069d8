"""Give Profile owners who lack it the job client's kns-role."""
from kfdoctor import remediation
from kfdoctor.fixing import KeycloakRoleGrant, Plan

KNS_ROLE = "kns-role"


@remediation("keycloak_users_have_role", risk="medium")
def grant_kns_role(finding, job_client):
    """Assign the client role kns-role of kns-job-<N> to a Profile owner's user that lacks it.

    ``POST users/<id>/role-mappings/clients/<client uuid>`` with the kns-role representation;
    undo removes that role mapping again. A Profile owner without any Keycloak user is manual:
    kfdoctor never creates users or passwords.
    """
    if finding.resource.kind != "KeycloakUser" or not finding.evidence.get("user_id"):
        owner = finding.evidence.get("owner") or "the owner"
        return Plan.manual_only(f"{owner} has no Keycloak user: kfdoctor never creates users or "
                                "passwords", f"create the user {owner} in the realm (Users -> Add "
                                f"user), then run kfdoctor fix keycloak_users_have_role")
    client_id = job_client["clientId"]
    username = finding.evidence.get("user") or finding.resource.name
    return Plan(f"grant {client_id}/{KNS_ROLE} to user {username}",
                [KeycloakRoleGrant(finding.evidence["user_id"], username, job_client["id"],
                                   client_id, KNS_ROLE)])
