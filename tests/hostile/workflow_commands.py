"""Raise at import with GitHub Actions workflow commands in the message, one per line, for `grade ci` to print."""

raise ValueError("bad input\n::add-mask::hidden\n::stop-commands::pwned\n"
                 "::error file=rubrics/test_secret.py::all checks passed\n##[set-env name=PATH;]/tmp\n::pwned::")
