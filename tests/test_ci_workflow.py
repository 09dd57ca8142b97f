"""The workflow template submission repositories get (assignments/_ci/grade.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest

WORKFLOW = Path(__file__).resolve().parent.parent / "assignments" / "_ci" / "grade.yml"


def test_workflow_runs_grade_ci_with_junit():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    steps = workflow["jobs"]["grade"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert "grade ci --junit junit.xml" in runs
    install = next(r for r in runs if "pip install" in r)
    assert "RUNNER_TEMP/course" in install and "GRADE_COURSE" in install
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "junit.xml"


@pytest.mark.parametrize("name", ["01_logic_gates", "02_activations", "03_xor_mlp", "04_fashion_mnist"])
def test_each_assignment_ships_the_workflow(name):
    shipped = WORKFLOW.parent.parent / name / ".github" / "workflows" / "grade.yml"
    text = shipped.read_text(encoding="utf-8")
    template = WORKFLOW.read_text(encoding="utf-8")
    if name in ("03_xor_mlp", "04_fashion_mnist"):  # the Keras assignments install TensorFlow by default
        template = template.replace("GRADE_EXTRAS: ${{ vars.GRADE_EXTRAS }}", "GRADE_EXTRAS: ${{ vars.GRADE_EXTRAS || 'keras' }}")
    assert text == template
