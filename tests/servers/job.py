"""The JARVICE Kubeflow job that the seeding helpers build, shared by the Kubernetes and Keycloak sides."""
from __future__ import annotations

from dataclasses import dataclass, field

from .faults import ALL_FAULTS


@dataclass(frozen=True)
class SeedUser:
    username: str
    email: str
    password: str
    has_role: bool = True        # holds the client role kns-role of kns-job-N
    email_verified: bool = True
    enabled: bool = True
    owns_profile: bool = True    # a Kubeflow Profile (and namespace) is owned by this user's e-mail


@dataclass(frozen=True)
class JobSpec:
    """Job ``number`` of ML team admin ``admin``; ``faults`` are names from faults.py."""
    number: int = 5
    admin: str = "jdoe"
    faults: frozenset = frozenset()
    users: tuple = field(default_factory=lambda: (
        SeedUser("alice", "alice@example.org", "alice-Pass-1"),
        SeedUser("bob", "bob@example.org", "bob-Pass-1"),
        SeedUser("carol", "carol@example.org", "carol-Pass-1", has_role=False, owns_profile=False),
    ))
    cookie_expire: str = "2h"          # oauth2-proxy cookie_expire, as the admin guide states
    token_lifespan_s: int = 130 * 60   # kns-job-N access.token.lifespan: above cookie_expire
    vault: str = "datavault"
    domain: str = "job5.jarvice.example.org"
    role_via_group: bool = False       # bob holds kns-role through a subgroup (ROLE_GROUP), not directly

    def __post_init__(self):
        unknown = set(self.faults) - ALL_FAULTS
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(ALL_FAULTS)}")

    @property
    def realm(self) -> str:
        return self.admin

    @property
    def client_id(self) -> str:
        return f"kns-job-{self.number}"

    def has(self, fault: str) -> bool:
        return fault in self.faults

    def profile_namespace(self, user: SeedUser) -> str:
        return user.username
