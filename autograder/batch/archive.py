"""Unpacking a .zip safely: an LMS download, or a student's own .zip inside one.

Nothing in an archive is trusted: names are checked before anything is written
(no absolute names, no ``..``, no drive letters or backslashes, no links, no
duplicates), and sizes are counted as bytes are written, not read from the
archive's headers, so a forged header cannot get past the limits.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.errors import SubmissionError

JUNK = ("__MACOSX", ".DS_Store", "Thumbs.db")
CHUNK = 1 << 16


@dataclass(frozen=True)
class ZipLimits:
    """How much one archive may unpack to."""

    max_files: int = 20_000
    max_total_mb: float = 2048
    max_file_mb: float = 512


# A whole class's download, and one student's own .zip inside it.
DOWNLOAD_LIMITS = ZipLimits()
STUDENT_LIMITS = ZipLimits(max_files=500, max_total_mb=200, max_file_mb=100)


def extract_zip(archive: Path, dest: Path, *, limits: ZipLimits = DOWNLOAD_LIMITS) -> list[Path]:
    """Unpack ``archive`` into the empty or new folder ``dest``; return the files written.

    Raises SubmissionError naming the archive and the first problem; on error
    nothing of the archive is left in ``dest``.
    """
    archive, dest = Path(archive), Path(dest)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = _checked_members(archive, zf, limits)
            dest.mkdir(parents=True, exist_ok=True)
            written = []
            try:
                budget = [int(limits.max_total_mb * 2**20)]
                for info, parts in members:
                    target = dest.joinpath(*parts)
                    if info.is_dir():
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _copy_member(archive, zf, info, target, limits, budget)
                    written.append(target)
            except BaseException:
                for child in list(dest.iterdir()):
                    shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
                raise
            return written
    except zipfile.BadZipFile as e:
        raise SubmissionError(f"{archive}: not a readable .zip file ({e})") from None
    except (RuntimeError, NotImplementedError) as e:  # encrypted members, unknown compression
        raise SubmissionError(f"{archive}: cannot be unpacked ({e})") from None


def _checked_members(archive: Path, zf: zipfile.ZipFile, limits: ZipLimits) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    infos = zf.infolist()
    if len(infos) > limits.max_files:
        raise SubmissionError(f"{archive}: holds {len(infos):,} entries, more than the limit of {limits.max_files:,}")
    seen: set[str] = set()
    members = []
    for info in infos:
        parts = safe_parts(info.filename)
        if parts is None:
            raise SubmissionError(f"{archive}: entry {info.filename[:200]!r} has an unsafe name (absolute, '..' or a drive)")
        if any(p in JUNK or p.startswith("._") for p in parts):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            raise SubmissionError(f"{archive}: entry {info.filename[:200]!r} is a symbolic link; links are not unpacked")
        if info.flag_bits & 0x1:
            raise SubmissionError(f"{archive}: entry {info.filename[:200]!r} is encrypted")
        key = "/".join(parts).casefold()
        if key in seen:
            raise SubmissionError(f"{archive}: entry {info.filename[:200]!r} appears twice")
        seen.add(key)
        members.append((info, parts))
    return members


def safe_parts(name: str) -> tuple[str, ...] | None:
    """The path parts of an archive entry name, or None when it could escape the folder."""
    if not name or "\\" in name or "\0" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if not parts or any(p == ".." for p in parts):
        return None
    return parts


def _copy_member(archive: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limits: ZipLimits,
                 budget: list[int]) -> None:
    """Copy one member, counting real bytes against the per-file and total limits."""
    per_file = int(limits.max_file_mb * 2**20)
    size = 0
    with zf.open(info) as src, open(target, "xb") as out:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            budget[0] -= len(chunk)
            if size > per_file:
                raise SubmissionError(f"{archive}: entry {info.filename[:200]!r} unpacks to more than "
                                      f"{limits.max_file_mb:g} MB")
            if budget[0] < 0:
                raise SubmissionError(f"{archive}: unpacks to more than {limits.max_total_mb:g} MB in all")
            out.write(chunk)
