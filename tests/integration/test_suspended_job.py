"""A suspended job's nested cluster does not answer: kfdoctor says the job is suspended."""
import os
import subprocess
import sys

import yaml


def test_unreachable_cluster_of_a_suspended_job_names_the_pause(jarvice_api, tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "job",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "job", "context": {"cluster": "c", "user": "u"}}]}))
    job = next(iter(jarvice_api.jobs.values()))
    job.suspend()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "kfdoctor", "check", "--kubeconfig", str(kubeconfig),
             "--job", str(job.number), "--jarvice-url", jarvice_api.url, "--jarvice-user",
             jarvice_api.username],
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
            env={**os.environ, "KFDOCTOR_JARVICE_APIKEY": jarvice_api.apikey})
    finally:
        job.resume()
    assert proc.returncode == 2, proc.stderr
    assert "unreachable" in proc.stderr and "suspended by user" in proc.stderr
    assert "Traceback" not in proc.stderr
