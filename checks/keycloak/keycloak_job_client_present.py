"""The job's Keycloak client kns-job-N exists, is enabled and has the client role kns-role."""
from kfdoctor import Resource, Severity, check, fail, ok

ROLE = "kns-role"


@check(severity=Severity.CRITICAL, phase="post-launch", tags={"keycloak", "auth"})
def keycloak_job_client_present(job_client_search, job_client_id, job_client_roles,
                                settings):
    """The job's Keycloak client kns-job-N exists, is enabled and has the client role kns-role.

    ## Why it matters
    JARVICE adds one client per Kubeflow job, ``kns-job-<job number>``, to the ML team admin's
    realm (admin guide ch. 5). oauth2-proxy logs users in through it, and a user gets into
    Kubeflow only while holding its client role ``kns-role``. Without the client (deleted, or
    the job was launched without Keycloak) nobody can log in; a disabled client makes Keycloak
    refuse the login ("Client not found" / "Login requester not enabled"); without ``kns-role``
    no user can be granted access.

    ## Manual fix
    The client is created by JARVICE at job start: relaunch the job with Keycloak enabled, or
    ask the JARVICE system admin. A disabled client: Clients -> kns-job-<N> -> Settings ->
    Enabled = On. A missing role: Clients -> kns-job-<N> -> Roles -> Create role ``kns-role``,
    then assign it to the users (admin guide 5.2).
    """
    realm = settings.effective_realm
    resource = Resource("KeycloakClient", job_client_id, realm)
    if not job_client_search:
        yield fail(resource, f"client {job_client_id} does not exist in realm {realm!r}; expected "
                   f"the client JARVICE creates for job {settings.job}",
                   {"client_id": job_client_id, "realm": realm})
        return
    client = job_client_search[0]
    roles = sorted(r.get("name") for r in job_client_roles or [])
    evidence = {"client_id": job_client_id, "uuid": client.get("id"),
                "enabled": client.get("enabled"), "roles": roles}
    problems = []
    if client.get("enabled") is False:
        problems.append("is disabled (enabled: false; expected true)")
    if ROLE not in roles:
        problems.append(f"has no client role {ROLE} (roles: {', '.join(roles) or 'none'})")
    if problems:
        yield fail(resource, f"client {job_client_id} " + " and ".join(problems), evidence)
    else:
        yield ok(resource, f"client {job_client_id} exists, is enabled and has role {ROLE}",
                 evidence)
