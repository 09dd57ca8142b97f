"""Bilingual texts: each reader sees one language, a slash inside one language is not a split."""

from __future__ import annotations

from autograder.grading.checks import CheckFailed
from autograder.grading.language import in_language


def test_one_side_of_a_bilingual_text():
    text = "학습이 덜 되었나요? / not trained enough?"
    assert (in_language(text, "ko"), in_language(text, "en")) == ("학습이 덜 되었나요?", "not trained enough?")
    assert in_language("use np.maximum / np.where", "ko") == "use np.maximum / np.where"
    assert in_language("a / b 한국어 / English", "en") == "English"
    assert in_language(None, "en") is None


def test_a_check_failure_renders_each_language_from_bilingual_fields():
    failure = CheckFailed("sigmoid(1000)", expected="nan, inf 없는 값 / finite numbers (no nan or inf)", got="nan")
    assert failure.message == "sigmoid(1000): expected finite numbers (no nan or inf), got nan"
    assert failure.message_ko == "sigmoid(1000): 기대한 값 nan, inf 없는 값, 받은 값 nan"
