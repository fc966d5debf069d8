"""Drop a GoTTY Basic Authorization header on the Kubeflow routes: a Lua EnvoyFilter."""
from kfdoctor import KubeRead, remediation
from kfdoctor.appdef import GOTTY_PATH
from kfdoctor.fixing import KubeCreate, Plan, PrintOnly

NAMESPACE = "istio-system"
NAME = "kfdoctor-drop-gotty-basic-auth"
HCM = "envoy.filters.network.http_connection_manager"
SETTLE_S = 60   # istiod pushes an EnvoyFilter to the gateway within seconds

LUA = f"""\
-- kfdoctor: a browser that logged in to GoTTY keeps sending its Basic credentials to the
-- whole host; the gateway then skips oauth2-proxy and denies (403 RBAC: access denied).
-- Drop a Basic Authorization header first, before Istio's authorization filters decide
-- (on its presence) whether oauth2-proxy is asked, except on the GoTTY path.
function envoy_on_request(handle)
  local headers = handle:headers()
  local auth = headers:get("authorization")
  if auth == nil or string.lower(string.sub(auth, 1, 6)) ~= "basic " then
    return
  end
  local path = headers:get(":path") or ""
  local prefix = "{GOTTY_PATH}"
  local after = string.sub(path, #prefix + 1, #prefix + 1)
  if string.sub(path, 1, #prefix) == prefix and (after == "" or after == "/" or after == "?") then
    return
  end
  headers:remove("authorization")
end
"""

BROWSER_WORKAROUNDS = (
    "Right away, for a user already locked out (admin guide 10.1.2): clear the site's data "
    "(history and cookies) in the browser, or use a private window for Kubeflow, or open "
    f"https://<user>@<job host>{GOTTY_PATH} and enter wrong credentials so the browser forgets "
    "them. Lasting alternative: serve GoTTY on another origin (host or port) than Kubeflow.")


def envoy_filter() -> dict:
    """The EnvoyFilter: on the ingress gateway, a Lua filter first in the HTTP filter chain.

    First, not just before ext_authz: Istio compiles the CUSTOM policy's condition (no
    Authorization header) into a shadow RBAC filter *before* ext_authz, which has already looked
    at the header by the time a filter placed right before ext_authz could remove it."""
    return {
        "apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
        "metadata": {"name": NAME, "namespace": NAMESPACE,
                     "labels": {"app.kubernetes.io/managed-by": "kfdoctor"},
                     "annotations": {"kfdoctor.io/purpose": "drop a GoTTY Basic Authorization "
                                     f"header outside {GOTTY_PATH} before ext_authz "
                                     "(admin guide 10.1)"}},
        "spec": {
            "workloadSelector": {"labels": {"istio": "ingressgateway"}},
            "configPatches": [{
                "applyTo": "HTTP_FILTER",
                "match": {"context": "GATEWAY",
                          "listener": {"filterChain": {"filter": {"name": HCM}}}},
                "patch": {"operation": "INSERT_FIRST", "value": {
                    "name": "envoy.filters.http.lua",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
                        "inlineCode": LUA}}}}]}}


@remediation("access_gotty_header_conflict", risk="disruptive",
             writes=[KubeRead(v, "networking.istio.io", "envoyfilters")
                     for v in ("get", "create", "delete")])
def drop_gotty_basic_header(finding, envoy_filters):
    """Install EnvoyFilter istio-system/kfdoctor-drop-gotty-basic-auth on the ingress gateway.

    It applies to the gateway pods labelled ``istio: ingressgateway`` and inserts a Lua filter
    first in the HTTP filter chain (before the authorization filters, whose CUSTOM rule sends
    only requests *without* an Authorization header to oauth2-proxy) that removes an
    ``Authorization`` header starting with ``Basic `` (any case) on every path except the GoTTY path (``/gotty-shell`` and below), so
    oauth2-proxy and the JWT filters see a browser's Kubeflow requests as without credentials and
    the session cookie works again. It changes how every request through the gateway is
    authenticated (hence disruptive). The plan also prints the admin guide's browser workarounds.
    Undo deletes the EnvoyFilter only if it is still the one created. The check re-runs against
    the gateway until it passes, for at most a minute while istiod pushes the filter; a gateway
    that does not read EnvoyFilters (not Istio) stays NOT FIXED.
    """
    existing = next((f for f in envoy_filters if f["metadata"]["name"] == NAME
                     and f["metadata"].get("namespace") == NAMESPACE), None)
    if existing is not None:
        return Plan.manual_only(
            f"EnvoyFilter {NAMESPACE}/{NAME} is already installed, yet the gateway still denies "
            "a Basic header",
            "the gateway does not apply it: check that the ingress gateway pods carry the label "
            "istio=ingressgateway and that istiod accepted the filter (istioctl proxy-config "
            "listener -n istio-system <gateway pod> -o json | grep envoy.filters.http.lua);\n"
            + BROWSER_WORKAROUNDS)
    return Plan(f"create EnvoyFilter {NAMESPACE}/{NAME}: the ingress gateway drops an "
                f"'Authorization: Basic ...' header outside {GOTTY_PATH} before its "
                "authorization filters",
                [KubeCreate(envoy_filter()), PrintOnly(BROWSER_WORKAROUNDS)],
                note="the check probes the gateway: a gateway that does not read EnvoyFilters "
                     "(not Istio), or pods without the label istio=ingressgateway, keep the 403",
                settle_s=SETTLE_S)
