"""Reach into the worker's run report from module code and add cell errors and outputs whose cell index
cannot be a dictionary key (a list, a dict), with a formula for the error's name."""
import sys

report = sys._getframe(1).f_locals.get("report")
if isinstance(report, dict):
    report.setdefault("cell_errors", []).append(
        {"index": [1, 2], "ename": '=HYPERLINK("http://evil.example","x")', "evalue": "forged", "lineno": [3]})
    report.setdefault("cell_outputs", []).append({"index": {"cell": 1}, "outputs": [{"output_type": "stream"}]})
ANSWER_OK = False
