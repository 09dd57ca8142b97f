"""autograder.files: CSV cells a spreadsheet will not run, safe file names, bounded JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from autograder.errors import GradingError
from autograder.files import (JSON_DEPTH_CAP, csv_cell, csv_text, csv_uncell, json_depth, parse_json_bounded,
                              read_text_csv, safe_file_name)

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
            "=cmd|' /C calc'!A0", "'=already quoted", "''@twice"]
PLAIN = ["alice", "20230001", "-3.5", "+7", "-1e-3", ".5", "", "a=b", "한국어", "'quoted", "-", "=", " =1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_cells_get_a_quote_and_read_back_unchanged(text):
    assert csv_cell(text) == "'" + text
    assert csv_uncell(csv_cell(text)) == text


@pytest.mark.parametrize("text", PLAIN)
def test_numbers_and_plain_text_pass_unchanged(text):
    expected = "'" + text if text in ("-", "=") else text  # a lone sign is not a number
    assert csv_cell(text) == expected
    assert csv_uncell(csv_cell(text)) == text


def test_non_text_values_pass_unchanged():
    assert [csv_cell(v) for v in (-3, 2.5, None, True)] == [-3, 2.5, None, True]


def test_csv_text_neutralises_every_text_cell_and_header_and_reading_gives_them_back(tmp_path: Path):
    frame = pd.DataFrame({"student_id": ["=cmd|' /C calc'!A0", "alice"], "total": [-1.5, 4.0],
                          "notes": ["@SUM(A1) at import", "-"], "=header": ["x", "+1"]})
    text = csv_text(frame, lineterminator="\n")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and c not in ("-1.5", "+1")] == []
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(A1) at import" in cells and "'-" in cells and "-1.5" in cells
    path = tmp_path / "g.csv"
    path.write_text(text, encoding="utf-8")
    back = read_text_csv(path, missing="missing")
    assert list(back.columns) == ["student_id", "total", "notes", "=header"]
    assert list(back["student_id"]) == ["=cmd|' /C calc'!A0", "alice"]
    assert list(back["notes"]) == ["@SUM(A1) at import", "-"]


def test_safe_file_names_are_short_distinct_and_keep_plain_ids():
    assert safe_file_name("20230001") == "20230001"
    assert safe_file_name("김민수_hw1") == "김민수_hw1"
    long_a, long_b = "s" * 240, "s" * 239 + "t"
    names = [safe_file_name(i) for i in (long_a, long_b, "a/b", "a_b", "..", ".hidden", "=cmd|' /C calc'!A0", "")]
    assert len(set(names)) == len(names)
    assert all(0 < len(n) <= 113 and "/" not in n and not n.startswith(".") for n in names)
    assert names[0].startswith("s" * 100 + "-") and names[3] == "a_b"
    assert safe_file_name(long_a) == names[0]  # the same id, the same file


def test_json_depth_counts_brackets_outside_strings_only():
    assert json_depth(b'{"a": [1, {"b": "[[[[\\"{"}], "c": {}}') == 3
    assert json_depth(b'"just [ a string"') == 0
    assert json_depth(b"[" * 50_000 + b"]" * 50_000) == 50_000


def test_parse_json_bounded_refuses_deep_and_big_documents_in_one_line():
    deep = b'{"cells": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    with pytest.raises(GradingError) as info:
        parse_json_bounded(deep, source="nb.ipynb", max_bytes=1 << 20, what="not a valid notebook")
    assert str(info.value) == f"nb.ipynb: not a valid notebook (nested 50001 levels deep, more than the {JSON_DEPTH_CAP} allowed)"
    with pytest.raises(GradingError, match=r"^r\.json: not a JSON file \(2\.0 MB, more than the 1 MB allowed\)$"):
        parse_json_bounded(b" " * (2 << 20), source="r.json", max_bytes=1 << 20)
    with pytest.raises(GradingError, match=r"^r\.json: not a JSON file \(invalid JSON: "):
        parse_json_bounded(b"{", source="r.json", max_bytes=1 << 20)
    assert parse_json_bounded(json.dumps({"a": [[1]]}).encode(), source="r.json", max_bytes=1 << 20) == {"a": [[1]]}
