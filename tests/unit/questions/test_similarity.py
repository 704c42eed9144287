"""The lint's TF-IDF cosine is scikit-learn's, written out (a bot process shouldn't import
SciPy to check one sentence): the same scores on every pair of the shipped banks, and one row
for a single new draft equal to that row of the whole square."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.questions.loader import load_banks
from bot.questions.rules.duplicates import features, similarities

QUESTIONS = Path(__file__).resolve().parents[3] / "questions"


def _texts() -> list[str]:
    banks = load_banks([QUESTIONS])
    return [p.text for bank in banks.values() for p in bank.prompts]


def test_the_scores_are_scikit_learns() -> None:
    text = pytest.importorskip("sklearn.feature_extraction.text")
    pairwise = pytest.importorskip("sklearn.metrics.pairwise")
    texts = _texts()
    vectorizer = text.TfidfVectorizer(
        analyzer=features, sublinear_tf=True, token_pattern=None, lowercase=False
    )
    expected = pairwise.linear_kernel(vectorizer.fit_transform(texts))
    ours = similarities(texts)
    assert len(ours) == len(texts) > 400
    worst = max(
        abs(ours[i][j] - expected[i][j]) for i in range(len(texts)) for j in range(len(texts))
    )
    assert worst < 1e-9


def test_one_row_for_a_draft_is_that_row_of_the_square() -> None:
    texts = [*_texts()[:120], "What small ritual starts your working day?"]
    assert similarities(texts, only_last=True) == similarities(texts)[-1:]


def test_texts_without_content_words_score_nothing() -> None:
    assert similarities(["What is it?", "Is it?"]) == [[0.0, 0.0], [0.0, 0.0]]
    assert similarities([]) == []
