"""Unpacking .zip downloads safely: no escaping the folder, no links, bounded sizes, nothing half-written."""

from __future__ import annotations

import stat
import zipfile

import pytest

from autograder.batch.archive import ZipLimits, extract_zip, safe_parts
from autograder.errors import SubmissionError


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"/etc/passwd")
            else:
                zf.writestr(name, data)
    return path


def test_files_and_folders_are_unpacked_and_mac_junk_left_out(tmp_path):
    archive = make_zip(tmp_path / "a.zip", [("hw/01.ipynb", b"{}"), ("__MACOSX/hw/._01.ipynb", b"x"),
                                              ("hw/.DS_Store", b"x"), ("top.py", b"print(1)\n")])
    written = extract_zip(archive, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == ["hw/01.ipynb", "top.py"]
    assert not (tmp_path / "out" / "__MACOSX").exists()


@pytest.mark.parametrize("name", ["../evil.py", "hw/../../evil.py", "/etc/evil.py", "C:/evil.py", "hw\\..\\evil.py"])
def test_names_that_could_escape_are_refused_before_anything_is_written(tmp_path, name):
    archive = make_zip(tmp_path / "a.zip", [("ok.py", b"x = 1\n"), (name, b"x = 2\n")])
    with pytest.raises(SubmissionError, match="unsafe name"):
        extract_zip(archive, tmp_path / "out")
    assert not (tmp_path / "evil.py").exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert safe_parts(name) is None


def test_a_symbolic_link_is_refused(tmp_path):
    link = zipfile.ZipInfo("hw/passwd")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(tmp_path / "a.zip", [("hw/passwd", link)])
    with pytest.raises(SubmissionError, match="is a symbolic link"):
        extract_zip(archive, tmp_path / "out")


def test_sizes_are_counted_as_bytes_are_written(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", [("a.txt", b"0" * 3_000_000), ("b.txt", b"0" * 10)])  # compresses to ~3 KB
    with pytest.raises(SubmissionError, match=r"entry 'a.txt' unpacks to more than 1 MB"):
        extract_zip(archive, tmp_path / "out", limits=ZipLimits(max_file_mb=1))
    assert not any((tmp_path / "out").iterdir())  # what was written of it is gone
    with pytest.raises(SubmissionError, match="more than 2 MB in all"):
        extract_zip(archive, tmp_path / "out2", limits=ZipLimits(max_total_mb=2))


def test_too_many_entries_and_duplicates_are_refused(tmp_path):
    many = make_zip(tmp_path / "many.zip", [(f"f{i}.py", b"") for i in range(11)])
    with pytest.raises(SubmissionError, match="holds 11 entries, more than the limit of 10"):
        extract_zip(many, tmp_path / "out", limits=ZipLimits(max_files=10))
    twice = make_zip(tmp_path / "twice.zip", [("A.py", b"1"), ("a.py", b"2")])
    with pytest.raises(SubmissionError, match="appears twice"):
        extract_zip(twice, tmp_path / "out")


def test_a_file_that_is_not_a_zip_is_one_line(tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"PK not really")
    with pytest.raises(SubmissionError, match=r"fake.zip: not a readable .zip file"):
        extract_zip(tmp_path / "fake.zip", tmp_path / "out")
