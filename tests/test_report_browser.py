"""The report rendered by a real headless Chromium: a non-blank screenshot, the title and plots in the DOM."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import image

from autograder.exports.report import write_report

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1280, 2000


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        pytest.skip("no chromium on PATH (.ci/run installs Debian's chromium)")
    return found


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars",
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    rng = np.random.default_rng(7)
    n = 60
    frame = pd.DataFrame({"student_id": [f"2023{i:04d}" for i in range(n)],
                          "test_and": rng.choice([0.0, 2.0], n), "test_xor": rng.choice([0.0, 1.5, 3.0], n)})
    frame["total"] = frame["test_and"] + frame["test_xor"]
    frame = frame.assign(max=5.0, percent=frame["total"] * 20, status=["graded"] * (n - 2) + ["timeout", "error: x"],
                         graded_by="code", duration_s=rng.uniform(1, 30, n), notes="", content_hash="h",
                         submitted_at="")
    frame.to_csv(folder / "grades.csv", index=False)
    pd.DataFrame({"a": ["20230001"], "b": ["20230002"], "score": [0.9], "regions": ["cell 3"]}).to_csv(
        folder / "similarity.csv", index=False)
    return write_report(folder / "grades.csv", folder / "report.html", similarity_csv=folder / "similarity.csv").path


def test_screenshot_is_not_blank(page, tmp_path):
    shot = tmp_path / "report.png"
    run = run_chromium(tmp_path, f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={shot}", page.as_uri())
    assert shot.is_file(), run.stderr[-2000:]
    pixels = image.imread(shot)
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 100  # text, bars in several colours, anti-aliasing: far from a blank page
    assert (pixels[..., :3].mean(axis=2) < 0.5).mean() > 0.005  # some dark ink on the page


def test_dom_has_title_and_plots(page, tmp_path):
    run = run_chromium(tmp_path, "--dump-dom", page.as_uri())
    dom = run.stdout
    assert f"<title>Grading report: {page.parent.name}</title>" in dom, run.stderr[-2000:]
    assert dom.count("<svg") >= 2
    for section in ("summary", "totals", "checks", "slowest", "problems", "similarity"):
        assert f'<section id="{section}">' in dom
