"""`kfdoctor demo` replays the recorded broken job: findings, an HTML report, exit 1."""
import subprocess
import sys

GUIDE_PROBLEMS = {"node_inotify_limits", "storage_vault_class_present", "storage_pvc_bound",
                  "keycloak_audience_mapper", "keycloak_token_lifespan",
                  "keycloak_users_email_verified", "access_gotty_header_conflict",
                  "kserve_domain_configured"}


def test_demo_prints_the_findings_writes_the_report_and_exits_1(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kfdoctor", "demo"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    failing = {line.split()[1] for line in proc.stdout.splitlines() if line.startswith("FAIL")}
    assert len(failing & GUIDE_PROBLEMS) >= 5, failing
    report = (tmp_path / "kfdoctor-report.html").read_text()
    assert "keycloak_audience_mapper" in report and "<html" in report
    assert "error" not in {line.split()[0].lower() for line in proc.stdout.splitlines() if line}
