"""The worker's run report: refused unless it has the worker's shape, and cut to fixed sizes on receipt."""

from __future__ import annotations

import json

import pytest

from autograder.engine import run_report


def report(**extra):
    return {"cell_errors": [], "cell_outputs": [], **extra}


def test_an_honest_report_passes_unchanged():
    honest = report(cell_errors=[{"index": 1, "ename": "NameError", "evalue": "x", "traceback": "t", "lineno": 2}],
                    cell_outputs=[{"index": 0, "outputs": [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]},
                                  {"index": 1, "outputs": [{"output_type": "execute_result", "data": {"text/plain": "3"},
                                                            "metadata": {}}]}],
                    seccomp=True, timing={"run_s": 0.1})
    assert run_report.checked(honest, cells=2, output_chars=1000) == honest


@pytest.mark.parametrize("forged", [
    None, [], "report", {"cell_errors": []},
    report(cell_errors=[{"index": [1], "ename": "E", "evalue": "v"}]),  # an unhashable cell index
    report(cell_outputs=[{"index": 0, "outputs": [{"output_type": "stream", "text": {"a": 1}}]}]),
    report(cell_outputs=[{"index": 0, "outputs": [{"output_type": "stream", "text": "x", "extra": "y"}]}]),
    report(import_error={"ename": 3, "evalue": "v"}),
])
def test_a_report_not_shaped_as_the_worker_sends_is_refused(forged):
    with pytest.raises(run_report.BadReport, match="malformed run report"):
        run_report.checked(forged, cells=3, output_chars=1000)


def test_more_cells_than_were_sent_is_refused():
    many = report(cell_outputs=[{"index": i, "outputs": []} for i in range(5)])
    with pytest.raises(run_report.BadReport, match="more cells"):
        run_report.checked(many, cells=2, output_chars=1000)


def test_texts_are_cut_and_unknown_keys_dropped():
    big = report(output="o" * 100_000, import_error={"ename": "E" * 1000, "evalue": "v" * 100_000},
                 cell_outputs=[{"index": i, "outputs": [{"output_type": "stream", "name": "stdout", "text": "t" * 60_000}]}
                               for i in range(40)],
                 extra="x" * 100_000)
    kept = run_report.checked(big, cells=40, output_chars=1000)
    assert "extra" not in kept
    assert len(kept["output"]) < 1100 and "more characters not kept" in kept["output"]
    assert len(kept["import_error"]["ename"]) < 300
    assert len(json.dumps(kept)) < run_report.OUTPUTS_CAP + 20_000


def test_an_image_over_the_room_left_is_dropped_whole():
    image = {"output_type": "display_data", "data": {"image/png": "A" * 70_000, "text/plain": "<Figure>"}, "metadata": {}}
    kept = run_report.checked(report(cell_outputs=[{"index": 0, "outputs": [image]}]), cells=1, output_chars=10)
    data = kept["cell_outputs"][0]["outputs"][0]["data"]
    assert "image/png" not in data and "not kept" in data["text/plain"]
