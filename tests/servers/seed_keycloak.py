"""Seed a Keycloak realm the way a JARVICE Kubeflow job leaves it, with KEYCLOAK_FAULTS switchable.

The realm is created in one call from a full representation (client, role, mappers, users);
re-seeding deletes and re-creates it, so switching faults costs about a second.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakDeleteError

from .job import JobSpec, SeedUser

ROLE = "kns-role"
ROLE_GROUP = ("kubeflow-users", "team-a")   # JobSpec.role_via_group: kns-role on the parent group
# Keycloak's own realm defaults (seconds), kept explicit so checks see realistic values.
REALM_LIFESPANS = {"accessTokenLifespan": 300, "ssoSessionIdleTimeout": 1800,
                   "ssoSessionMaxLifespan": 36000}
WRONG_AUDIENCE = "account"  # "audience_mapper_wrong": the admin picked another client


@dataclass(frozen=True)
class Account:
    username: str
    password: str


@dataclass(frozen=True)
class SeededRealm:
    """What seed_keycloak created; ``users`` are as seeded (faults applied)."""
    url: str
    realm: str
    client_id: str
    client_secret: str
    redirect_uri: str
    users: tuple
    realm_admin: Account        # the ML team admin: realm-management/realm-admin
    restricted_admin: Account   # realm-management/view-realm only
    faults: frozenset

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/{self.realm}"

    def user(self, username: str) -> SeedUser:
        return next(u for u in self.users if u.username == username)


def admin_client(url: str, admin_user: str, admin_password: str) -> KeycloakAdmin:
    """A python-keycloak admin logged in to the master realm."""
    return KeycloakAdmin(server_url=f"{url}/", username=admin_user, password=admin_password,
                         realm_name="master", user_realm_name="master")


def seeded_users(spec: JobSpec) -> tuple:
    """spec.users with the user faults applied, each to the last kns-role user that owns a Profile."""
    users = list(spec.users)
    owners = [i for i, u in enumerate(users) if u.has_role and u.owns_profile]
    if not owners:
        return tuple(users)
    target = owners[-1]
    changes = {"unverified_user": {"email_verified": False}, "disabled_user": {"enabled": False},
               "user_without_role": {"has_role": False}}
    for fault, change in changes.items():
        if spec.has(fault):
            users[target] = dataclasses.replace(users[target], **change)
    return tuple(users)


def seed_keycloak(url: str, admin_user: str, admin_password: str, spec: JobSpec,
                  redirect_uri: str) -> SeededRealm:
    """(Re-)create realm ``spec.realm`` for ``spec``: deletes any previous realm of that name."""
    admin = admin_client(url, admin_user, admin_password)
    reset(admin, spec.realm)
    seeded = SeededRealm(
        url=url, realm=spec.realm, client_id=spec.client_id,
        client_secret=f"{spec.client_id}-secret-{spec.number:04d}", redirect_uri=redirect_uri,
        users=seeded_users(spec), realm_admin=Account(spec.admin, f"{spec.admin}-Admin-1"),
        restricted_admin=Account(f"{spec.admin}-viewer", f"{spec.admin}-Viewer-1"),
        faults=frozenset(spec.faults))
    admin.create_realm(realm_representation(spec, seeded))
    return seeded


def reset(admin: KeycloakAdmin, realm: str) -> None:
    """Delete ``realm`` if it exists."""
    try:
        admin.delete_realm(realm)
    except KeycloakDeleteError as err:
        if err.response_code != 404:
            raise


def realm_representation(spec: JobSpec, seeded: SeededRealm) -> dict:
    job_client = not spec.has("no_job_client")
    by_group = "bob" if spec.role_via_group and job_client else None
    users = [_user(u, spec.client_id if job_client else None, via_group=u.username == by_group)
             for u in seeded.users]
    users.append(_admin_user(seeded.realm_admin, "realm-admin", spec))
    users.append(_admin_user(seeded.restricted_admin, "view-realm", spec))
    realm = {"realm": spec.realm, "enabled": True, **REALM_LIFESPANS, "users": users}
    if job_client:
        realm["clients"] = [_client(spec, seeded)]
        realm["roles"] = {"client": {spec.client_id: [{"name": ROLE, "clientRole": True}]}}
    if by_group:
        parent, child = ROLE_GROUP
        realm["groups"] = [{"name": parent, "clientRoles": {spec.client_id: [ROLE]},
                            "subGroups": [{"name": child}]}]
    return realm


def _client(spec: JobSpec, seeded: SeededRealm) -> dict:
    attributes = {"post.logout.redirect.uris": "+"}
    if not spec.has("short_token_lifespan"):
        attributes["access.token.lifespan"] = str(spec.token_lifespan_s)
    return {
        "clientId": spec.client_id, "name": spec.client_id, "enabled": True,
        "protocol": "openid-connect", "publicClient": False,
        "clientAuthenticatorType": "client-secret", "secret": seeded.client_secret,
        "standardFlowEnabled": True, "directAccessGrantsEnabled": True,
        "redirectUris": [seeded.redirect_uri], "webOrigins": ["+"],
        "attributes": attributes, "protocolMappers": _mappers(spec),
    }


def _mappers(spec: JobSpec) -> list:
    """The client's own ("dedicated" scope) mappers: the audience mapper of admin guide 5.1.1."""
    if spec.has("no_audience_mapper"):
        return []
    audience = WRONG_AUDIENCE if spec.has("audience_mapper_wrong") else spec.client_id
    return [{"name": "aud-mapper", "protocol": "openid-connect",
             "protocolMapper": "oidc-audience-mapper", "consentRequired": False,
             "config": {"included.client.audience": audience, "id.token.claim": "true",
                        "access.token.claim": "true", "introspection.token.claim": "true"}}]


def _user(user: SeedUser, client_id: str | None, via_group: bool = False) -> dict:
    # first and last name set: Keycloak's user profile would otherwise demand them at login
    rep = {"username": user.username, "email": user.email, "emailVerified": user.email_verified,
           "enabled": user.enabled, "firstName": user.username.capitalize(), "lastName": "User",
           "credentials": [{"type": "password", "value": user.password, "temporary": False}]}
    if user.has_role and client_id:
        if via_group:
            rep["groups"] = ["/" + "/".join(ROLE_GROUP)]
        else:
            rep["clientRoles"] = {client_id: [ROLE]}
    return rep


def _admin_user(account: Account, role: str, spec: JobSpec) -> dict:
    return {"username": account.username, "email": f"{account.username}@{spec.domain}",
            "emailVerified": True, "enabled": True, "firstName": account.username, "lastName": "Admin",
            "credentials": [{"type": "password", "value": account.password, "temporary": False}],
            "clientRoles": {"realm-management": [role]}}


def seed_many_users(url: str, admin_user: str, admin_password: str, spec: JobSpec, n: int = 2000,
                    role_every: int = 10, batch: int = 500) -> list:
    """Add ``n`` password-less users to the seeded realm by partial import; every
    ``role_every``-th gets kns-role. Returns their usernames."""
    admin = admin_client(url, admin_user, admin_password)
    names = [f"user{i:05d}" for i in range(n)]
    for start in range(0, n, batch):
        users = []
        for i in range(start, min(start + batch, n)):
            rep = {"username": names[i], "email": f"{names[i]}@example.org", "emailVerified": True,
                   "enabled": True, "firstName": "User", "lastName": f"{i:05d}"}
            if i % role_every == 0:
                rep["clientRoles"] = {spec.client_id: [ROLE]}
            users.append(rep)
        admin.partial_import_realm(spec.realm, {"ifResourceExists": "SKIP", "users": users})
    return names
