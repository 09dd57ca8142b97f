"""Overwrite the batch's grades, result files and journal."""
import os

for path, text in (("__OUT__/grades.csv", "student_id,total\nwrite_grades,1000\n"),
                   ("__OUT__/results/write_grades.json", '{"total": 1000}'),
                   ("__OUT__/results/good.json", '{"total": 0}'),
                   ("__OUT__/.grade-journal.sqlite", "not a database any more")):
    try:
        with open(path, "w") as f:
            f.write(text)
        print("wrote", path)
    except OSError as e:
        print("could not write", path, type(e).__name__)
ANSWER_OK = True
