"""Packing a bundle folder into a .tar.gz, and opening one safely for ``--from``.

Opening refuses, with a one-line ConfigError: members with absolute paths or ``..``, links,
devices and anything but regular files and folders, more than ``max_members`` members, a member
above ``max_member_bytes``, more than ``max_total_bytes`` in all, and truncated or corrupted
archives. The archive is read as a stream, each header checked before its data is read, and
every file is created (exclusively, without following links) inside a fresh temporary folder,
which is removed again when anything is refused.
"""
from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..sources.errors import ConfigError

BUNDLE_KIND = "kfdoctor-bundle"
RECORDING_DIR = "recording"
CHUNK = 1 << 16


@dataclass(frozen=True)
class ExtractLimits:
    max_members: int = 10_000
    max_member_bytes: int = 512 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a file (a bundle archive) rather than a folder."""
    return Path(path).is_file()


def pack(folder: Path, output: Path, root: str) -> None:
    """``folder``'s files into ``output`` (.tar.gz) under ``root/``, written atomically."""
    output = Path(output)
    temporary = output.with_name(f".{output.name}.tmp{os.getpid()}")
    try:
        with tarfile.open(temporary, "w:gz", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(folder.rglob("*")):
                name = f"{root}/{path.relative_to(folder).as_posix()}"
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o755 if path.is_dir() else 0o644
                if path.is_file():
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
                elif path.is_dir():
                    tar.addfile(info)
        os.replace(temporary, output)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the bundle {output}: {error.strerror or error}") from None


def _member_path(name: str, origin: str) -> PurePosixPath:
    if "\x00" in name or "\\" in name:
        raise ConfigError(f"--from {origin}: refused: member {name!r} has a bad character in its name")
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/"):
        raise ConfigError(f"--from {origin}: refused: member {name!r} has an absolute path")
    parts = [p for p in path.parts if p not in ("", ".")]
    if ".." in parts:
        raise ConfigError(f"--from {origin}: refused: member {name!r} escapes the bundle folder (..)")
    if not parts:
        return PurePosixPath(".")
    return PurePosixPath(*parts)


def extract(archive: Path, destination: Path, limits: ExtractLimits = ExtractLimits()) -> None:
    """Extract ``archive`` into the existing empty folder ``destination``, checking every member."""
    origin = str(archive)
    dest = destination.resolve()
    count = total = 0
    try:
        with tarfile.open(archive, "r|*") as tar:
            for member in tar:
                count += 1
                if count > limits.max_members:
                    raise ConfigError(f"--from {origin}: refused: more than {limits.max_members} members")
                rel = _member_path(member.name, origin)
                if not (member.isreg() or member.isdir()):
                    what = "a link" if (member.issym() or member.islnk()) else "a device or special file"
                    raise ConfigError(f"--from {origin}: refused: member {member.name!r} is {what}")
                if member.size > limits.max_member_bytes:
                    raise ConfigError(f"--from {origin}: refused: member {member.name!r} is "
                                      f"{member.size} bytes, above the bound of {limits.max_member_bytes}")
                total += member.size
                if total > limits.max_total_bytes:
                    raise ConfigError(f"--from {origin}: refused: more than {limits.max_total_bytes} "
                                      "bytes in all")
                target = dest.joinpath(*rel.parts) if rel.parts != (".",) else dest
                _inside(target, dest, member.name, origin)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    _inside(target.resolve(), dest, member.name, origin)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                _inside(target.parent.resolve(), dest, member.name, origin)
                source = tar.extractfile(member)
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                try:
                    fd = os.open(target, flags, 0o600)
                except FileExistsError:
                    raise ConfigError(f"--from {origin}: refused: member {member.name!r} appears "
                                      "twice") from None
                written = 0
                with os.fdopen(fd, "wb") as out:
                    while True:
                        chunk = source.read(CHUNK)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > member.size:
                            raise ConfigError(f"--from {origin}: refused: member {member.name!r} "
                                              "is larger than its header says")
                        out.write(chunk)
                if written != member.size:
                    raise ConfigError(f"--from {origin}: the bundle is truncated (member "
                                      f"{member.name!r} is cut short)")
    except ConfigError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as error:
        if isinstance(error, OSError) and error.filename and not isinstance(error, (EOFError,)) \
                and "gzip" not in str(error).lower():
            raise ConfigError(f"--from {origin}: cannot extract: {error.strerror or error}") from None
        raise ConfigError(f"--from {origin}: not a readable bundle: the archive is truncated or "
                          f"corrupted ({type(error).__name__}: {str(error)[:200] or 'no detail'})") from None
    if count == 0:
        raise ConfigError(f"--from {origin}: not a kfdoctor bundle: the archive is empty")


def _inside(path: Path, dest: Path, name: str, origin: str) -> None:
    try:
        path.relative_to(dest)
    except ValueError:
        raise ConfigError(f"--from {origin}: refused: member {name!r} escapes the bundle folder") from None


def bundle_root(folder: Path) -> Path:
    """The folder of an extracted bundle (holding its manifest.json): ``folder`` or its only child."""
    if (folder / "manifest.json").is_file():
        return folder
    children = [c for c in folder.iterdir()]
    if len(children) == 1 and children[0].is_dir() and not children[0].is_symlink() \
            and (children[0] / "manifest.json").is_file():
        return children[0]
    return folder


def recording_folder(folder: Path) -> Path:
    """The recording inside a bundle folder, or ``folder`` itself when it is a recording."""
    root = bundle_root(folder)
    if (root / RECORDING_DIR / "manifest.json").is_file():
        return root / RECORDING_DIR
    return root


def open_bundle(archive: Path, limits: ExtractLimits = ExtractLimits()):
    """A replaying Tape from a bundle archive; the extraction folder is removed afterwards."""
    from ..sources.tape import Tape

    workdir = Path(tempfile.mkdtemp(prefix="kfdoctor-bundle-"))
    try:
        extract(Path(archive), workdir, limits)
        return Tape.load(recording_folder(workdir))
    except ConfigError as error:
        message = str(error).replace(str(recording_folder(workdir)) if workdir.exists() else "\0",
                                     str(archive))
        raise ConfigError(message) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
