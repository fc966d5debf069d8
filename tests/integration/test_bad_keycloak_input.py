"""A wrong Keycloak admin password is one clear line and exit 2, against the real Keycloak."""
import os
import subprocess
import sys


def test_wrong_keycloak_password(auth_servers):
    proc = subprocess.run(
        [sys.executable, "-m", "kfdoctor", "check", "-k", "keycloak", "--keycloak-url",
         auth_servers.keycloak_url, "--realm", auth_servers.realm],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env={**os.environ, "KFDOCTOR_KEYCLOAK_PASSWORD": "not-the-password"})
    assert proc.returncode == 2, proc.stderr
    assert "admin credentials" in proc.stderr and "rejected" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "not-the-password" not in proc.stderr + proc.stdout
