"""Grades where people use them: LMS import files, Gradescope, JUnit, job summaries.

Each module writes one format and nothing else:

- ``lms.export_grades``: the front door of ``grade export`` (grades.csv + roster -> one file);
- ``canvas``, ``moodle``, ``blackboard``, ``csv_export``: the LMS gradebook import files;
- ``gradescope``: Gradescope's autograder ``results.json``;
- ``junit``: JUnit XML for CI; ``summary``: Markdown for ``$GITHUB_STEP_SUMMARY``;
- ``notebook_html``: a student's notebook as a feedback page (used by ``autograder.feedback``);
- ``grades`` (reading grades.csv back) and ``files`` (atomic writes, ``ExportError``).
"""
