"""A recording replays to the same findings as the live run that made it (real apiserver)."""
import json
import os
import subprocess
import sys

from tests.servers.job import JobSpec

from .live import cluster_settings

FAULTS = frozenset({"pending_pvc", "two_default_classes", "low_inotify", "job_suspended"})


def comparable(results_json: str) -> list:
    rows = json.loads(results_json)["results"]
    return sorted((r["check"], r["status"], json.dumps(r["resource"], sort_keys=True), r["message"],
                   json.dumps(r["evidence"], sort_keys=True), r["cause"]) for r in rows)


def test_replaying_a_recording_gives_the_findings_of_the_live_run(kube_job, jarvice_api, tmp_path):
    seeded = kube_job(JobSpec(faults=FAULTS))
    settings = cluster_settings(seeded, jarvice_api)
    args = ["--kubeconfig", settings.kubeconfig, "--job", str(settings.job), "--appdef",
            settings.appdef, "--host-root", settings.host_root, "--vault", settings.vault,
            "--jarvice-url", settings.jarvice_url, "--jarvice-user", settings.jarvice_user]
    env = {**os.environ, "KFDOCTOR_JARVICE_APIKEY": settings.jarvice_apikey}
    recording = tmp_path / "recording"
    live = subprocess.run([sys.executable, "-m", "kfdoctor", "check", *args, "--record",
                           str(recording), "-o", "json"], capture_output=True, text=True, env=env)
    assert live.returncode == 1, live.stderr  # the faults are found
    replay = subprocess.run([sys.executable, "-m", "kfdoctor", "check", "--from", str(recording),
                             "-o", "json"], capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if not k.startswith("KFDOCTOR")})
    assert replay.returncode == 1, replay.stderr
    assert comparable(replay.stdout) == comparable(live.stdout)
    live_rows = json.loads(live.stdout)["results"]
    assert {r["status"] for r in live_rows} >= {"fail", "pass"}
    assert json.loads(replay.stdout)["source"]["mode"] == "bundle"
    assert settings.jarvice_apikey not in (recording / "reads.json").read_text()
    assert settings.jarvice_apikey not in (recording / "manifest.json").read_text()
