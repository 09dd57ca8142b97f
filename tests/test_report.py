"""The TA's report page: structure, escaping, exact pass rates from results, no global matplotlib changes."""

from __future__ import annotations

import json
import re

import matplotlib
import pandas as pd
import pytest
from click.testing import CliRunner

from autograder.cli.lms import report
from autograder.exports.files import ExportError
from autograder.exports.report import write_report
from autograder.grading.results import CheckResult, SubmissionResult


def grades_frame() -> pd.DataFrame:
    ids = [f"2023{i:04d}" for i in range(12)]
    frame = pd.DataFrame({
        "student_id": ids,
        "test_and": [2.0] * 9 + [0.0, 0.0, 2.0],
        "test_xor": [3.0] * 5 + [1.5] * 4 + [0.0] * 3,
    })
    frame["total"] = frame["test_and"] + frame["test_xor"]
    frame["max"] = 5.0
    frame["percent"] = 100 * frame["total"] / 5
    frame["status"] = ["graded"] * 10 + ["timeout", "error: <b>not a notebook</b>"]
    frame["graded_by"] = "code"
    frame["duration_s"] = [float(i) for i in range(12)]
    frame["accuracy"] = [0.8] * 12
    frame["notes"] = ""
    frame["content_hash"] = "h"
    frame["submitted_at"] = ""
    return frame


@pytest.fixture
def batch(tmp_path):
    grades_frame().to_csv(tmp_path / "grades.csv", index=False)
    return tmp_path


def sections(page: str) -> list[str]:
    return re.findall(r'<section id="([\w-]+)"', page)


def test_page_structure(batch):
    out = write_report(batch / "grades.csv", batch / "report.html").path
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert f"<title>Grading report: {batch.name}</title>" in page
    assert sections(page) == ["summary", "totals", "checks", "slowest", "problems", "metrics"]
    assert page.count("<svg") == 2  # histogram of totals, pass rate per check
    assert "<script" not in page
    slowest = re.search(r'<section id="slowest">.*?</section>', page, re.S).group(0)
    assert re.findall(r"<td>(2023\d{4})</td>", slowest)[:3] == ["20230011", "20230010", "20230009"]
    problems = re.search(r'<section id="problems">.*?</section>', page, re.S).group(0)
    assert "Timed out or errored (2)" in problems
    assert "20230010" in problems and "timeout" in problems
    assert "error: &lt;b&gt;not a notebook&lt;/b&gt;" in problems and "<b>not" not in page


def test_rows_flagged_for_review_have_their_own_section(tmp_path):
    frame = grades_frame()
    frame.insert(list(frame.columns).index("content_hash"), "review", "")
    frame.loc[3, "review"] = "held-out accuracy 0.9990 is above the plausible 0.93 <i>of the reference</i>"
    frame.to_csv(tmp_path / "grades.csv", index=False)
    page = write_report(tmp_path / "grades.csv", tmp_path / "report.html").path.read_text(encoding="utf-8")
    assert sections(page) == ["summary", "totals", "checks", "slowest", "problems", "review", "metrics"]
    review = re.search(r'<section id="review">.*?</section>', page, re.S).group(0)
    assert "To review (1)" in review and "<td>20230003</td>" in review and "20230004" not in review
    assert "0.93 &lt;i&gt;of the reference&lt;/i&gt;" in review and "never penalised" in review
    frame["review"] = ""
    frame.to_csv(tmp_path / "grades.csv", index=False)
    page = write_report(tmp_path / "grades.csv", tmp_path / "report.html").path.read_text(encoding="utf-8")
    assert "None: no result was flagged." in page


def test_inferred_pass_rates_without_results(batch):
    page = write_report(batch / "grades.csv", batch / "r.html").path.read_text(encoding="utf-8")
    assert "full marks on a check are taken to be the best score" in page
    rows = re.findall(r"<tr><td><code>(\w+)</code></td><td class=\"num\">([\d.]+)%</td>", page)
    assert rows == [("test_xor", "41.7"), ("test_and", "83.3")]


def test_exact_pass_rates_and_cell_errors_from_results(batch):
    results = batch / "results"
    results.mkdir()
    for i in range(4):
        r = SubmissionResult(f"s{i}", "xor_mlp", "x.ipynb", "h", checks=[
            CheckResult("test_and", "passed", 2, 2),
            CheckResult("test_xor", "passed" if i == 0 else "partial" if i == 1 else "failed", 3 if i == 0 else 0, 3)],
            cell_errors=[{"index": 3, "ename": "ModuleNotFoundError", "evalue": "No module named 'keras.layers.core'"}]
            if i < 3 else [])
        (results / f"s{i}.json").write_text(json.dumps(r.to_dict()), encoding="utf-8")
    page = write_report(batch / "grades.csv", batch / "r.html").path.read_text(encoding="utf-8")
    assert "<title>Grading report: xor_mlp</title>" in page
    assert "full marks on a check are taken" not in page
    rows = re.findall(r"<tr><td><code>(\w+)</code></td><td class=\"num\">([\d.]+)%</td>"
                      r"<td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>", page)
    assert rows == [("test_xor", "25", "1", "1", "2"), ("test_and", "100", "4", "0", "0")]
    assert "cell-errors" in sections(page)
    assert "ModuleNotFoundError: No module named &#x27;keras.layers.core&#x27;" in page


def test_similarity_and_late_sections(batch):
    frame = grades_frame()
    frame.insert(3, "raw_total", frame["total"])
    frame.insert(4, "late_penalty", [0.0] * 11 + [1.0])
    frame.insert(5, "late_by", [""] * 11 + ["1 days 00:00:00"])
    frame.to_csv(batch / "grades.csv", index=False)
    pd.DataFrame({"a": ["20230001", "20230003"], "b": ["20230002", "<i>x</i>"], "score": [0.71, 0.98],
                  "flagged": [False, True], "regions": ["cells 3-4", "cell 2 <-> cell 5"]}).to_csv(
        batch / "sim.csv", index=False)
    page = write_report(batch / "grades.csv", batch / "r.html", similarity_csv=batch / "sim.csv").path.read_text(
        encoding="utf-8")
    assert sections(page)[-2:] == ["late", "similarity"]
    similarity = re.search(r'<section id="similarity">.*?</section>', page, re.S).group(0)
    assert "Similar submissions (2 pairs, 1 flagged)" in similarity
    assert similarity.count('<span class="bad">flagged</span>') == 1
    assert similarity.index("0.98") < similarity.index("0.71")  # most similar first
    assert "&lt;i&gt;x&lt;/i&gt;" in similarity and "cell 2 &lt;-&gt; cell 5" in similarity
    assert "Late submissions (1, 1 penalised)" in page


def test_matplotlib_global_state_untouched(batch):
    backend, params = matplotlib.get_backend(), dict(matplotlib.rcParams)
    write_report(batch / "grades.csv", batch / "r.html")
    assert matplotlib.get_backend() == backend
    assert dict(matplotlib.rcParams) == params


def test_bad_inputs_name_the_file(batch):
    grades_frame().drop(columns="duration_s").to_csv(batch / "g.csv", index=False)
    with pytest.raises(ExportError, match=r"g\.csv: missing column duration_s"):
        write_report(batch / "g.csv", batch / "r.html")
    pd.DataFrame({"a": ["1"], "b": ["2"]}).to_csv(batch / "s.csv", index=False)
    with pytest.raises(ExportError, match=r"s\.csv: missing column score"):
        write_report(batch / "grades.csv", batch / "r.html", similarity_csv=batch / "s.csv")
    assert write_report(batch / "grades.csv", batch / "no" / "r.html").path.exists()  # missing folders are made


def test_cli(batch):
    out = batch / "report.html"
    result = CliRunner().invoke(report, [str(batch / "grades.csv"), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0 and result.output == f"Wrote {out}\n"
    assert out.is_file()


def test_unreadable_result_files_are_left_out_and_named(batch):
    results = batch / "results"
    results.mkdir()
    (results / "20230001.json").write_text(json.dumps({"checks": [{"id": "test_and", "status": "passed"}]}))
    (results / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    (results / "forged.json").write_text(json.dumps({"checks": [{"id": ["unhashable"], "status": {}}]}))
    out = batch / "r.html"
    run = CliRunner().invoke(report, [str(batch / "grades.csv"), "-o", str(out)], catch_exceptions=False)
    assert run.exit_code == 0 and run.stdout == f"Wrote {out}\n"
    assert run.stderr.splitlines() == [
        f"warning: {results / 'deep.json'}: not a result file from grade batch (nested 50000 levels deep, more than "
        "the 100 allowed)",
        f"warning: {results / 'forged.json'}: not a result file from grade batch",
        "2 result file(s) could not be read and are left out of the report"]
    page = out.read_text(encoding="utf-8")
    assert "Result files left out (2)" in page and "forged.json" in page


def test_partial_credit_counts_as_partial(batch):
    """Five students with 1.33/2 on a check whose worst case failed: the report says partial, not failed."""
    results = batch / "results"
    results.mkdir()
    for i in range(6):
        checks = [CheckResult("test_xor", "failed" if i else "passed", 1.3333 if i else 2.0, 2.0)]
        (results / f"s{i}.json").write_text(json.dumps(
            SubmissionResult(f"s{i}", "xor_mlp", "x.ipynb", "h", checks=checks).to_dict()), encoding="utf-8")
    page = write_report(batch / "grades.csv", batch / "r.html").path.read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td><code>test_xor</code></td><td class=\"num\">[\d.]+%</td>"
                      r"<td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>", page)
    assert rows == [("1", "5", "0")]
