"""Raise the job client's access-token lifespan just above oauth2-proxy's cookie_expire."""
from kfdoctor import remediation
from kfdoctor.fixing import KeycloakUpdate, Plan

MARGIN_S = 600   # the admin guide: 130 min for a 2 h cookie


@remediation("keycloak_token_lifespan", risk="low")
def raise_token_lifespan(finding, job_client, realm, oauth2_proxy_config, fix_options):
    """Set the client attribute access.token.lifespan to cookie_expire + 10 minutes.

    The job client's ``attributes["access.token.lifespan"]`` becomes cookie_expire + 600 s (e.g.
    7800 s = 130 min for a 2 h cookie, as the admin guide asks). With ``--realm-wide`` the realm's
    ``accessTokenLifespan`` is raised instead (every client of the realm; only helps when the
    client has no lifespan of its own). Findings about the SSO session lifespans are manual. Undo
    puts the previous value (or its absence) back.
    """
    if finding.resource.kind != "KeycloakClient":
        return Plan.manual_only("the SSO session lifespans are a realm policy decision",
                                "Realm settings -> Sessions: SSO Session Idle / Max at least "
                                "cookie_expire")
    cookie = (oauth2_proxy_config.get("cookie_expire") or {}).get("seconds")
    if not cookie:
        return Plan.manual_only("oauth2-proxy's cookie_expire is unknown", "see kfdoctor explain "
                                "keycloak_token_lifespan")
    target = int(cookie) + MARGIN_S
    client_id = job_client["clientId"]
    if fix_options.realm_wide:
        own = (job_client.get("attributes") or {}).get("access.token.lifespan")
        if own not in (None, "", "0"):
            return Plan.manual_only(f"client {client_id} has its own lifespan ({own} s), which "
                                    "overrides the realm's", "fix without --realm-wide to raise "
                                    "the client's lifespan")
        return Plan(f"set realm {realm.get('realm')} accessTokenLifespan to {target} s",
                    [KeycloakUpdate.of("", f"realm {realm.get('realm')}", realm,
                                       {("accessTokenLifespan",): target}, partial=True)])
    return Plan(f"set client {client_id} access.token.lifespan to {target} s (cookie_expire "
                f"{cookie} s + {MARGIN_S} s)",
                [KeycloakUpdate.of(f"clients/{job_client['id']}", f"client {client_id}",
                                   job_client, {("attributes", "access.token.lifespan"):
                                                str(target)})])
