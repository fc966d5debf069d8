"""`kfdoctor --help` and `kfdoctor list` never import the kubernetes or keycloak clients."""
import subprocess
import sys

import pytest

PROBE = """
import sys
from kfdoctor.cli.main import app
try:
    app(args={args!r}, standalone_mode=False)
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'keycloak', 'urllib3', 'requests'))
print('HEAVY', heavy[:5], file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "-o", "json"], ["explain", "storage_default_class_unique"]])
def test_heavy_clients_are_not_imported(args):
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True,
                          text=True)
    assert "HEAVY []" in proc.stderr, proc.stderr[-2000:]
