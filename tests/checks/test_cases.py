"""Every check against its case files: the findings expected, no more, no fewer."""
from pathlib import Path

import pytest
import yaml

from kfdoctor.testing import matches, run_case

CASES = Path(__file__).parent / "cases"


def all_cases():
    for path in sorted(CASES.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        for case in spec["cases"]:
            yield pytest.param(spec["check"], case, id=f"{spec['check']}:{case['name']}")


@pytest.mark.parametrize("check_id,case", list(all_cases()))
def test_case(check_id, case, registry):
    findings = run_case(check_id, case, registry)
    unmatched = list(findings)
    for expected in case["expect"]:
        found = next((f for f in unmatched if matches(f, expected)), None)
        assert found is not None, f"expected {expected}, got {[(f.status.value, str(f.resource), f.message) for f in findings]}"
        unmatched.remove(found)
    assert not unmatched, f"unexpected findings: {[(f.status.value, str(f.resource), f.message) for f in unmatched]}"
    for finding in findings:
        assert finding.message and finding.resource.name, finding
