"""A student's files from a download: copied, unpacked, and the one file to grade chosen, never guessed."""

from __future__ import annotations

from autograder.batch.student_files import choose_file, gather, resubmitted_name


def test_the_file_to_grade_is_the_assignments_name_else_the_notebook(tmp_path):
    (tmp_path / "a").mkdir()
    for name in ("01_logic_gates.py", "scratch.ipynb", "helper.py"):
        (tmp_path / "a" / name).write_text("x = 1\n", encoding="utf-8")
    assert choose_file(tmp_path / "a", ("01_logic_gates.ipynb", "01_logic_gates.py"))[0].name == "01_logic_gates.py"
    assert choose_file(tmp_path / "a", ("other.ipynb",))[0].name == "scratch.ipynb"
    (tmp_path / "a" / "more.ipynb").write_text("{}", encoding="utf-8")
    chosen, why = choose_file(tmp_path / "a", ("other.ipynb",))
    assert chosen is None and why.en == "several files could be the submission (more.ipynb, scratch.ipynb); none is named other.ipynb"
    assert why.ko == "제출물일 수 있는 파일이 여럿입니다 (more.ipynb, scratch.ipynb). other.ipynb 이름의 파일이 없습니다"


def test_a_resubmission_suffix_is_dropped_only_to_match_the_assignments_file():
    wanted = ("01_logic_gates.ipynb", "01_logic_gates.py")
    assert resubmitted_name("01_logic_gates-2.ipynb", wanted) == "01_logic_gates.ipynb"
    assert resubmitted_name("lab-2.py", wanted) == "lab-2.py"


def test_rival_notebooks_are_set_aside_and_helpers_stay(tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    for name in ("01_logic_gates.ipynb", "old.ipynb", "helper.py", "data.csv"):
        (sources / name).write_text("{}" if name.endswith(".ipynb") else "x", encoding="utf-8")
    files = [(sources / n, n) for n in ("01_logic_gates.ipynb", "old.ipynb", "helper.py", "data.csv")]
    path, problem = gather(tmp_path / "kim", files, wanted=("01_logic_gates.ipynb",), set_aside=tmp_path / "aside")
    assert (path, problem) == (tmp_path / "kim", None)
    assert sorted(p.name for p in path.iterdir()) == ["01_logic_gates.ipynb", "data.csv", "helper.py"]
    assert [p.name for p in (tmp_path / "aside" / "rivals").iterdir()] == ["old.ipynb"]
