"""Everything a run is configured with. Secrets are never part of repr() or of a recording."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

SECRET_FIELDS = ("keycloak_password", "jarvice_apikey", "probe_password")


@dataclass
class Settings:
    # Kubernetes
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    connect_timeout: float = 5.0
    # Keycloak
    keycloak_url: str | None = None
    realm: str | None = None              # default: the ML team admin's username (jarvice_user)
    keycloak_user: str = "admin"
    keycloak_user_realm: str = "master"
    keycloak_password: str = field(default="", repr=False)
    keycloak_verify: bool = True
    # The JARVICE job
    job: int | None = None
    appdef: str | None = None
    jarvice_url: str | None = None
    jarvice_user: str | None = None
    jarvice_apikey: str = field(default="", repr=False)
    job_url: str | None = None
    # Thresholds and probes
    vault: str | None = None
    inotify_min_instances: int = 1280
    inotify_min_watches: int = 655360
    host_root: str | None = None          # read /proc/sys under this root (a run on a host)
    node_probe: bool = False
    node_probe_image: str = "busybox:1.36"
    node_probe_timeout: float = 60.0
    node_probe_namespace: str = "kube-system"   # where the probe pods run (node agents live there)
    probe_user: str | None = None
    probe_password: str = field(default="", repr=False)
    probe_model: str | None = None
    check_timeout: float = 30.0
    # [[suppress]] entries of the config file (kfdoctor.suppress.Suppressions); never recorded
    suppressions: object = field(default=None, repr=False, compare=False)

    @property
    def effective_realm(self) -> str | None:
        return self.realm or self.jarvice_user

    @property
    def job_client_id(self) -> str | None:
        return f"kns-job-{self.job}" if self.job is not None else None

    def public(self) -> dict:
        """The settings without secrets (what a recording keeps)."""
        return {k: v for k, v in asdict(self).items()
                if k not in SECRET_FIELDS and k != "suppressions"}

    def merged(self, recorded: dict) -> "Settings":
        """These settings, filling unset fields from a recording's settings."""
        defaults = Settings()
        updates = {f.name: recorded[f.name] for f in fields(self)
                   if f.name in recorded and f.name not in SECRET_FIELDS + ("suppressions",)
                   and getattr(self, f.name) == getattr(defaults, f.name)}
        return Settings(**{**asdict(self), **updates})
