"""A plain CSV of grades for any other system or a spreadsheet: every column kept.

With a roster, each roster student is a row (identity columns first); without
one, it is grades.csv as it is. UTF-8 with a byte-order mark, so Excel shows
Korean names correctly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from autograder.files import csv_text
from autograder.exports.files import write_atomic


def write_csv(rows: pd.DataFrame, path: Path, *, identity: list[str] | tuple[str, ...] = ()) -> Path:
    """Write ``rows`` with the ``identity`` columns first, then ``student_id`` and the rest."""
    first = [c for c in (*identity, "student_id") if c in rows.columns]
    columns = list(dict.fromkeys([*first, *[c for c in rows.columns if c not in first]]))
    text = csv_text(rows[columns], lineterminator="\n", float_format="%.6g")
    return write_atomic(path, "\ufeff" + text)
