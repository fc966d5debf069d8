"""Every Kubeflow Profile owner has a Keycloak user in the realm, and that user holds kns-role."""
from kfdoctor import Resource, Severity, check, fail, ok, skip


@check(severity=Severity.HIGH, phase="post-launch", tags={"keycloak", "auth", "users"})
def keycloak_users_have_role(profiles, realm_users, kns_role_members, job_client, settings):
    """Every Kubeflow Profile owner has a Keycloak user in the realm, and that user holds kns-role.

    ## Why it matters
    A Profile's owner (``spec.owner.name``, an e-mail) is who Kubeflow lets into the profile
    namespace; the identity comes from Keycloak (the ID token's ``email``). An owner without a
    Keycloak user in the ML team admin's realm cannot log in at all; one without the job
    client's ``kns-role`` is turned away by oauth2-proxy (403 on ``/oauth2/callback``,
    "Invalid authentication via OAuth2: unauthorized") although the Profile exists. The role
    counts when granted to the user or to a group the user is in (a subgroup inherits it); a
    grant only through a composite role is not followed.

    ## Manual fix
    Missing user: Users -> Add user (username, the owner's e-mail, first and last name),
    Credentials -> Set password, Email verified = On. Missing role: Users -> <user> -> Role
    mapping -> Assign role -> Filter by clients -> kns-job-<N> / kns-role (admin guide 5.2).
    Or change the Profile's ``spec.owner.name`` to the e-mail of an existing user.
    """
    realm = settings.effective_realm
    client_id = job_client["clientId"]
    by_email = {(u.get("email") or "").lower(): u for u in realm_users if u.get("email")}
    by_name = {(u.get("username") or "").lower(): u for u in realm_users}
    members = {u.get("id"): u.get("kns_role_via") for u in kns_role_members}
    owned = [(p, ((p.get("spec") or {}).get("owner") or {}).get("name")) for p in profiles]
    if not owned:
        skip("no Kubeflow Profile in the cluster")
    for profile, owner in sorted(owned, key=lambda po: po[0]["metadata"]["name"]):
        if not owner:
            yield fail(Resource.of(profile, "Profile"), f"Profile {profile['metadata']['name']} "
                       "has no spec.owner.name; expected the owner's e-mail", {})
            continue
        user = by_email.get(owner.lower()) or by_name.get(owner.lower())
        evidence = {"profile": profile["metadata"]["name"], "owner": owner, "realm": realm,
                    "users_in_realm": len(realm_users), "kns_role_members": len(members)}
        if user is None:
            yield fail(Resource.of(profile, "Profile"), f"Profile {profile['metadata']['name']} is "
                       f"owned by {owner}, who has no Keycloak user in realm {realm!r}; expected a "
                       f"user with that e-mail holding kns-role of {client_id}", evidence)
            continue
        evidence.update(user=user.get("username"), user_id=user.get("id"))
        resource = Resource("KeycloakUser", user.get("username"), realm)
        if user.get("id") not in members:
            yield fail(resource, f"user {user.get('username')} (owner of Profile "
                       f"{profile['metadata']['name']}) exists in realm {realm!r} but lacks "
                       f"kns-role of {client_id}; expected the role", evidence)
        else:
            evidence["kns_role_via"] = members[user.get("id")]
            yield ok(resource, f"user {user.get('username')} (owner of Profile "
                     f"{profile['metadata']['name']}) holds kns-role of {client_id}", evidence)
