"""Sandboxed autograder for a Keras course taught in Korean.

One folder per role; dependencies point down only:
cli -> batch / authoring / exports -> grading -> engine.
``errors`` (exit codes) and ``files`` (atomic writes, CSV text) sit beside them and import nothing of them.
``checks`` is the import path of check authors (``from autograder.checks import expect_equal``).
"""

__version__ = "0.1.0"
