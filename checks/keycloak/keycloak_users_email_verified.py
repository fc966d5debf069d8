"""Every user holding kns-role is enabled and has a verified e-mail address."""
from kfdoctor import Resource, Severity, check, fail, ok, warn


@check(severity=Severity.HIGH, phase="post-launch", tags={"keycloak", "auth", "users"})
def keycloak_users_email_verified(kns_role_members, job_client, settings):
    """Every user holding kns-role is enabled and has a verified e-mail address.

    ## Why it matters
    The admin guide (5.2) lets a user into Kubeflow once they hold ``kns-role`` **and** their
    e-mail is verified. oauth2-proxy refuses an ID token whose ``email_verified`` is false:
    "Error redeeming code during OAuth2 callback: email in id_token (<email>) isn't verified",
    and the browser gets 500 on ``/oauth2/callback`` (v7.7.1, Kubeflow 1.10; newer releases
    insert "email not verified: " and answer 403). A disabled user
    sees Keycloak's "Account is disabled, contact your administrator." instead.

    ## Manual fix
    Users -> <user> -> Details: Email verified = On (and remove the "Verify Email" required
    action), Enabled = On. Without SMTP in the realm, "Send verify email" fails ("Failed to send
    verify email"); setting the flag is the fix. REST: ``PUT /admin/realms/<realm>/users/<id>``
    with ``{"emailVerified": true, "enabled": true}``.
    """
    realm = settings.effective_realm
    client_id = job_client["clientId"]
    if not kns_role_members:
        yield warn(Resource("KeycloakClientRole", f"{client_id}/kns-role", realm),
                   f"no user holds kns-role of {client_id}; expected at least one, else nobody "
                   "can use Kubeflow", {"members": 0})
        return
    for user in sorted(kns_role_members, key=lambda u: u.get("username") or ""):
        name = user.get("username") or user.get("id")
        resource = Resource("KeycloakUser", name, realm)
        evidence = {"email": user.get("email"), "enabled": user.get("enabled"),
                    "emailVerified": user.get("emailVerified"),
                    "requiredActions": user.get("requiredActions") or [],
                    "kns_role_via": user.get("kns_role_via")}
        problems = []
        if user.get("enabled") is False:
            problems.append("is disabled (enabled: false)")
        if not user.get("email"):
            problems.append("has no e-mail address")
        elif not user.get("emailVerified"):
            problems.append(f"has an unverified e-mail {user.get('email')} (emailVerified: false)")
        if problems:
            yield fail(resource, f"kns-role user {name} " + " and ".join(problems)
                       + "; expected enabled with a verified e-mail", evidence)
        else:
            yield ok(resource, f"kns-role user {name} is enabled and {user.get('email')} is "
                     "verified", evidence)
