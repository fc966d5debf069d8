"""The job client's dedicated scope has an Audience mapper for the client, in ID and access tokens."""
from kfdoctor import Resource, Severity, check, fail, ok, warn

AUDIENCE_MAPPER = "oidc-audience-mapper"
FLAGS = {"id.token.claim": "Add to ID token", "access.token.claim": "Add to access token"}


@check(severity=Severity.CRITICAL, phase="post-launch", tags={"keycloak", "auth"})
def keycloak_audience_mapper(job_client, client_mappers, settings):
    """The job client's dedicated scope has an Audience mapper for the client, in ID and access tokens.

    ## Why it matters
    The admin guide (5.1.1) makes an Audience mapper on ``kns-job-<N>-dedicated`` mandatory:
    it puts ``kns-job-<N>`` into the tokens' ``aud`` claim. Without it the access token's
    audience is only ``account``, and whatever verifies that token against the client rejects it.
    oauth2-proxy's keycloak-oidc provider up to v7.8 (Kubeflow 1.9 and 1.10 deploy v7.6.0 and
    v7.7.1) verifies the access token at login, so the login itself fails with HTTP 500 on
    ``/oauth2/callback`` ("Error creating session during OAuth2 callback: audience from claim aud
    with value [...] does not match with any of allowed audiences map[kns-job-N:{}]"); newer
    releases let the login through but refuse bearer/M2M tokens, as does Istio's JWT filter
    when it lists audiences ("Audiences in Jwt are not allowed"). The "dedicated" scope is not a
    ClientScope: it is the client's own protocol mappers (``clients/{uuid}/protocol-mappers/models``).

    ## Manual fix
    Clients -> kns-job-<N> -> Client scopes -> kns-job-<N>-dedicated -> Configure a new mapper
    -> Audience: any name, Included Client Audience = kns-job-<N>, Add to ID token = On, Add to
    access token = On. Or edit the existing Audience mapper so it names this client and both
    toggles are On. REST: ``POST /admin/realms/<realm>/clients/<uuid>/protocol-mappers/models``
    with ``{"name": "aud-mapper", "protocol": "openid-connect", "protocolMapper":
    "oidc-audience-mapper", "config": {"included.client.audience": "kns-job-<N>",
    "id.token.claim": "true", "access.token.claim": "true"}}``.
    """
    client_id = job_client["clientId"]
    resource = Resource("KeycloakClient", client_id, settings.effective_realm)
    audience = [m for m in client_mappers if m.get("protocolMapper") == AUDIENCE_MAPPER]
    summary = [{"name": m.get("name"), "config": {k: (m.get("config") or {}).get(k) for k in
                ("included.client.audience", "included.custom.audience", *FLAGS)}}
               for m in audience]
    evidence = {"client_id": client_id, "audience_mappers": summary,
                "mappers": sorted(f"{m.get('name')} ({m.get('protocolMapper')})"
                                  for m in client_mappers)}
    if not audience:
        yield fail(resource, f"the dedicated scope of {client_id} has no Audience mapper "
                   f"({AUDIENCE_MAPPER}); expected one with Included Client Audience = {client_id}",
                   evidence)
        return
    mine = [m for m in audience
            if (m.get("config") or {}).get("included.client.audience") == client_id]
    if not mine:
        custom = [m for m in audience if not (m.get("config") or {}).get("included.client.audience")
                  and (m.get("config") or {}).get("included.custom.audience") == client_id]
        if custom:
            mine, note = custom, " (as a custom audience)"
        else:
            others = ", ".join(f"{m.get('name')} -> "
                               f"{(m.get('config') or {}).get('included.client.audience') or (m.get('config') or {}).get('included.custom.audience') or 'nothing'}"
                               for m in audience)
            yield fail(resource, f"the Audience mapper of {client_id} names another audience "
                       f"({others}); expected Included Client Audience = {client_id}", evidence)
            return
    else:
        note = ""
    best = max(mine, key=lambda m: sum((m.get("config") or {}).get(f) == "true" for f in FLAGS))
    off = [f for f in FLAGS if (best.get("config") or {}).get(f) != "true"]
    if off:
        yield fail(resource, f"Audience mapper {best.get('name')!r} of {client_id} has "
                   + " and ".join(f"{f} = {(best.get('config') or {}).get(f) or 'unset'} "
                                  f"('{FLAGS[f]}' Off)" for f in off)
                   + "; expected \"true\" (On)", evidence)
    elif note:
        yield warn(resource, f"Audience mapper {best.get('name')!r} of {client_id} adds {client_id}"
                   f"{note}; it works, but the guide selects the client as Included Client "
                   "Audience", evidence)
    else:
        yield ok(resource, f"Audience mapper {best.get('name')!r} adds {client_id} to ID and access "
                 "tokens", evidence)
