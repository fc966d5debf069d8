"""Helpers to test checks on case files: a small recorded state and the expected findings.

A case names the objects each source returns; everything the case leaves out reads as empty::

    check: storage_default_class_unique
    cases:
      - name: one default class
        settings: {job: 5}
        kube:
          StorageClass: [{metadata: {name: local-path, annotations: {...}}}]
        keycloak:            # admin/realms/<realm>/<path> -> value ('' is the realm itself)
          "": {realm: jdoe, accessTokenLifespan: 300}
        keycloak_all:        # paginated collections: path -> list
          users: []
        reads: []            # any other read, as a recording stores it
        expect:
          - {status: pass, resource: {kind: StorageClass}, message: "only default"}
"""
from __future__ import annotations

from typing import Any

from .engine.plugins import load_registry
from .engine.registry import Registry
from .engine.runner import Runner
from .settings import Settings
from .sources.kinds import BY_KIND, KINDS, VERSIONED_GROUPS
from .sources.tape import Tape, read_key


def tape_from_case(case: dict, realm: str | None = None) -> Tape:
    """A replaying tape that serves the case's objects with the sources' own keys."""
    entries: dict[str, dict] = {}

    def put(source: str, op: str, params: dict, value: Any = None, error: dict | None = None):
        outcome = {"error": error} if error else {"value": value}
        entries[read_key(source, op, params)] = {"source": source, "op": op, "params": params,
                                                 **outcome}

    put("kube", "version", {}, {"major": "1", "minor": "36", "gitVersion": "v1.36.3"})
    for group in VERSIONED_GROUPS:
        version = next(k.version for k in KINDS if k.group == group)
        put("kube", "group", {"group": group}, version)
    kube = case.get("kube") or {}
    unknown = set(kube) - set(BY_KIND)
    if unknown:
        raise ValueError(f"case {case.get('name')!r}: unknown kinds {sorted(unknown)}")
    for kind in KINDS:
        items = [dict(item, kind=kind.kind) for item in kube.get(kind.kind, [])]
        put("kube", "list", {"kind": kind.kind, "namespace": None, "labelSelector": None,
                             "fieldSelector": None}, items)
    base = f"admin/realms/{realm}" if realm else None
    for path, value in (case.get("keycloak") or {}).items():
        put("keycloak", "get", {"path": base + (f"/{path}" if path else ""), "params": {}}, value)
    for path, value in (case.get("keycloak_all") or {}).items():
        put("keycloak", "get_all", {"path": f"{base}/{path}", "params": {}}, value)
    for read in case.get("reads") or []:
        put(read["source"], read["op"], read["params"], read.get("value"), read.get("error"))
    return Tape("replay", entries, manifest={"settings": case.get("settings") or {}})


def case_settings(case: dict) -> Settings:
    values = {"keycloak_url": "http://keycloak.invalid", "realm": "jdoe", "job": 5,
              **(case.get("settings") or {})}
    return Settings(**values)


def run_case(check_id: str, case: dict, registry: Registry | None = None) -> list:
    """The findings of ``check_id`` on the case's recorded state."""
    registry = registry or load_registry()
    settings = case_settings(case)
    tape = tape_from_case(case, settings.effective_realm)
    runner = Runner(registry, {"settings": settings, "tape": tape}, timeout=10)
    try:
        return runner.run([registry.checks[check_id]])[0].findings
    finally:
        runner.close()


def matches(finding, expected: dict) -> bool:
    """Does ``finding`` meet the expectation (status, resource fields, message part, cause)?"""
    if finding.status.value != expected["status"]:
        return False
    resource = finding.resource.to_dict()
    if any(resource.get(k) != v for k, v in (expected.get("resource") or {}).items()):
        return False
    if "message" in expected and expected["message"].lower() not in finding.message.lower():
        return False
    return expected.get("cause", finding.cause) == finding.cause
