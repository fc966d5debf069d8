"""kfdoctor's Keycloak admin reaches the realm and holds the realm-management roles it needs."""
from kfdoctor import Resource, Severity, check, fail, ok, warn

CHECK_ROLES = ("view-realm", "view-users", "view-clients")
FIX_ROLES = ("manage-users", "manage-clients")


@check(severity=Severity.HIGH, phase=("pre-launch", "post-launch"), tags={"keycloak", "auth"})
def keycloak_realm_access(realm_access):
    """kfdoctor's Keycloak admin reaches the realm and holds the realm-management roles it needs.

    ## Why it matters
    Every Keycloak check reads the ML team admin's realm (named after the admin's JARVICE
    username) through the admin REST API: the realm needs ``view-realm``, the users and kns-role
    members ``view-users``, the job client and its mappers ``view-clients``. The fixes write with
    ``manage-users`` (e-mail verification, role grants) and ``manage-clients`` (audience mapper,
    token lifespan). Without them the checks error with "403 Forbidden" instead of judging.
    Keycloak that does not answer, or rejects the admin's password, stops the run (exit 2).

    ## Manual fix
    Log in with ``--keycloak-user``/``--keycloak-user-realm`` as an admin of the realm: a master
    admin (realm role ``admin``) or a user of the realm with client roles of ``realm-management``
    (the admin guide 5.2 asks for them). In the Keycloak console: Users -> <admin> -> Role
    mapping -> Assign role -> Filter by clients -> realm-management -> view-realm, view-users,
    view-clients, manage-users, manage-clients (or realm-admin, which includes them). For a
    master admin the same roles sit on the master client ``<realm>-realm``. If the realm is
    missing, check ``--realm`` (default: the ML team admin's JARVICE username).
    """
    realm = Resource("KeycloakRealm", realm_access["realm"])
    evidence = {k: realm_access.get(k) for k in ("keycloak_url", "admin", "admin_realm", "roles",
                                                   "unknown", "method", "roles_client")}
    who = f"admin {realm_access['admin']!r} (realm {realm_access['admin_realm']})"
    if not realm_access["realm_exists"]:
        yield fail(realm, f"realm {realm_access['realm']!r} does not exist in Keycloak "
                   f"{realm_access['keycloak_url']}; expected the ML team admin's realm (pass "
                   "--realm if it is named otherwise)", evidence)
        return
    held = set(realm_access["roles"])
    missing_check = [r for r in CHECK_ROLES if r not in held]
    missing_fix = [r for r in FIX_ROLES if r not in held and r not in realm_access["unknown"]]
    evidence.update(missing_for_checks=missing_check, missing_for_fixes=missing_fix)
    if missing_check:
        yield fail(realm, f"{who} lacks realm-management roles {', '.join(missing_check)} in realm "
                   f"{realm_access['realm']!r}; the checks need {', '.join(CHECK_ROLES)}"
                   + (f" and the fixes {', '.join(missing_fix)}" if missing_fix else ""), evidence)
    elif missing_fix:
        yield warn(realm, f"{who} can read realm {realm_access['realm']!r} but lacks "
                   f"{', '.join(missing_fix)}; kfdoctor fix needs {', '.join(FIX_ROLES)}", evidence)
    elif realm_access["unknown"]:
        yield warn(realm, f"{who} holds {', '.join(CHECK_ROLES)} in realm "
                   f"{realm_access['realm']!r}; whether it holds {', '.join(FIX_ROLES)} (needed by "
                   "kfdoctor fix) cannot be read without view-users in its own realm", evidence)
    else:
        yield ok(realm, f"{who} reaches realm {realm_access['realm']!r} and holds "
                 f"{', '.join(CHECK_ROLES + FIX_ROLES)}", evidence)
