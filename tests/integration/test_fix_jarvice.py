"""kfdoctor fix jarvice_job_state against the stand-in JARVICE API."""
import pytest

from tests.integration.fixhelp import cli

pytestmark = pytest.mark.integration


def test_resume_again_and_undo(kube_job, jarvice_api, tmp_path):
    seeded = kube_job()
    job = next(iter(jarvice_api.jobs.values()))
    job.suspend()
    args = ["--kubeconfig", str(seeded.kubeconfig), "--jarvice-url", jarvice_api.url, "--jarvice-user", jarvice_api.username,
            "--job", str(job.number), "jarvice_job_state"]
    env = {"KFDOCTOR_JARVICE_APIKEY": jarvice_api.apikey}
    try:
        quiet = cli("fix", *args, env=env)
        assert "nothing changed" in quiet.stdout and job.substatus_text
        result = cli("fix", *args, "--yes", "--journal", tmp_path / "j.json", env=env)
        assert result.exit_code == 0, result.stdout
        assert "FIXED" in result.stdout and job.substatus_text == ""
        again = cli("fix", *args, "--yes", env=env)
        assert "nothing to fix" in again.stdout
        undone = cli("fix", "--undo", tmp_path / "j.json", *args[:2], env=env)
        assert undone.exit_code == 0, undone.stdout
        assert "suspended by user" in job.substatus_text.lower()
    finally:
        job.resume()
