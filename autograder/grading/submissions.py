"""Find and read submissions: a notebook, a module, or a folder holding one."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from autograder.errors import SubmissionError
from autograder.files import parse_json_bounded

CODE_SUFFIXES = (".ipynb", ".py")
IGNORED = {"__pycache__", ".ipynb_checkpoints", ".git", ".github"}
FILE_BYTES_CAP = 128 << 20  # of a notebook or module: one with a 50 MB output still grades; parsing costs ~5x


@dataclass
class Submission:
    """One student's submission, read and validated on the trusted side."""

    student_id: str
    path: Path  # the notebook or module
    root: Path  # the folder copied into the worker (the file's folder for a bare file)
    kind: str  # "notebook" or "module"
    content_hash: str
    cells: list[dict] = field(default_factory=list)  # notebooks: [{"index", "number", "source"}] of code cells
    files: list[str] = field(default_factory=list)  # names in the submission folder (folders only)


def find_submissions(folder: Path) -> list[Path]:
    """Every submission in a batch folder, one per student, sorted by student id."""
    found = []
    for sid, paths in submissions_by_student(folder).items():
        if len(paths) > 1:
            raise SubmissionError(f"{folder}: two submissions for student {sid}: {paths[0].name} and {paths[1].name}")
        found.append(paths[0])
    return found


def submissions_by_student(folder: Path) -> dict[str, list[Path]]:
    """The notebooks, modules and folders in a batch folder, grouped by student id, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionError(f"{folder}: no such folder")
    found: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED:
            continue
        if entry.is_dir() or entry.suffix in CODE_SUFFIXES:
            found.setdefault(student_id_of(entry), []).append(entry)
    if not found:
        raise SubmissionError(f"{folder}: no submissions (.ipynb, .py or folders) in it")
    return found


def student_id_of(path: Path) -> str:
    return path.name if path.is_dir() else path.stem


def load_submission(path: Path, *, student_id: str | None = None) -> Submission:
    """Read a submission and check it can be run; raise SubmissionError if not."""
    path = Path(path)
    if path.is_symlink():
        raise SubmissionError(f"{path}: is a symbolic link; submit the file itself",
                              message_ko=f"{path}: 심볼릭 링크입니다. 파일 자체를 제출하세요")
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or folder", message_ko=f"{path}: 그런 파일이나 폴더가 없습니다")
    sid = student_id or student_id_of(path)
    digest = content_hash(path)
    if path.is_dir():
        root, files = path, sorted(p.name for p in path.iterdir() if p.name not in IGNORED)
        path = _code_file_in(path)
    else:
        if path.suffix not in CODE_SUFFIXES:
            raise SubmissionError(f"{path}: not a notebook (.ipynb) or module (.py)",
                                  message_ko=f"{path}: 노트북(.ipynb)이나 모듈(.py)이 아닙니다")
        root, files = path.parent, []
    data = _read_no_follow(path)
    if not data.strip():
        raise SubmissionError(f"{path}: the file is empty", message_ko=f"{path}: 빈 파일입니다")
    if path.suffix == ".ipynb":
        cells = read_notebook_cells(path, data)
        if not any(c["source"].strip() for c in cells):
            raise SubmissionError(f"{path}: the notebook has no code to run (no non-empty code cells)",
                                  message_ko=f"{path}: 노트북에 실행할 코드가 없습니다 (비어 있지 않은 코드 셀이 없음)")
        return Submission(sid, path, root, "notebook", digest, cells, files)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SubmissionError(f"{path}: not UTF-8 text (byte {e.start})",
                              message_ko=f"{path}: UTF-8 텍스트가 아닙니다 ({e.start}번째 바이트)") from e
    if not text.strip():
        raise SubmissionError(f"{path}: the file is empty", message_ko=f"{path}: 빈 파일입니다")
    return Submission(sid, path, root, "module", digest, [], files)


def _read_no_follow(path: Path) -> bytes:
    """Read a file, refusing a symbolic link swapped in after it was found."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as e:
        raise SubmissionError(f"{path}: cannot be read ({e.strerror})", message_ko=f"{path}: 읽을 수 없습니다 ({e.strerror})") from e
    with os.fdopen(fd, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > FILE_BYTES_CAP:
            raise SubmissionError(f"{path}: {size / (1 << 20):.0f} MB, more than the {FILE_BYTES_CAP >> 20} MB a submission file may be",
                                  message_ko=f"{path}: {size / (1 << 20):.0f} MB로, 제출 파일 크기 제한 {FILE_BYTES_CAP >> 20} MB를 넘습니다")
        return f.read(FILE_BYTES_CAP + 1)


def _code_file_in(folder: Path) -> Path:
    candidates = sorted(p for p in folder.iterdir()
                        if p.suffix in CODE_SUFFIXES and p.is_file() and not p.is_symlink() and not p.name.startswith("."))
    notebooks = [p for p in candidates if p.suffix == ".ipynb"]
    if len(notebooks) == 1:
        return notebooks[0]
    if not notebooks and len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise SubmissionError(f"{folder}: holds no notebook (.ipynb) or module (.py)",
                              message_ko=f"{folder}: 노트북(.ipynb)이나 모듈(.py)이 없습니다")
    names = ", ".join(p.name for p in (notebooks or candidates))
    raise SubmissionError(f"{folder}: holds more than one submission ({names})",
                          message_ko=f"{folder}: 제출물이 둘 이상 있습니다 ({names})")


def read_notebook_cells(path: Path, data: bytes | None = None) -> list[dict]:
    """The code cells ``[{"index", "number", "source"}]`` of a notebook (nbformat 4, or 3 converted).

    ``index`` is the cell's position among all cells; ``number`` is what Jupyter shows
    after Run All (``In [n]``: non-blank code cells counted from 1), 0 for a blank cell.
    """
    nb = read_notebook(path, data)
    cells, number = [], 0
    for index, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            raise SubmissionError(f"{path}: cell {index} is not an object",
                                  message_ko=f"{path}: 올바른 노트북이 아닙니다 ({index}번 셀이 객체가 아님)")
        if cell.get("cell_type") == "code":
            source = cell_source(cell)
            number += bool(source.strip())
            cells.append({"index": index, "number": number if source.strip() else 0, "source": source})
    return cells


def read_notebook(path: Path, data: bytes | None = None) -> dict:
    """A notebook as a v4-shaped dict, read as JSON once its size and depth are bounded (no validation
    cost); nbformat 3 is converted."""
    try:
        nb = parse_json_bounded(data if data is not None else path.read_bytes(), source=path, max_bytes=FILE_BYTES_CAP,
                                what="not a valid notebook", error=SubmissionError)
    except SubmissionError as e:  # the detail (JSON's own error, a size) is the parser's, in English
        detail = str(e).partition(": not a valid notebook ")[2].replace("(invalid JSON:", "(JSON 구문 오류:")
        raise SubmissionError(str(e), message_ko=f"{path}: 올바른 노트북 파일이 아닙니다 {detail}".rstrip()) from None
    if not isinstance(nb, dict):
        raise SubmissionError(f"{path}: not a valid notebook (not a JSON object)",
                              message_ko=f"{path}: 올바른 노트북 파일이 아닙니다 (JSON 객체가 아님)")
    if nb.get("nbformat") == 3:
        nb = _upgrade_v3(path, nb)
    elif nb.get("nbformat") != 4:
        raise SubmissionError(f"{path}: notebook format {nb.get('nbformat')} is not supported "
                              "(open it in Jupyter and save it: that writes nbformat 4)",
                              message_ko=f"{path}: 노트북 형식 {nb.get('nbformat')}은(는) 지원하지 않습니다 "
                                         "(Jupyter에서 열어 저장하면 nbformat 4로 저장됩니다)")
    if not isinstance(nb.get("cells"), list):
        raise SubmissionError(f"{path}: not a valid notebook (no list of cells)",
                              message_ko=f"{path}: 올바른 노트북 파일이 아닙니다 (셀 목록이 없음)")
    return nb


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(str(s) for s in source) if isinstance(source, list) else str(source)


def _upgrade_v3(path: Path, nb: dict) -> dict:
    """nbformat 3 (worksheets, ``input``, heading cells) as v4 cells, with nbformat's own cell converter.

    Only the cells are converted, one by one, so nbformat's validator never runs; outputs
    are dropped first (the grading run makes its own).
    """
    import nbformat
    from nbformat.v4.convert import upgrade_cell

    worksheets = nb.get("worksheets")
    if not isinstance(worksheets, list) or not all(isinstance(w, dict) and isinstance(w.get("cells"), list)
                                                   for w in worksheets):
        raise SubmissionError(f"{path}: not a valid nbformat 3 notebook (no worksheets with cells)",
                              message_ko=f"{path}: 올바른 nbformat 3 노트북이 아닙니다 (셀이 있는 worksheets가 없음)")
    cells = []
    for n, cell in enumerate(c for w in worksheets for c in w["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise SubmissionError(f"{path}: cell {n} is not an object with a cell_type",
                                  message_ko=f"{path}: 올바른 노트북이 아닙니다 ({n}번 셀에 cell_type이 없음)")
        text = cell.get("input" if cell["cell_type"] == "code" else "source", "")
        if not isinstance(text, (str, list)):
            raise SubmissionError(f"{path}: cell {n} has no text source",
                                  message_ko=f"{path}: 올바른 노트북이 아닙니다 ({n}번 셀에 텍스트 소스가 없음)")
        plain = {k: v for k, v in cell.items() if k in ("cell_type", "input", "source", "level")}
        upgraded = upgrade_cell(nbformat.from_dict({**plain, "outputs": [], "metadata": {}}))
        cells.append({"cell_type": upgraded.cell_type, "source": cell_source(upgraded)})
    return {"nbformat": 4, "nbformat_minor": 0, "metadata": {"orig_nbformat": 3}, "cells": cells}


def content_hash(path: Path) -> str:
    """sha256 of a submission's content: the file, or every file of a folder (links by target).

    Each member is written as its kind, then its name and its content, each
    preceded by its length, so no two different sets of names and contents give
    the same stream (a file's content cannot pose as the next file's name).
    """
    path = Path(path)
    digest = hashlib.sha256(b"grade-content-v2\0")
    if path.is_dir():
        members = sorted(p for p in path.rglob("*") if not set(p.relative_to(path).parts) & IGNORED and (p.is_file() or p.is_symlink()))
    else:
        members, path = [path], path.parent
    for member in members:
        name = member.relative_to(path).as_posix().encode("utf-8", "surrogateescape")
        kind, data = (b"l", os.fsencode(os.readlink(member))) if member.is_symlink() else (b"f", member.read_bytes())
        digest.update(kind + _length(name) + name + _length(data))
        digest.update(data)
    return digest.hexdigest()[:16]


def _length(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big")
