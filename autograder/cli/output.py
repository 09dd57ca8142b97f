"""Everything the ``grade`` commands print goes through here, escaped for a terminal and a CI log alike
(any command may run in CI), and the fail-closed sandbox rule of the commands that run hidden checks."""

from __future__ import annotations

import click

from autograder.engine import sandbox
from autograder.errors import SandboxUnavailable
from autograder.exports.display import ci_log_safe

INSTALL = "pass --no-sandbox to grade without one, or make bubblewrap work (Debian, Ubuntu: apt-get install bubblewrap)"


def echo(text: str, *, err: bool = False) -> None:
    """Print text whose parts may come from a submission: control characters and CI workflow
    commands are shown, never obeyed."""
    click.echo(ci_log_safe(text), err=err)


def warn_about(problems: list[str], what: str) -> None:
    """One ``warning:`` line per problem on stderr, then how many there were (nothing when none)."""
    for problem in problems:
        echo(f"warning: {problem}", err=True)
    if problems:
        echo(f"{len(problems)} {what}", err=True)


def no_sandbox_option(command):
    """The ``--no-sandbox`` flag of commands that run hidden checks."""
    return click.option("--no-sandbox", "no_sandbox", is_flag=True,
                        help="Grade even where bubblewrap cannot sandbox the workers (grades.csv's sandbox "
                             "column then says none). Without it such a command refuses to run.")(command)


def refuse_without_sandbox(no_sandbox: bool) -> None:
    """Fail closed: hidden checks run sandboxed, or with ``--no-sandbox`` after a note saying they are not."""
    if no_sandbox:
        note_unsandboxed()
        return
    try:
        sandbox.require_sandbox()
    except SandboxUnavailable as e:
        raise SandboxUnavailable(f"{e}; {INSTALL}") from e


def note_unsandboxed() -> None:
    """The one-line note when submissions will run without a sandbox (nothing when they will not)."""
    notice = sandbox.sandbox_notice()
    if notice:
        echo(f"note: {notice}", err=True)
