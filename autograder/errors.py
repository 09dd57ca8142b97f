"""The grader's exceptions; exit codes live here and nowhere else.

The core raises these; only ``cli.py`` turns them into a message and an exit code.
0 = done, 1 = a problem the user can fix, 2 = wrong usage. A bug keeps its traceback.
"""

from __future__ import annotations


class GradingError(Exception):
    """A problem the user can fix; shown as one line."""

    exit_code = 1


class UsageError(GradingError):
    """The command was called the wrong way."""

    exit_code = 2


class SubmissionError(GradingError):
    """A submission file or folder cannot be read; ``message_ko`` says the same to a Korean student."""

    def __init__(self, message: str, *, message_ko: str | None = None) -> None:
        super().__init__(message)
        self.message_ko = message_ko or message


class RubricError(GradingError):
    """A rubric or its checks are inconsistent."""


class DataError(GradingError):
    """A data set the assignment needs is missing or damaged."""


class AssignmentNotFound(GradingError):
    """No assignment of that name in the course."""


class SandboxUnavailable(GradingError):
    """Hidden checks need the sandbox (or ``--no-sandbox``; GRADE_SANDBOX=bwrap) and it cannot be used here."""

    exit_code = 2


class ChecksFailed(GradingError):
    """Grading ran, but not every check passed (exit code 1, no error line)."""


class Interrupted(GradingError):
    """The command was stopped by a signal (Ctrl-C, SIGTERM, SIGHUP): exit code 128 + its number."""

    exit_code = 130

    def __init__(self, message: str, *, signum: int = 2) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum


class BatchInterrupted(Interrupted):
    """The batch was stopped (Ctrl-C, SIGTERM, SIGHUP); what finished is kept in the journal."""
