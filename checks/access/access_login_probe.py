"""A real user can log in through oauth2-proxy and Keycloak and load the Kubeflow dashboard."""
from kfdoctor import Resource, Severity, check, fail, ok, warn


def _cause(result: dict, facts: dict | None) -> tuple[str | None, str]:
    """The check that explains a failed login, and why."""
    text = " ".join([result.get("error") or ""] + [" ".join(s.get("errors", []))
                                                   for s in result.get("steps", [])]).lower()
    step = result.get("failed_step") or ""
    user = (facts or {}).get("user") or {}
    if "rbac: access denied" in text:
        return "access_gotty_header_conflict", "the gateway answered 403 RBAC: access denied"
    if "isn't verified" in text or "email not verified" in text:
        return "keycloak_users_email_verified", "oauth2-proxy says the e-mail isn't verified"
    if "audience" in text:
        return "keycloak_audience_mapper", "the token's audience was rejected"
    if "account is disabled" in text:
        return "keycloak_users_email_verified", "Keycloak says the account is disabled"
    if "invalid username or password" in text:
        return None, "Keycloak rejected the credentials (wrong password or no such user)"
    if step == "oauth2-proxy callback":
        if user and user.get("emailVerified") is False:
            return "keycloak_users_email_verified", (f"Keycloak holds {user.get('email')} as "
                                                     "unverified")
        if facts and facts.get("has_role") is False:
            return "keycloak_users_have_role", "the user does not hold kns-role"
        if facts and facts.get("audience_mapper") is False:
            return "keycloak_audience_mapper", "the client has no Audience mapper"
    return None, ""


@check(severity=Severity.HIGH, phase="post-launch", tags={"access", "auth", "probe"})
def access_login_probe(login_result, probe_user_facts, settings):
    """A real user can log in through oauth2-proxy and Keycloak and load the Kubeflow dashboard.

    ## Why it matters
    The other checks judge each piece of the login chain; this one walks it as a browser does
    (opt-in, ``--probe-user`` with the password in ``KFDOCTOR_PROBE_PASSWORD``): the job URL
    redirects to Keycloak, the login form is submitted, oauth2-proxy redeems the code on
    ``/oauth2/callback`` and sets the ``oauth2_proxy_kubeflow`` cookie, and the dashboard (and
    ``/v1/models/<name>`` with ``--probe-model``) loads. A failure names the step and the check
    that explains it. Only steps, statuses and error texts are recorded, never the password,
    cookies or tokens. oauth2-proxy up to v7.8 refuses the login of a client without its Audience
    mapper; newer releases let it through, so a successful login still warns when the mapper is
    missing.

    ## Manual fix
    Follow the linked check: an unverified e-mail or disabled account ->
    keycloak_users_email_verified; no kns-role -> keycloak_users_have_role; audience rejected
    -> keycloak_audience_mapper; 403 "RBAC: access denied" with a Basic header ->
    access_gotty_header_conflict; "Invalid username or password." -> reset the user's password
    (Users -> <user> -> Credentials) or fix ``--probe-user``/``KFDOCTOR_PROBE_PASSWORD``.
    """
    user = settings.probe_user
    resource = Resource("LoginProbe", f"{user}@{settings.job_url}")
    evidence = {"user": user, "url": settings.job_url, "model": settings.probe_model,
                "steps": login_result.get("steps", []), "cookie_set": login_result.get("cookie"),
                "keycloak_facts": probe_user_facts}
    if login_result.get("ok"):
        loaded = "the dashboard" + (f" and model {settings.probe_model}"
                                    if settings.probe_model else "")
        if (probe_user_facts or {}).get("audience_mapper") is False:
            yield warn(resource, f"{user} logged in and loaded {loaded}, but {settings.job_client_id} "
                       "has no Audience mapper for itself: the access tokens lack that audience, "
                       "so bearer (M2M) calls checked by oauth2-proxy are refused ('invalid "
                       "audience'); expected the mapper of admin guide 5.1.1", evidence,
                       cause="keycloak_audience_mapper")
            return
        yield ok(resource, f"{user} logged in through Keycloak, got the oauth2_proxy_kubeflow "
                 f"cookie and loaded {loaded}", evidence)
        return
    cause, why = _cause(login_result, probe_user_facts)
    evidence["cause_reason"] = why
    yield fail(resource, f"login of {user} failed at step '{login_result.get('failed_step')}': "
               f"{login_result.get('error')}" + (f" ({why})" if why else "")
               + "; expected the dashboard to load after the login", evidence, cause=cause)
