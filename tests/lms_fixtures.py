"""LMS downloads and gradebook exports, built in tests to each LMS's documented format.

Every builder writes into a folder it is given (tmp_path) and returns the paths;
nothing binary is stored in the repository. Students hand in the course's real
files: the 01_logic_gates solution notebook and module, and a known-buggy mutant.
Where each format was read from (facts only; nothing copied). Marked "assumed" where
no page seen here showed it and the builder follows the LMS's usual output:

- Canvas "Download Submissions": ``{name}_[late_]{user id}_{submission id}_{file}``, a
  number before the extension of a resubmitted file: the format described in
  github.com/TimHanneman/Canvas_submission_sort (README: name, two ids, an extra field
  when late, a number when resubmitted); the spelling ``late``/``LATE`` and ``-1`` as
  the issue states them. Gradebook export (``Student, ID, SIS User ID, SIS Login ID,
  Section``, one column per assignment ``Title (id)``): teaching.resources.osu.edu
  "Import a CSV file to Carmen grades" and ts.vcu.edu "Gradebook Action Menu";
  the ``Points Possible`` row as autograder/exports/canvas.py documents Canvas's importer.
- Moodle "Download all submissions": folders ``{Full Name}_{participant id}_assignsubmission_file_``
  as a public Moodle feedback-upload guide states it ("First Last_participantId_
  assignsubmission_file_") and mod/assign's ``downloadasfolders_help`` string
  (github.com/moodle/moodle commit 381bb72). Grading worksheet (mod/assign/feedback/offline,
  docs.huihoo.com phpxref of assignfeedback_offline): the columns ``Identifier``
  (``Participant N``), ``Full name``, ``Email address``, ``Status``, ``Grade``... are
  assumed from Moodle's usual worksheet. Grade import by email: docs.moodle.org "Grade import".
- Blackboard "Assignment File Download": ``{assignment}_{username}_attempt_{datetime}_{file}``
  and one ``.txt`` per attempt: github.com/terr-steak/bb-file-cleanup (README) and
  vangef/BBGradebookOrganiser docs/instructions.md; the receipt's lines ``Name: Full
  Name (username)`` / ``Date Submitted:`` are assumed. Grade Center download and upload
  (Username is the key, ``|column id`` in the header, comma files fully quoted):
  help.blackboard.com / library.blackboard.com "Uploading or Downloading Grade Center
  Items for Working Offline".
- Gradescope "Export Submissions": ``submission_metadata.yml`` keyed by ``submission_<id>``
  with ``:submitters:`` (``:name:``, ``:sid:``, ``:email:``), as in a public test of a
  Gradescope-export parser found by code search; ``:created_at:`` in that file is assumed
  (gradescope-autograders.readthedocs.io "Submission Metadata" documents ``created_at``
  for the autograder's own submission_metadata.json).
- GitHub Classroom: ``gh classroom clone student-repos`` clones into a folder named after
  the assignment slug (GitHub Docs "Using GitHub Classroom with GitHub CLI", as quoted in
  LCC-CIT/CS233JS-CourseMaterials notes; ``{assignment}-submissions`` as used by
  path-tw/html-submissions); repositories ``{assignment}-{github username}``. Roster
  ``classroom_roster.csv`` with ``identifier, github_username, github_id, name``:
  gist stevecassidy/03156eb8 and shanep/ghclass README.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTION_NB = (REPO / "solutions" / "01_logic_gates" / "01_logic_gates.ipynb").read_bytes()
SOLUTION_PY = (REPO / "solutions" / "01_logic_gates" / "01_logic_gates.py").read_bytes()
MUTANT_PY = (REPO / "rubrics" / "01_logic_gates" / "mutants" / "and_bias_too_small.py").read_bytes()
TITLE = "01 논리 게이트 / Logic gates"  # rubrics/01_logic_gates/rubric.toml


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def write_csv(path: Path, rows: list[list[str]], *, quote_all: bool = False, bom: bool = False) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


def canvas(folder: Path) -> tuple[Path, Path]:
    """Kim (solution), Lee (mutant, late, resubmitted), Park (two notebooks), Choi (solution in a .zip), Jung (nothing)."""
    download = write_zip(folder / "submissions.zip", {
        "kimminsu_1001_5001_01_logic_gates.ipynb": SOLUTION_NB,
        "leeann_LATE_1002_5002_01_logic_gates-1.py": MUTANT_PY,
        "parkjin_1003_5003_draft.ipynb": SOLUTION_NB,
        "parkjin_1003_5003_final.ipynb": SOLUTION_NB,
        "choiyu_1004_5004_hw1.zip": zip_bytes({"hw1/01_logic_gates.ipynb": SOLUTION_NB, "hw1/notes.txt": b"hi"}),
    })
    gradebook = write_csv(folder / "gradebook.csv", [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{TITLE} (777)", "Current Score"],
        ["    Points Possible", "", "", "", "", "20", "(read only)"],
        ["Kim, Minsu", "1001", "S1", "kimminsu", "A", "", ""],
        ["Lee, Ann", "1002", "S2", "leeann", "A", "", ""],
        ["Park, Jin", "1003", "S3", "parkjin", "B", "", ""],
        ["Choi, Yu", "1004", "S4", "choiyu", "B", "", ""],
        ["Jung, Ho", "1005", "S5", "jungho", "B", "", ""],
    ])
    return download, gradebook


def moodle(folder: Path) -> tuple[Path, Path]:
    """Kim (solution), Lee (mutant; an online-text folder too), Park (two modules), Jung (nothing)."""
    download = write_zip(folder / "moodle.zip", {
        "Kim Minsu_2001_assignsubmission_file_/01_logic_gates.ipynb": SOLUTION_NB,
        "Lee Ann_2002_assignsubmission_file_/01_logic_gates.py": MUTANT_PY,
        "Lee Ann_2002_assignsubmission_onlinetext_/onlinetext.html": b"<p>see my file</p>",
        "Park Jin_2003_assignsubmission_file_/a.py": SOLUTION_PY,
        "Park Jin_2003_assignsubmission_file_/b.py": MUTANT_PY,
    })
    header = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade", "Grade can be changed",
              "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
    worksheet = write_csv(folder / "worksheet.csv", [header] + [
        [f"Participant {pid}", name, email, "Submitted for grading", "", "20.00", "Yes", "Sunday, 1 March 2026, 10:00 AM",
         "-", ""] for pid, name, email in [("2001", "Kim Minsu", "kim@example.edu"), ("2002", "Lee Ann", "lee@example.edu"),
                                            ("2003", "Park Jin", "park@example.edu"), ("2004", "Jung Ho", "jung@example.edu")]
    ], bom=True)
    return download, worksheet


def blackboard(folder: Path) -> tuple[Path, Path]:
    """Kim (solution), Lee (solution, then a later mutant attempt), Jung (nothing)."""
    def receipt(name: str, user: str, when: str, files: list[tuple[str, str]]) -> bytes:
        listed = "".join(f"\tOriginal filename: {o}\n\tFilename: {f}\n" for o, f in files)
        return (f"Name: {name} ({user})\nAssignment: 01 Logic gates\nDate Submitted: {when}\nCurrent Grade: Needs Grading\n\n"
                f"Submission Field:\nThere is no student submission text data for this assignment.\n\nComments:\n"
                f"There are no student comments for this assignment.\n\nFiles:\n{listed}").encode()

    members = {}
    for user, name, stamp, when, original, data in [
        ("kim01", "Kim Minsu", "2026-03-01-10-00-00", "Sunday, March 1, 2026 10:00:00 AM KST", "01_logic_gates.ipynb", SOLUTION_NB),
        ("lee02", "Lee Ann", "2026-03-01-09-00-00", "Sunday, March 1, 2026 9:00:00 AM KST", "01_logic_gates.ipynb", SOLUTION_NB),
        ("lee02", "Lee Ann", "2026-03-03-09-00-00", "Tuesday, March 3, 2026 9:00:00 AM KST", "01_logic_gates.py", MUTANT_PY),
    ]:
        stored = f"01 Logic gates_{user}_attempt_{stamp}_{original}"
        members[stored] = data
        members[f"01 Logic gates_{user}_attempt_{stamp}.txt"] = receipt(name, user, when, [(original, stored)])
    download = write_zip(folder / "gradebook_01.zip", members)
    center = write_csv(folder / "gc_download.csv", [
        ["Last Name", "First Name", "Username", "Student ID", "Last Access", "Availability",
         f"{TITLE} [Total Pts: 20 Score] |5550"],
        ["Kim", "Minsu", "kim01", "20260001", "2026-03-01 10:01:00", "Available", ""],
        ["Lee", "Ann", "lee02", "20260002", "2026-03-03 09:01:00", "Available", ""],
        ["Jung", "Ho", "jung04", "20260004", "", "Available", ""],
    ], quote_all=True, bom=True)
    return download, center


def gradescope(folder: Path) -> tuple[Path, Path]:
    """Kim (solution), Lee (mutant), a pair Choi and Han (one solution for both), Jung (nothing)."""
    metadata = """\
submission_101:
  :submitters:
  - :name: Kim Minsu
    :sid: '3001'
    :email: kim@example.edu
  :created_at: 2026-03-01 10:00:00.123456000 +09:00
  :score: 0.0
submission_102:
  :submitters:
  - :name: Lee Ann
    :sid: '3002'
    :email: lee@example.edu
  :created_at: 2026-03-02 23:30:00.000000000 +09:00
  :score: 0.0
submission_103:
  :submitters:
  - :name: Choi Yu
    :sid: '3003'
    :email: choi@example.edu
  - :name: Han Bit
    :sid: ''
    :email: han@example.edu
  :created_at: 2026-03-01 12:00:00.000000000 +09:00
  :score: 0.0
"""
    download = write_zip(folder / "submissions.zip", {
        "assignment_9_export/submission_metadata.yml": metadata.encode(),
        "assignment_9_export/submission_101/01_logic_gates.ipynb": SOLUTION_NB,
        "assignment_9_export/submission_102/01_logic_gates.py": MUTANT_PY,
        "assignment_9_export/submission_103/01_logic_gates.ipynb": SOLUTION_NB,
    })
    roster = write_csv(folder / "roster.csv", [
        ["First Name", "Last Name", "SID", "Email", "Role", "Sections"],
        ["Minsu", "Kim", "3001", "kim@example.edu", "Student", ""],
        ["Ann", "Lee", "3002", "lee@example.edu", "Student", ""],
        ["Yu", "Choi", "3003", "choi@example.edu", "Student", ""],
        ["Bit", "Han", "", "han@example.edu", "Student", ""],
        ["Ho", "Jung", "3005", "jung@example.edu", "Student", ""],
    ])
    return download, roster


def classroom(folder: Path) -> tuple[Path, Path]:
    """The folder ``gh classroom clone student-repos`` makes: Kim (solution), Lee (mutant),
    Park (solution, and a link to a file outside the repository)."""
    root = folder / "logic-gates-submissions"
    for user, name, data in [("kimminsu", "01_logic_gates.ipynb", SOLUTION_NB), ("leeann", "01_logic_gates.py", MUTANT_PY),
                             ("parkjin", "01_logic_gates.ipynb", SOLUTION_NB)]:
        repo = root / f"logic-gates-{user}"
        (repo / ".git").mkdir(parents=True)
        (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
        (repo / name).write_bytes(data)
        (repo / "README.md").write_text("# Logic gates\n", encoding="utf-8")
    (folder / "secret.txt").write_text("not the student's", encoding="utf-8")
    (root / "logic-gates-parkjin" / "stolen.txt").symlink_to(folder / "secret.txt")
    roster = write_csv(folder / "classroom_roster.csv", [
        ["identifier", "github_username", "github_id", "name"],
        ["20260001", "kimminsu", "9001", "Kim Minsu"],
        ["20260002", "leeann", "9002", "Lee Ann"],
        ["20260003", "parkjin", "9003", "Park Jin"],
        ["20260004", "", "", "Jung Ho"],
    ])
    return root, roster
