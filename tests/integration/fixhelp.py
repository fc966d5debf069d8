"""Helpers for the fix integration tests: run the CLI, snapshot objects field by field."""
from __future__ import annotations

import copy
import json
import threading
import time
from typing import Callable

from typer.testing import CliRunner

from kfdoctor.cli.main import app
from kfdoctor.settings import Settings
from kfdoctor.sources.kube import KubeOptions, KubeSource
from kfdoctor.sources.tape import Tape

VOLATILE = ("resourceVersion", "managedFields", "generation")


def cli(*args: str, env: dict | None = None):
    """Run kfdoctor in-process without a terminal; returns the click Result."""
    result = CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    return result


def cli_while(play: Callable[[], None], *args: str, every: float = 0.2):
    """Run kfdoctor in a thread while this one calls ``play`` every ``every`` seconds (the test
    acting as a controller kfdoctor waits for); returns the click Result."""
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(result=cli(*args)))
    thread.start()
    while thread.is_alive():
        time.sleep(every)
        play()
    thread.join()
    return out["result"]


def kube_args(seeded) -> list[str]:
    return ["--kubeconfig", str(seeded.kubeconfig)]


def kube(seeded) -> KubeSource:
    return KubeSource(Tape("live"), KubeOptions(str(seeded.kubeconfig))).open()


def stable(obj: dict) -> dict:
    """An object without the fields every write changes (for field-by-field comparison)."""
    obj = copy.deepcopy(obj)
    for key in VOLATILE:
        (obj.get("metadata") or {}).pop(key, None)
    return obj


def snapshot(seeded, *paths: str) -> dict:
    source = kube(seeded)
    out = {}
    for path in paths:
        try:
            out[path] = stable(source.read_fresh(path))
        except Exception as error:  # noqa: BLE001 - absent objects are part of the state
            out[path] = f"absent: {type(error).__name__}"
    return out


def versions(seeded, *paths: str) -> dict:
    source = kube(seeded)
    return {p: source.read_fresh(p)["metadata"]["resourceVersion"] for p in paths}


def fix_json(result) -> dict:
    """The RunResult JSON printed by `fix -o json`."""
    text = result.stdout
    return json.loads(text[text.index("{"):])


def settings_for(seeded, **extra) -> Settings:
    return Settings(kubeconfig=str(seeded.kubeconfig), **extra)
