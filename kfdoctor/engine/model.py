"""The result model every check yields and every writer renders."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class Status(str, enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"


PHASES = ("pre-launch", "post-launch")


@dataclass(frozen=True)
class Resource:
    """What a finding is about: a Kubernetes object, a Keycloak entity, a file, a URL."""
    kind: str
    name: str
    namespace: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any], kind: str | None = None) -> "Resource":
        """The resource of a Kubernetes object as read by the kube source (a dict)."""
        meta = obj.get("metadata") or {}
        return cls(kind or obj.get("kind") or "Object", meta.get("name", "?"), meta.get("namespace"))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}

    def __str__(self) -> str:
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {scope}{self.name}"


ResourceLike = Resource | Mapping[str, Any]


def as_resource(resource: ResourceLike) -> Resource:
    return resource if isinstance(resource, Resource) else Resource.of(resource)


@dataclass
class Finding:
    """One judgement of one check about one resource."""
    status: Status
    resource: Resource
    message: str
    evidence: dict = field(default_factory=dict)
    cause: str | None = None
    # Filled in by the runner.
    check: str = ""
    duration_s: float = 0.0
    suppressed: dict | None = None


def _finding(status: Status, resource: ResourceLike, message: str, evidence: Mapping | None,
             cause: str | None) -> Finding:
    return Finding(status, as_resource(resource), message, dict(evidence or {}), cause)


def ok(resource: ResourceLike, message: str, evidence: Mapping | None = None) -> Finding:
    """The resource is as it should be."""
    return _finding(Status.PASS, resource, message, evidence, None)


def warn(resource: ResourceLike, message: str, evidence: Mapping | None = None,
         cause: str | None = None) -> Finding:
    """Works today but is risky or sub-optimal."""
    return _finding(Status.WARN, resource, message, evidence, cause)


def fail(resource: ResourceLike, message: str, evidence: Mapping | None = None,
         cause: str | None = None) -> Finding:
    """Broken: the message names the actual and the expected values."""
    return _finding(Status.FAIL, resource, message, evidence, cause)


def skipped(resource: ResourceLike, reason: str, evidence: Mapping | None = None) -> Finding:
    """This resource could not be judged, for ``reason``."""
    return _finding(Status.SKIP, resource, reason, evidence, None)


class Skipped(Exception):
    """Raised by ``skip()``: the fixture or check cannot run here, for a stated reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def skip(reason: str):
    """Skip the calling fixture (and every check that needs it) or check, like pytest.skip."""
    raise Skipped(reason)
