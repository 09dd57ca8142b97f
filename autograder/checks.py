"""The import path of check authors: ``from autograder.checks import expect_equal, fail, ...``.

Rubrics and public checks import from here; the code lives in ``autograder.grading.checks``.
"""

from autograder.grading.checks import *  # noqa: F401,F403
from autograder.grading.checks import __all__  # noqa: F401
