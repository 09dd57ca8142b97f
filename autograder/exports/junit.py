"""JUnit XML for CI (GitHub Actions, GitLab, Jenkins test reports).

One ``<testsuite>`` per submission, one ``<testcase>`` per check. A check that
lost points is a ``<failure>`` (``partial`` included), a check whose code raised
or ran out of time is an ``<error>``. A submission that did not run to the end
(``timeout``, ``error: ...``) gets one more test case, ``submission``, in error,
saying why in the report's language, so CI never reports an empty green suite.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

from autograder.exports.display import ci_log_safe
from autograder.exports.files import write_atomic
from autograder.exports.wording import message_of, status_note, status_text, words
from autograder.grading.results import SubmissionResult

# Characters XML 1.0 cannot carry, even escaped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TEXT_CAP = 20_000


def _clean(text: object) -> str:
    """Text for an attribute or element: no control sequence, no CI command line, nothing XML cannot carry."""
    text = _ILLEGAL.sub("\ufffd", ci_log_safe(str(text)))
    return text if len(text) <= TEXT_CAP else text[:TEXT_CAP] + "\n..."


def junit_tree(result: SubmissionResult, *, lang: str = "en") -> ET.ElementTree:
    """The JUnit document for one submission."""
    w = words(lang)
    suites = ET.Element("testsuites", name=_clean(f"grade {result.assignment}"))
    suite = ET.SubElement(suites, "testsuite", name=_clean(result.assignment), hostname=_clean(socket.gethostname()),
                          timestamp=datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S"))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("student_id", result.student_id), ("status", result.status),
                        ("points", f"{result.total:g}"), ("max_points", f"{result.max:g}"),
                        ("content_hash", result.content_hash)):
        ET.SubElement(properties, "property", name=name, value=_clean(value))
    failures = errors = 0
    for check in result.checks:
        case = ET.SubElement(suite, "testcase", classname=_clean(f"{result.assignment}.{check.visibility}"),
                             name=_clean(check.id), time=f"{max(0.0, check.duration_s):.3f}")
        if check.passed:
            continue
        lines = [message_of(check, lang)]
        lines += [f"{w[k]}: {getattr(check, k)}" for k in ("expected", "got") if getattr(check, k) is not None]
        if check.hint:
            lines.append(f"{w['hint']}: {check.hint}")
        lines.append(f"{w['points']}: {check.points:g}/{check.max_points:g}")
        kind = "error" if check.status in ("error", "timeout") else "failure"
        failures += kind == "failure"
        errors += kind == "error"
        node = ET.SubElement(case, kind, message=_clean(message_of(check, lang) or check.status), type=check.status)
        node.text = _clean("\n".join(line for line in lines if line))
    tests = len(result.checks)
    if result.status != "graded":  # why the submission did not run to the end, in the student's language
        case = ET.SubElement(suite, "testcase", classname=_clean(result.assignment), name="submission", time="0.000")
        note = status_note(result, lang) or status_text(result, lang)
        ET.SubElement(case, "error", message=_clean(note), type=result.status.partition(":")[0]).text = _clean(note)
        tests, errors = tests + 1, errors + 1
    if result.output:
        ET.SubElement(suite, "system-out").text = _clean(result.output)
    counts = {"tests": str(tests), "failures": str(failures), "errors": str(errors), "skipped": "0",
              "time": f"{max(0.0, result.duration_s):.3f}"}
    for element in (suites, suite):
        element.attrib.update(counts)
    ET.indent(suites)
    return ET.ElementTree(suites)


def write_junit(result: SubmissionResult, path: Path, *, lang: str = "en") -> Path:
    """Write the JUnit XML file atomically (UTF-8, with an XML declaration)."""
    root = junit_tree(result, lang=lang).getroot()
    text = ET.tostring(root, encoding="unicode")
    return write_atomic(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n")
