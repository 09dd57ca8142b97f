"""What people open: grades CSV, LMS import files, Gradescope, JUnit, feedback, the TA report, terminal display.

Each module writes one format and nothing else:

- ``lms.export_grades``: the front door of ``grade export`` (grades.csv + roster -> one file);
- ``canvas``, ``moodle``, ``blackboard``, ``csv_export``: the LMS gradebook import files;
- ``gradescope``: Gradescope's autograder ``results.json``;
- ``junit``: JUnit XML for CI; ``summary``: Markdown for ``$GITHUB_STEP_SUMMARY``;
- ``notebook_html``: a student's notebook as a feedback page (used by ``autograder.exports.feedback``);
- ``grades`` (reading grades.csv back) and ``files`` (output paths, ``ExportError``);
- ``feedback``, ``notebook_html``, ``wording``: feedback pages for students; ``report``: the TA report;
- ``roster``: rosters to match ids against; ``display``: the terminal; ``ci``: ``grade ci``.

May import ``autograder.grading``, ``autograder.engine``, ``autograder.errors``, ``autograder.files`` and itself.
"""
