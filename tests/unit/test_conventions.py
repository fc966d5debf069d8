"""The conventions of design.md section 8, enforced on every check and remediation."""
import inspect
from pathlib import Path

import pytest
import yaml

from kfdoctor.engine.plugins import load_registry

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = load_registry()
CHECKS = sorted(REGISTRY.checks.values(), key=lambda c: c.id)


@pytest.mark.parametrize("spec", CHECKS, ids=lambda s: s.id)
def test_check_id_is_module_name_is_function_name_in_its_area(spec):
    module = inspect.getmodule(spec.func)
    assert module.__name__.startswith("kfdoctor.checks.")
    *_, area, module_name = module.__name__.split(".")
    assert spec.id == spec.func.__name__ == module_name
    assert spec.area == area, f"{spec.id} lives in checks/{area}/ but its id says {spec.area}"


@pytest.mark.parametrize("spec", CHECKS, ids=lambda s: s.id)
def test_check_docstring_has_title_and_sections(spec):
    assert spec.title and not spec.title.startswith("#")
    assert spec.section("Why it matters"), f"{spec.id}: no '## Why it matters'"
    assert spec.section("Manual fix"), f"{spec.id}: no '## Manual fix'"


@pytest.mark.parametrize("spec", CHECKS, ids=lambda s: s.id)
def test_check_has_a_case_file_with_passing_and_failing_cases(spec):
    path = ROOT / "tests" / "checks" / "cases" / f"{spec.id}.yaml"
    assert path.exists(), f"no case file {path.relative_to(ROOT)}"
    cases = yaml.safe_load(path.read_text())
    assert cases["check"] == spec.id
    statuses = {e["status"] for case in cases["cases"] for e in case["expect"]}
    assert "pass" in statuses, f"{spec.id}: no passing case"
    assert statuses & {"fail", "warn"}, f"{spec.id}: no failing case"


def test_every_remediation_targets_an_existing_check_from_its_own_module():
    for check_id, spec in REGISTRY.remediations.items():
        assert check_id in REGISTRY.checks
        module = inspect.getmodule(spec.func).__name__
        assert module.startswith("kfdoctor.remediations.") and module.endswith(f".{check_id}"), \
            f"remediation of {check_id} lives in {module}"
        assert spec.doc, f"remediation of {check_id} has no docstring saying what it does"


def test_every_fixture_has_a_docstring():
    for name, spec in REGISTRY.fixtures.items():
        assert inspect.getdoc(spec.func), f"fixture {name} has no docstring"
