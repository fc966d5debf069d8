"""The job client's access-token lifespan outlasts oauth2-proxy's cookie, and so do the SSO sessions."""
from kfdoctor import Resource, Severity, check, fail, ok, skip, warn
from kfdoctor.durations import format_seconds


def _seconds(value) -> int | None:
    try:
        return int(str(value).strip()) if str(value).strip() not in ("", "None") else None
    except ValueError:
        return None


@check(severity=Severity.HIGH, phase="post-launch", tags={"keycloak", "auth", "oauth2-proxy"})
def keycloak_token_lifespan(job_client, realm, oauth2_proxy_config, settings):
    """The job client's access-token lifespan outlasts oauth2-proxy's cookie, and so do the SSO sessions.

    ## Why it matters
    oauth2-proxy keeps the ID token in its ``oauth2_proxy_kubeflow`` cookie and forwards it as
    ``Authorization: Bearer``; Keycloak's ID token expires with the access token (realm default
    300 s). With ``cookie_refresh = 0`` oauth2-proxy never refreshes it, so once the token
    lifespan has passed Istio answers 401 "Jwt is expired" although the cookie
    (``cookie_expire``, 2 h per the admin guide, 24 h in the Kubeflow manifests) still looks
    valid. The guide (5.1.2) asks for an Access Token Lifespan above ``cookie_expire``. The
    token is also capped by the client/SSO session max lifespan; and with ``cookie_refresh`` set,
    refreshes fail once the SSO session idle timeout has passed.

    ## Manual fix
    Clients -> kns-job-<N> -> Advanced -> Advanced settings -> Access Token Lifespan: above
    cookie_expire (e.g. 130 min for a 2 h cookie); REST: the client attribute
    ``access.token.lifespan`` in seconds. Keep Realm settings -> Sessions -> SSO Session Max
    (and Client Session Max) at least as long. Alternatively set oauth2-proxy's
    ``cookie_refresh`` below the token lifespan (and below the SSO idle timeout) in its
    ConfigMap, then ``kubectl -n <ns> rollout restart deploy/<oauth2-proxy>`` (the file is
    mounted with subPath and never reloads).
    """
    client_id = job_client["clientId"]
    attributes = job_client.get("attributes") or {}
    expire = oauth2_proxy_config["cookie_expire"]
    refresh = oauth2_proxy_config["cookie_refresh"]
    if expire.get("seconds") is None or refresh.get("seconds") is None:
        bad = expire if expire.get("seconds") is None else refresh
        skip(f"oauth2-proxy's {'cookie_expire' if bad is expire else 'cookie_refresh'} "
             f"{bad.get('value')!r} ({bad['source']}) is not a Go duration: {bad.get('error')}")
    cookie, refresh_s = expire["seconds"], refresh["seconds"]
    client_lifespan = _seconds(attributes.get("access.token.lifespan"))
    realm_lifespan = realm.get("accessTokenLifespan", 300)
    if client_lifespan not in (None, 0):
        lifespan, origin = client_lifespan, f"client {client_id} attribute access.token.lifespan"
    else:
        lifespan, origin = realm_lifespan, f"realm {realm.get('realm')} accessTokenLifespan"
    sso_max = realm.get("ssoSessionMaxLifespan", 36000)
    sso_idle = realm.get("ssoSessionIdleTimeout", 1800)
    session_max = (_seconds(attributes.get("client.session.max.lifespan")) or
                   realm.get("clientSessionMaxLifespan") or sso_max)
    effective = session_max if lifespan == -1 else min(lifespan, session_max) if session_max \
        else lifespan
    evidence = {
        "access_token_lifespan_s": effective, "lifespan_from": origin,
        "client_access_token_lifespan": attributes.get("access.token.lifespan"),
        "realm_access_token_lifespan": realm_lifespan, "session_max_lifespan_s": session_max,
        "sso_session_idle_s": sso_idle, "sso_session_max_s": sso_max,
        "cookie_expire": expire["value"], "cookie_expire_s": cookie,
        "cookie_expire_from": expire["source"], "cookie_refresh": refresh["value"],
        "cookie_refresh_s": refresh_s, "cookie_refresh_from": refresh["source"],
        "oauth2_proxy": oauth2_proxy_config["deployment"],
        "oauth2_proxy_configmap": oauth2_proxy_config["configmap"]}
    client = Resource("KeycloakClient", client_id, settings.effective_realm)
    token, cookie_text = format_seconds(effective), f"{expire['value']} ({format_seconds(cookie)})"
    capped = f", capped by the session max lifespan of {format_seconds(session_max)}" \
        if effective < lifespan or lifespan == -1 else ""
    if effective > cookie:
        yield ok(client, f"access tokens of {client_id} live {token} ({origin}{capped}), longer "
                 f"than oauth2-proxy's cookie_expire {cookie_text}", evidence)
    elif refresh_s <= 0:
        yield fail(client, f"access tokens of {client_id} live {token} ({origin}{capped}) but "
                   f"oauth2-proxy's cookie_expire is {cookie_text} with cookie_refresh = 0: "
                   f"requests fail with 401 'Jwt is expired' after {token}; expected a lifespan "
                   f"above {format_seconds(cookie)} (or cookie_refresh below {token})", evidence)
    elif refresh_s >= effective:
        yield fail(client, f"access tokens of {client_id} live {token} ({origin}{capped}), below "
                   f"cookie_expire {cookie_text}, and cookie_refresh {refresh['value']} comes too "
                   f"late to renew them; expected a lifespan above {format_seconds(cookie)} or "
                   f"cookie_refresh below {token}", evidence)
    else:
        yield warn(client, f"access tokens of {client_id} live {token} ({origin}{capped}), below "
                   f"cookie_expire {cookie_text}; cookie_refresh {refresh['value']} renews them in "
                   f"time, but the admin guide asks for a lifespan above {format_seconds(cookie)}",
                   evidence)
    realm_resource = Resource("KeycloakRealm", realm.get("realm") or settings.effective_realm)
    problems = []
    if sso_max and sso_max < cookie:
        problems.append(f"SSO Session Max {format_seconds(sso_max)} is shorter than cookie_expire "
                        f"{format_seconds(cookie)}: tokens and sessions end before the cookie")
    if refresh_s > 0 and sso_idle and sso_idle < cookie:
        problems.append(f"SSO Session Idle {format_seconds(sso_idle)} is shorter than "
                        f"cookie_expire {format_seconds(cookie)}: with cookie_refresh "
                        f"{refresh['value']} a refresh after {format_seconds(sso_idle)} idle fails "
                        "('Session not active') and the user must log in again")
    if problems:
        yield warn(realm_resource, "; ".join(problems) + "; expected SSO lifespans at least as "
                   "long as the cookie", evidence)
    else:
        text = (f"SSO Session Max {format_seconds(sso_max)} outlasts the cookie; the idle "
                f"timeout {format_seconds(sso_idle)} does not matter with cookie_refresh = 0"
                if refresh_s <= 0 else
                f"SSO sessions (idle {format_seconds(sso_idle)}, max {format_seconds(sso_max)}) "
                f"outlast the {format_seconds(cookie)} cookie")
        yield ok(realm_resource, text, evidence)
