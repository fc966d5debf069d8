"""Third-party checks load through the entry-point group `kfdoctor`, like the built-in ones."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''
from kfdoctor import Resource, check, ok
from kfdoctor.engine.plugins import hookimpl
import sys


@check(phase="pre-launch", tags={"thirdparty"})
def site_policy_ok(settings):
    """A site's own policy holds.

    ## Why it matters
    Demo.

    ## Manual fix
    Demo.
    """
    yield ok(Resource("Site", "here"), "the site policy holds")


@hookimpl
def kfdoctor_modules():
    return [sys.modules[__name__]]
'''


def test_a_plugin_installed_with_an_entry_point_adds_its_checks(tmp_path):
    (tmp_path / "site_plugin.py").write_text(PLUGIN)
    dist = tmp_path / "site_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: site-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[kfdoctor]\nsite = site_plugin\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    listing = subprocess.run([sys.executable, "-m", "kfdoctor", "list", "-o", "json"],
                             capture_output=True, text=True, env=env)
    ids = {row["id"] for row in json.loads(listing.stdout)}
    assert "site_policy_ok" in ids and "storage_default_class_unique" in ids
    run = subprocess.run([sys.executable, "-m", "kfdoctor", "check", "site_policy_ok", "-o", "json"],
                         capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["results"][0]["message"] == "the site policy holds"


def test_the_engine_never_imports_a_check_by_name():
    engine = "\n".join(p.read_text() for p in (ROOT / "kfdoctor").rglob("*.py"))
    assert not re.search(r"(import|from)\s+kfdoctor\.checks\.\w", engine)
    assert not re.search(r"import_module\(\s*[\"']kfdoctor\.checks\.\w", engine)
