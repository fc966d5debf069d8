"""The wheel ships every check, remediation, fixture, template and example."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel",
                           "--outdir", str(out), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (path,) = out.glob("kfdoctor-*.whl")
    return zipfile.ZipFile(path)


def shipped_as(folder: str, package: str, suffixes) -> list[tuple[Path, str]]:
    files = [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in suffixes
             and "__pycache__" not in p.parts]
    return [(p, f"kfdoctor/{package}/{p.relative_to(ROOT / folder).as_posix()}") for p in files]


@pytest.mark.parametrize("folder,package,suffixes", [
    ("checks", "checks", {".py"}),
    ("remediations", "remediations", {".py"}),
    ("reports", "reports", {".py", ".j2", ".css", ".js"}),
    ("kfdoctor", "", {".py"}),
    ("examples", "examples", {".py", ".json"}),
])
def test_every_file_is_in_the_wheel(wheel, folder, package, suffixes):
    names = set(wheel.namelist())
    expected = shipped_as(folder, package, suffixes)
    assert expected, f"nothing found under {folder}/"
    missing = [str(p.relative_to(ROOT)) for p, name in expected
               if name.replace("kfdoctor//", "kfdoctor/") not in names]
    assert not missing, f"missing from the wheel: {missing}"


def test_the_wheel_declares_the_plugin_entry_point_and_the_script(wheel):
    meta = {n: wheel.read(n).decode() for n in wheel.namelist() if n.endswith("entry_points.txt")}
    (text,) = meta.values()
    assert "[kfdoctor]" in text and "builtin = kfdoctor.builtin" in text
    assert "kfdoctor = kfdoctor.cli.main:run" in text


def test_every_package_directory_is_listed_in_pyproject():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    mapping = {"checks": "kfdoctor.checks", "remediations": "kfdoctor.remediations",
               "reports": "kfdoctor.reports", "examples": "kfdoctor.examples", "kfdoctor": "kfdoctor"}
    for top, package in mapping.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            name = ".".join((package, *rel)) if rel else package
            assert name in listed, f"{name} ({init.parent.relative_to(ROOT)}) is not listed"
