"""``kfdoctor bundle``: run the checks in record mode, collect logs and events, redact, pack.

Layout of a bundle (``kfdoctor-bundle-<time>/`` inside the .tar.gz)::

    manifest.json      kind kfdoctor-bundle: version, time, what was collected, what was
                       skipped and why (RBAC forbidden: the permission and the kubectl grant)
    recording/         the recorded reads (manifest.json + reads.json): kfdoctor check --from
    results.json       the run (schema kfdoctor/results/v1)
    report.html        the HTML report of the run
    events.json        events of the relevant namespaces (the most recent, bounded)
    logs/NS/POD/C.log  the tail of each failing container's log (bounded by lines and bytes)
    redactions.json    every redaction: file, read, JSON path or line, kind; never the value
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .. import __version__
from ..engine.model import Skipped
from ..sources.errors import ConfigError, Forbidden, NotFound, SourceError
from ..sources.tape import MANIFEST_FILE, READS_FILE, Tape, read_key
from .archive import BUNDLE_KIND, RECORDING_DIR, pack
from .redact import Redactor, inventory_json, inventory_text

KUBEFLOW_NAMESPACES = ("kubeflow", "istio-system", "auth", "oauth2-proxy", "knative-serving",
                       "kserve", "cert-manager", "kubeflow-user-example-com")
FAILING_REASONS = {"CrashLoopBackOff", "Error", "ImagePullBackOff", "ErrImagePull",
                   "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
                   "OOMKilled", "ContainerCannotRun", "InvalidImageName"}


@dataclass(frozen=True)
class Limits:
    log_lines: int = 200           # per container log
    log_bytes: int = 65536         # per container log
    max_pods: int = 20             # failing pods whose logs are collected
    max_containers: int = 60       # container logs in all
    max_log_total: int = 4 << 20   # bytes of logs in all
    max_events: int = 2000         # the most recent events of the relevant namespaces


def _safe_name(text: Any) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", str(text or "_"))[:120].lstrip(".")
    return name or "_"


def _tail(text: str, lines: int, limit: int) -> str:
    """The last ``lines`` lines and at most ``limit`` bytes (UTF-8) of ``text``."""
    kept = text.splitlines(keepends=True)[-lines:] if lines > 0 else []
    data = "".join(kept).encode("utf-8", "replace")
    if len(data) > limit:
        data = data[-limit:]
        cut = data.find(b"\n")
        data = data[cut + 1:] if 0 <= cut < len(data) - 1 else data
    return data.decode("utf-8", "ignore")


def failing_containers(pod: dict) -> list[tuple[str, bool, str]]:
    """(container, previous log wanted, why) for each failing or restarting container."""
    status = pod.get("status") or {}
    out = []
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = cs.get("state") or {}
        waiting = (state.get("waiting") or {}).get("reason")
        terminated = state.get("terminated") or {}
        restarts = int(cs.get("restartCount") or 0)
        why = None
        if waiting in FAILING_REASONS:
            why = f"waiting: {waiting}"
        elif terminated and terminated.get("exitCode", 0) != 0:
            why = f"terminated: exit code {terminated.get('exitCode')} ({terminated.get('reason', '')})"
        elif restarts > 0:
            why = f"restarted {restarts} times"
        elif status.get("phase") == "Running" and not cs.get("ready", True) and cs.get("started") is not None:
            why = "not ready"
        if why:
            out.append((cs.get("name", "?"), restarts > 0, why))
    if not out and status.get("phase") in ("Failed", "Unknown"):
        containers = ((pod.get("spec") or {}).get("containers") or [{}])
        out.append((containers[0].get("name", "?"), False, f"pod phase {status.get('phase')}"))
    return out


def _restarts(pod: dict) -> int:
    return sum(int(cs.get("restartCount") or 0)
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def _event_time(event: dict) -> str:
    meta = event.get("metadata") or {}
    return str(event.get("lastTimestamp") or event.get("eventTime") or
               (event.get("series") or {}).get("lastObservedTime") or
               event.get("firstTimestamp") or meta.get("creationTimestamp") or "")


def _skip_entry(what: str, error: BaseException) -> dict:
    entry = {"what": what, "why": str(error) or type(error).__name__, "error": type(error).__name__}
    if isinstance(error, Forbidden):
        entry.update(permission=error.permission, grant=error.grant)
    return entry


class _Collector:
    def __init__(self, session, redactor: Redactor, limits: Limits):
        self.session = session
        self.redactor = redactor
        self.limits = limits
        self.skipped: list[dict] = []

    def fixture(self, name: str, what: str) -> Any:
        """The value of fixture ``name``, or None (noted as skipped) when it cannot be had."""
        from ..engine.fixtures import FixtureFailed

        if name not in self.session.registry.fixtures:
            return None
        try:
            return self.session.get(name)
        except FixtureFailed as failed:
            self.skipped.append(_skip_entry(what, failed.error))
        except Skipped as skipped:
            self.skipped.append({"what": what, "why": skipped.reason, "error": "Skipped"})
        return None

    def namespaces(self, rows: list[dict]) -> list[str]:
        names = {(r.get("resource") or {}).get("namespace") for r in rows} - {None, ""}
        names |= set(KUBEFLOW_NAMESPACES)
        settings = self.session.get("settings")
        if getattr(settings, "jarvice_user", None):
            names.add(settings.jarvice_user)
        try:
            listed = self.session.get("namespaces")
        except Exception:  # noqa: BLE001 - namespaces are a refinement only
            listed = None
        if listed:
            existing = {(n.get("metadata") or {}).get("name") for n in listed}
            profiles = {(n.get("metadata") or {}).get("name") for n in listed
                        if ((n.get("metadata") or {}).get("labels") or {}).get(
                            "app.kubernetes.io/part-of") == "kubeflow-profile"}
            names = (names & existing) | profiles
        return sorted(n for n in names if n)

    def events(self, namespaces: list[str]) -> tuple[list[dict], int] | None:
        events = self.fixture("events", "events (kube list Event)")
        if events is None:
            return None
        wanted = set(namespaces)
        relevant = [e for e in events if (e.get("metadata") or {}).get("namespace") in wanted]
        relevant.sort(key=_event_time, reverse=True)
        return relevant[:self.limits.max_events], len(relevant)

    def logs(self, namespaces: list[str], folder: Path) -> list[dict]:
        kube = self.fixture("kube", "pod logs (the Kubernetes API)")
        pods = self.fixture("pods", "pod logs (kube list Pod)") if kube is not None else None
        if not pods:
            return []
        wanted = set(namespaces)
        failing = [(p, failing_containers(p)) for p in pods
                   if (p.get("metadata") or {}).get("namespace") in wanted]
        failing = [(p, c) for p, c in failing if c]
        failing.sort(key=lambda pc: (-_restarts(pc[0]), (pc[0].get("metadata") or {}).get("namespace", ""),
                                     (pc[0].get("metadata") or {}).get("name", "")))
        if len(failing) > self.limits.max_pods:
            self.skipped.append({"what": f"logs of {len(failing) - self.limits.max_pods} more failing pods",
                                 "why": f"bounded by --max-pods {self.limits.max_pods}", "error": "Bound"})
        collected, total, containers = [], 0, 0
        for pod, which in failing[:self.limits.max_pods]:
            meta = pod.get("metadata") or {}
            ns, name = meta.get("namespace", ""), meta.get("name", "")
            for container, restarted, why in which:
                for previous in ((False, True) if restarted else (False,)):
                    label = f"{ns}/{name}/{container}{' (previous)' if previous else ''}"
                    if containers >= self.limits.max_containers or total >= self.limits.max_log_total:
                        self.skipped.append({"what": f"log of {label}", "why": "the bundle's log budget "
                                             f"({self.limits.max_containers} logs, {self.limits.max_log_total} bytes) is spent",
                                             "error": "Bound"})
                        continue
                    try:
                        text = kube.logs(ns, name, container, tail_lines=self.limits.log_lines,
                                         limit_bytes=self.limits.log_bytes, previous=previous)
                    except SourceError as error:
                        self.skipped.append(_skip_entry(f"log of {label}", error))
                        continue
                    bound = min(self.limits.log_bytes, self.limits.max_log_total - total)
                    # cut, redact, cut again: markers are longer than some secrets
                    text = _tail(str(text or ""), self.limits.log_lines, 2 * bound + 4096)
                    text = _tail(self.redactor.text(text), self.limits.log_lines, bound)
                    rel = Path("logs") / _safe_name(ns) / _safe_name(name) / \
                        (_safe_name(container) + (".previous" if previous else "") + ".log")
                    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                    (folder / rel).write_text(text, encoding="utf-8")
                    size = len(text.encode("utf-8"))
                    total += size
                    containers += 1
                    collected.append({"file": rel.as_posix(), "namespace": ns, "pod": name,
                                      "container": container, "previous": previous, "why": why,
                                      "lines": text.count("\n"), "bytes": size})
        return collected


def _tape_skips(tape: Tape) -> tuple[list[dict], list[dict]]:
    skipped, absent = [], []
    for entry in tape.entries.values():
        error = entry.get("error")
        if not error:
            continue
        what = f"{entry['source']} {entry['op']} " + json.dumps(entry["params"], sort_keys=True, default=str)
        item = {"what": what, "why": error.get("message", ""), "error": error.get("type", "")}
        for attr in ("permission", "grant"):
            if error.get(attr):
                item[attr] = error[attr]
        (absent if error.get("type") == NotFound.__name__ else skipped).append(item)
    return skipped, absent


def _not_configured(settings) -> list[dict]:
    out = []
    if not getattr(settings, "keycloak_url", None):
        out.append({"what": "Keycloak", "why": "not configured (--keycloak-url)", "error": "NotConfigured"})
    if not (getattr(settings, "jarvice_url", None) and getattr(settings, "jarvice_user", None)):
        out.append({"what": "JARVICE API", "why": "not configured (--jarvice-url, --jarvice-user)",
                    "error": "NotConfigured"})
    if not getattr(settings, "appdef", None):
        out.append({"what": "AppDef", "why": "not given (--appdef)", "error": "NotConfigured"})
    return out


def _dump(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1, default=str), encoding="utf-8")


def make_bundle(settings, selection, output: Path, limits: Limits = Limits(), registry=None,
                on_progress: Callable[[str], None] | None = None) -> dict:
    """Run, collect and write the bundle to ``output`` (.tar.gz, or a new folder)."""
    from ..engine.results import RunResult
    from ..reporting.html import render_html
    from ..run import execute

    output = Path(output)
    archive = output.name.endswith((".tar.gz", ".tgz"))
    if not archive and output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise ConfigError(f"-o {output}: give a FILE.tar.gz, or a folder that does not exist yet")
    say = on_progress or (lambda text: None)
    redactor = Redactor([settings.keycloak_password, settings.jarvice_apikey,
                         getattr(settings, "probe_password", "")])
    tape = Tape("record", redact=redactor)
    say("running the checks (recording every read)")
    outcome = execute(settings, selection, tape, origin=None, registry=registry)
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    stamp = created.replace(":", "").replace("-", "").replace("+0000", "Z")
    work = Path(tempfile.mkdtemp(prefix="kfdoctor-bundle-"))
    root = work / f"kfdoctor-bundle-{stamp[:15]}"
    root.mkdir(mode=0o700)
    try:
        collector = _Collector(outcome.runner.session, redactor, limits)
        namespaces = collector.namespaces(outcome.result.results)
        say(f"collecting logs of failing pods and events in {len(namespaces)} namespaces")
        logs = collector.logs(namespaces, root)
        events = collector.events(namespaces)
        outcome.runner.close()
        # -- everything below is redacted before it is written ----------------------------
        if events is not None:
            kept, total = events
            _dump(root / "events.json", redactor.data(kept))
        results = redactor.data(outcome.result.to_dict())
        public = redactor.data(settings.public())
        entries = []
        for entry in sorted(tape.entries.values(), key=lambda e: read_key(e["source"], e["op"], e["params"])):
            clean = dict(entry)
            clean["params"] = redactor.data(entry["params"])
            if "value" in entry:
                clean["value"] = redactor.data(entry["value"])     # again: secrets learned later
            if "error" in entry:
                clean["error"] = redactor.data(entry["error"])
            entries.append(clean)
        # Values learned from the last pass: scrub once more so no secret seen anywhere remains.
        entries = [redactor.data(e) for e in entries]
        results = redactor.data(results)
        recording = root / RECORDING_DIR
        recording.mkdir()
        _dump(recording / READS_FILE, entries)
        _dump(recording / MANIFEST_FILE, {"kind": "kfdoctor-recording", "version": 1,
                                          "created_at": created, "reads": len(entries),
                                          "settings": public})
        _dump(root / "results.json", results)
        html = redactor.known_only(render_html(RunResult.from_dict(results), outcome.registry))
        (root / "report.html").write_text(html, encoding="utf-8")
        for log in logs:   # secrets learned after a log was written
            path = root / log["file"]
            path.write_text(redactor.known_only(path.read_text(encoding="utf-8")), encoding="utf-8")
        skipped, absent = _tape_skips(tape)
        skipped = collector.skipped + [s for s in skipped if s not in collector.skipped] \
            + _not_configured(settings)
        skipped = redactor.data(skipped)
        redactions = []
        for entry in entries:
            redactions += inventory_json(f"{RECORDING_DIR}/{READS_FILE}",
                                         {k: entry.get(k) for k in ("params", "value", "error") if k in entry},
                                         read=read_key(entry["source"], entry["op"], entry["params"]))
        redactions += inventory_json(f"{RECORDING_DIR}/{MANIFEST_FILE}", public)
        redactions += inventory_json("results.json", results)
        redactions += inventory_text("report.html", html)
        if events is not None:
            redactions += inventory_json("events.json", json.loads((root / "events.json").read_text()))
        for log in logs:
            redactions += inventory_text(log["file"], (root / log["file"]).read_text(encoding="utf-8"))
        _dump(root / "redactions.json", {"count": len(redactions),
                                         "note": "where each secret was replaced by a marker "
                                                 "[REDACTED:kind:tag]; values are never listed",
                                         "redactions": redactions})
        collected = [{"what": "recorded reads", "file": f"{RECORDING_DIR}/{READS_FILE}", "count": len(entries)},
                     {"what": "results", "file": "results.json", "count": len(results.get("results", []))},
                     {"what": "HTML report", "file": "report.html"},
                     {"what": "logs of failing pods", "files": [l["file"] for l in logs],
                      "containers": logs, "bounds": {"lines": limits.log_lines, "bytes": limits.log_bytes,
                                                     "pods": limits.max_pods}}]
        if events is not None:
            collected.append({"what": "events", "file": "events.json", "count": len(events[0]),
                              "of": events[1], "namespaces": namespaces, "bound": limits.max_events})
        manifest = {"kind": BUNDLE_KIND, "version": 1, "kfdoctor_version": __version__,
                    "created_at": created, "phase": selection.phase,
                    "selection": redactor.data(asdict(selection)), "settings": public,
                    "summary": results.get("summary"), "collected": collected,
                    "skipped": skipped, "absent": redactor.data(absent),
                    "limits": asdict(limits),
                    "redaction": {"on": True, "file": "redactions.json", "count": len(redactions)}}
        _dump(root / "manifest.json", manifest)
        files = sum(1 for p in root.rglob("*") if p.is_file())
        if archive:
            pack(root, output, root.name)
        else:
            shutil.copytree(root, output, dirs_exist_ok=True)
        return {"files": files, "redactions": len(redactions), "skipped": skipped,
                "result": outcome.result, "manifest": manifest}
    finally:
        outcome.runner.close()
        shutil.rmtree(work, ignore_errors=True)
