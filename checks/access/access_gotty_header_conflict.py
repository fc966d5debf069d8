"""A GoTTY Basic Authorization header does not lock users out of Kubeflow (403 RBAC: access denied)."""
from kfdoctor import Resource, Severity, check, fail, ok, warn

RBAC_DENIED = "RBAC: access denied"


def _denied(answer: dict) -> bool:
    return answer.get("status") == 403 and RBAC_DENIED in (answer.get("body") or "")


@check(severity=Severity.HIGH, phase="post-launch", tags={"access", "gotty", "istio"})
def access_gotty_header_conflict(gotty_shell, basic_auth_probe):
    """A GoTTY Basic Authorization header does not lock users out of Kubeflow (403 RBAC: access denied).

    ## Why it matters
    With ``"enable_gotty_shell": "true"`` in the AppDef's KNS object, the GoTTY shell is served
    on the job's own host (``/gotty-shell``) behind HTTP Basic auth. After a GoTTY login the
    browser keeps sending ``Authorization: Basic ...`` to that origin (admin guide 10.1). Istio's
    gateway (Kubeflow >= 1.9.1) only sends requests *without* an Authorization header to
    oauth2-proxy, the JWT filter finds no Bearer token, and ``istio-ingressgateway-require-jwt``
    denies: 403 "RBAC: access denied", although the oauth2_proxy_kubeflow cookie is valid.
    A VirtualService ``headers.request.remove: [authorization]`` cannot fix it: header
    operations run at the router, after every authorization filter.

    ## Manual fix
    Right away (admin guide 10.1.2): clear the browser's history and cookies, or open
    ``https://<user>@<job host>/gotty-shell`` and enter wrong credentials so the browser forgets
    the Basic credentials. Lasting fixes: serve GoTTY on another origin (host or port); or a Lua
    EnvoyFilter on the ingress gateway that removes ``Authorization: Basic ...`` on Kubeflow
    paths, inserted *first* in the HTTP filters (``INSERT_FIRST``): right before
    ``envoy.filters.http.ext_authz`` is too late, as the CUSTOM rule's shadow RBAC filter in front
    of it has already seen the header and switched oauth2-proxy off; or change the CUSTOM rule of
    AuthorizationPolicy ``istio-ingressgateway-oauth2-proxy`` to ``notValues: ["Bearer *"]`` so
    Basic-carrying requests still go through oauth2-proxy. Or disable GoTTY in the AppDef.
    """
    url = basic_auth_probe["url"]
    resource = Resource("URL", url)
    plain, basic = basic_auth_probe["plain"], basic_auth_probe["basic"]
    evidence = {"url": url, "without_authorization": {"status": plain.get("status"),
                                                      "body": (plain.get("body") or "")[:80]},
                "with_basic_authorization": {"status": basic.get("status"),
                                             "body": (basic.get("body") or "")[:80]},
                "gotty_enabled": gotty_shell.get("enabled"), "appdef": gotty_shell.get("file"),
                "enable_gotty_shell": gotty_shell.get("enable_gotty_shell")}
    conflict = _denied(basic) and not _denied(plain)
    gotty = gotty_shell.get("enabled")
    where = (f"the AppDef enables the GoTTY shell ({gotty_shell.get('kns_key')}."
             f"enable_gotty_shell = {gotty_shell.get('enable_gotty_shell')!r})")
    if conflict and gotty:
        yield fail(resource, f"{where} on the job's host, and the gateway answers a request "
                   f"carrying a Basic Authorization header with 403 {RBAC_DENIED!r} (HTTP "
                   f"{plain.get('status')} without it): after using GoTTY, users are locked out of "
                   "Kubeflow; expected the same answer with or without the header", evidence)
    elif conflict and gotty is False:
        yield ok(resource, f"GoTTY is not enabled in the AppDef, so browsers send no Basic header "
                 f"to this host (the gateway would answer one with 403 {RBAC_DENIED!r}, HTTP "
                 f"{plain.get('status')} without it)", evidence)
    elif conflict:
        yield warn(resource, f"the gateway answers a Basic Authorization header with 403 "
                   f"{RBAC_DENIED!r} (HTTP {plain.get('status')} without it); whether the AppDef "
                   f"enables GoTTY is unknown ({gotty_shell.get('reason')}): with GoTTY on this "
                   "host users get locked out; expected the same answer with or without the "
                   "header", evidence)
    elif gotty:
        yield ok(resource, f"{where}, and a Basic Authorization header gets HTTP "
                 f"{basic.get('status')} like a request without it (HTTP {plain.get('status')})",
                 evidence)
    else:
        yield ok(resource, f"a Basic Authorization header gets HTTP {basic.get('status')} like a "
                 f"request without it (HTTP {plain.get('status')})", evidence)
