"""Add or repair the Audience mapper of the job client's dedicated scope."""
from kfdoctor import remediation
from kfdoctor.fixing import KeycloakCreate, KeycloakUpdate, Plan

from kfdoctor.checks.keycloak.keycloak_audience_mapper import AUDIENCE_MAPPER, FLAGS


@remediation("keycloak_audience_mapper", risk="low")
def add_audience_mapper(finding, job_client, client_mappers):
    """Add (or repair) the oidc-audience-mapper on the job client's own protocol mappers.

    No Audience mapper: POSTs ``{"name": "aud-mapper", "protocolMapper": "oidc-audience-mapper",
    "config": {"included.client.audience": "kns-job-<N>", "id.token.claim": "true",
    "access.token.claim": "true", "introspection.token.claim": "true"}}`` to
    ``clients/<uuid>/protocol-mappers/models`` (undo deletes that mapper again). A mapper naming
    another audience or with a token toggle Off: updates that mapper's config (undo restores it).
    """
    client_id, uuid = job_client["clientId"], job_client["id"]
    models = f"clients/{uuid}/protocol-mappers/models"
    audience = [m for m in client_mappers if m.get("protocolMapper") == AUDIENCE_MAPPER]
    wanted = {"included.client.audience": client_id, **{flag: "true" for flag in FLAGS}}
    if not audience:
        names = {m.get("name") for m in client_mappers}
        name = "aud-mapper" if "aud-mapper" not in names else f"aud-{client_id}"
        mapper = {"name": name, "protocol": "openid-connect", "protocolMapper": AUDIENCE_MAPPER,
                  "consentRequired": False,
                  "config": {**wanted, "introspection.token.claim": "true"}}
        return Plan(f"add Audience mapper {name!r} ({client_id}) to the dedicated scope of "
                    f"{client_id}", [KeycloakCreate(models, f"mapper {name} of {client_id}",
                                                    mapper)])
    mine = [m for m in audience if (m.get("config") or {}).get("included.client.audience")
            == client_id]
    target = max(mine or audience,
                 key=lambda m: sum((m.get("config") or {}).get(f) == "true" for f in FLAGS))
    values = {("config", key): value for key, value in wanted.items()
              if (target.get("config") or {}).get(key) != value}
    return Plan(f"repair Audience mapper {target.get('name')!r} of {client_id}: "
                + ", ".join(f"{k[1]}={v}" for k, v in values.items()),
                [KeycloakUpdate.of(f"{models}/{target['id']}",
                                   f"mapper {target.get('name')} of {client_id}", target, values)])
