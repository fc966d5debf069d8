"""Opening a bundle for --from: hostile, truncated or corrupted archives are refused cleanly."""
from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from kfdoctor.bundle.archive import ExtractLimits, extract, open_bundle, pack
from kfdoctor.sources.errors import ConfigError
from kfdoctor.sources.tape import Tape


def recording_folder(root: Path) -> Path:
    bundle = root / "b"
    (bundle / "recording").mkdir(parents=True)
    (bundle / "manifest.json").write_text(json.dumps({"kind": "kfdoctor-bundle"}))
    (bundle / "recording" / "manifest.json").write_text(json.dumps({"kind": "kfdoctor-recording", "version": 1}))
    (bundle / "recording" / "reads.json").write_text(json.dumps([
        {"source": "kube", "op": "version", "params": {}, "value": {"gitVersion": "v1.31.0"}}]))
    return bundle


def tar_with(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_member(name: str, data: bytes = b"{}") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


@pytest.fixture
def guard(tmp_path):
    """Files anywhere under tmp_path's parent that were not there before the test body."""
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    yield outside
    assert list(outside.iterdir()) == [], "nothing written outside the extraction folder"


def test_a_packed_bundle_replays(tmp_path):
    archive = tmp_path / "b.tar.gz"
    pack(recording_folder(tmp_path), archive, "kfdoctor-bundle-x")
    tape = Tape.load(archive)
    assert tape.replaying and tape.read("kube", "version", {}, lambda: None) == {"gitVersion": "v1.31.0"}
    folder_tape = Tape.load(tmp_path / "b")          # the unpacked folder works as well
    assert folder_tape.entries == tape.entries


@pytest.mark.parametrize("name", ["../escape.json", "a/../../escape.json", "/tmp/abs-escape.json",
                                  "./../escape.json"])
def test_paths_escaping_the_folder_are_refused(tmp_path, guard, name):
    name = name.replace("escape", f"{guard.name}/escape")
    archive = tar_with(tmp_path / "bad.tar.gz", [file_member("b/manifest.json"), file_member(name)])
    with pytest.raises(ConfigError, match="refused"):
        open_bundle(archive)
    assert not (tmp_path.parent / guard.name / "escape.json").exists()
    assert not Path("/tmp/abs-escape.json").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_links_and_devices_are_refused(tmp_path, guard, kind):
    info = tarfile.TarInfo("b/recording")
    info.type = kind
    info.linkname = str(guard)
    archive = tar_with(tmp_path / "link.tar.gz", [(info, None), file_member("b/recording/reads.json", b"[]")])
    with pytest.raises(ConfigError, match="refused: member 'b/recording' is"):
        open_bundle(archive)


def test_huge_members_are_refused_before_their_data_is_read(tmp_path):
    info = tarfile.TarInfo("b/reads.json")
    info.size = 10 * 1024 * 1024
    path = tmp_path / "huge.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.addfile(info, io.BytesIO(b"\0" * info.size))
    with pytest.raises(ConfigError, match="above the bound"):
        open_bundle(path, ExtractLimits(max_member_bytes=1024 * 1024))


def test_too_many_members_and_too_many_bytes_are_refused(tmp_path):
    many = tar_with(tmp_path / "many.tar.gz", [file_member(f"b/f{i}.json") for i in range(50)])
    with pytest.raises(ConfigError, match="more than 20 members"):
        open_bundle(many, ExtractLimits(max_members=20))
    big = tar_with(tmp_path / "big.tar.gz", [file_member(f"b/f{i}.json", b"x" * 4000) for i in range(10)])
    with pytest.raises(ConfigError, match="bytes in all"):
        open_bundle(big, ExtractLimits(max_total_bytes=20000))


def test_truncated_and_corrupted_archives_are_refused_in_one_line(tmp_path):
    archive = tmp_path / "good.tar.gz"
    folder = recording_folder(tmp_path)
    (folder / "recording" / "reads.json").write_bytes(os.urandom(200000))  # incompressible
    pack(folder, archive, "kfdoctor-bundle-x")
    data = archive.read_bytes()
    cases = {"truncated": data[: len(data) // 2], "corrupted": data[:100] + bytes(b ^ 0xFF for b in data[100:400]) + data[400:],
             "not-gzip": b"this is not an archive at all" * 10, "empty": b"",
             "empty-tar": gzip.compress(b"\0" * 1024)}
    for name, content in cases.items():
        path = tmp_path / f"{name}.tar.gz"
        path.write_bytes(content)
        with pytest.raises(ConfigError) as raised:
            Tape.load(path)
        message = str(raised.value)
        assert "\n" not in message and str(path) in message, (name, message)
        assert any(w in message for w in ("truncated", "corrupted", "not a", "empty")), (name, message)


def test_an_archive_without_a_recording_is_refused(tmp_path):
    archive = tar_with(tmp_path / "other.tar.gz", [file_member("x/readme.txt", b"hello")])
    with pytest.raises(ConfigError, match="not a kfdoctor recording"):
        Tape.load(archive)


def test_extraction_leaves_nothing_behind_on_refusal(tmp_path, monkeypatch):
    import tempfile
    made = []
    real = tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    archive = tar_with(tmp_path / "bad.tar.gz", [file_member("b/manifest.json"), file_member("../x.json")])
    with pytest.raises(ConfigError):
        open_bundle(archive)
    assert made and not any(Path(m).exists() for m in made)


def test_the_cli_refuses_a_hostile_bundle_with_exit_2(tmp_path):
    from typer.testing import CliRunner

    from kfdoctor.cli.main import app

    archive = tar_with(tmp_path / "bad.tar.gz", [file_member("../../etc/evil.json")])
    outcome = CliRunner().invoke(app, ["check", "--from", str(archive)])
    assert outcome.exit_code == 2
    assert "refused" in outcome.output and "Traceback" not in outcome.output
