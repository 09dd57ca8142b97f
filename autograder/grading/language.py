"""Bilingual texts: check authors and hints write ``"한국어 / English"``; each reader sees one side."""

from __future__ import annotations

import re

HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def in_language(text: str | None, lang: str) -> str | None:
    """One side of a ``"한국어 / English"`` text, else the text itself.

    The split is at the first `` / `` with Hangul before it and none after it, so
    ``np.maximum / np.where`` inside one language is left alone.
    """
    if not text:
        return text
    for match in re.finditer(r" / ", text):
        korean, english = text[: match.start()], text[match.end():]
        if HANGUL.search(korean) and not HANGUL.search(english):
            return korean if lang == "ko" else english
    return text
