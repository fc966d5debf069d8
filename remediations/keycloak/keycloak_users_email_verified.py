"""Verify kns-role users' e-mail: send the verification mail, or trust the address."""
from kfdoctor import remediation
from kfdoctor.fixing import KeycloakAction, KeycloakUpdate, Plan

VERIFY = "VERIFY_EMAIL"


@remediation("keycloak_users_email_verified", risk="medium")
def verify_email(finding, kns_role_members, keycloak, fix_options):
    """Per --email-policy: ``send`` mails a VERIFY_EMAIL link, ``trust`` marks the address verified.

    ``--email-policy send``: ``PUT users/<id>/execute-actions-email`` with ``["VERIFY_EMAIL"]``,
    then adds VERIFY_EMAIL to the user's required actions (a second run sees it and does not mail
    again). When the realm has no SMTP server Keycloak answers 500 "Failed to send execute
    actions email: No sender address configured..." and kfdoctor says the mail cannot go (nothing
    changed). ``--email-policy trust``: ``PUT users/<id>`` with ``emailVerified: true`` and
    VERIFY_EMAIL dropped from the required actions (undo restores both). Disabled users and users
    without an e-mail are manual: kfdoctor never enables users or invents addresses.
    """
    username = finding.resource.name
    member = next((u for u in kns_role_members if (u.get("username") or u.get("id")) == username),
                  None)
    if member is None:
        return Plan.manual_only(f"user {username} not found", "see kfdoctor explain "
                                "keycloak_users_email_verified")
    if member.get("enabled") is False:
        return Plan.manual_only(f"user {username} is disabled: enabling it is an admin decision",
                                f"Users -> {username} -> Enabled = On (if intended)")
    if not member.get("email"):
        return Plan.manual_only(f"user {username} has no e-mail address",
                                f"Users -> {username} -> Email: set the user's address")
    if not fix_options.email_policy:
        return Plan.manual_only("choose --email-policy send (mail a verification link) or trust "
                                "(mark the address verified)",
                                f"kfdoctor fix keycloak_users_email_verified --email-policy trust")
    user = keycloak.get(f"users/{member['id']}")
    actions = list(user.get("requiredActions") or [])
    path = f"users/{member['id']}"
    if fix_options.email_policy == "trust":
        values = {("emailVerified",): True}
        if VERIFY in actions:
            values[("requiredActions",)] = [a for a in actions if a != VERIFY]
        return Plan(f"mark {user.get('email')} of {username} verified",
                    [KeycloakUpdate.of(path, f"user {username}", user, values)])
    if VERIFY in actions:
        return Plan(f"the verification mail was already requested for {username}",
                    [KeycloakUpdate.of(path, f"user {username}", user,
                                       {("requiredActions",): actions})],
                    note=f"waiting for {username} to follow the link; not mailing again")
    return Plan(f"mail a verification link to {user.get('email')} ({username})",
                [KeycloakAction("PUT", f"{path}/execute-actions-email",
                                f"verification mail to {username}", [VERIFY]),
                 KeycloakUpdate.of(path, f"user {username}", user,
                                   {("requiredActions",): actions + [VERIFY]})],
                note=f"the check passes once {username} follows the link")
