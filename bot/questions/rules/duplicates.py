"""Duplicates: the same question twice, in the same words or in other words.

- Exact: equal after normalising case, punctuation and spacing.
- Near (on meaning, not only on shared words): TF-IDF (scikit-learn's weighting) over unigrams
  and bigrams of Snowball-stemmed content words, after everyday phrasings of one idea are folded
  into one token (`CONCEPTS`: "wake up", "breakfast" and "mornings" are one idea; so are "unwind",
  "switch off" and "the end of the day"), compared by cosine similarity. TF-IDF weighs words by
  how rare they are in the banks checked together, so two prompts that share "changed your mind"
  and "food" score high while two that share only "your partner" or "today" do not. Pairs at or
  above `NEAR_DUPLICATE_LIMIT` are reported.

Banks are compared within one audience (a workplace bank with other workplace banks, e.g. the
shipped one and a workspace's own): banks of different audiences never meet in one round.
Each problem is reported on the later prompt of a pair, naming the earlier one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise

from bot.engine.bank import Bank, Prompt
from bot.questions.schema import Problem

RULE = "duplicate"
# Tuned on the shipped banks: every pair at or above it asks the same thing in other words
# (the old banks' six morning-routine prompts, three end-of-day wind-downs); genuinely different
# prompts on one topic ("a place you go to think" / "a place you would show a visitor") stay
# well below it. Raise it only with a test showing a false positive.
NEAR_DUPLICATE_LIMIT = 0.6

# Everyday phrasings of one idea, folded to one token before weighing, so that two prompts about
# the same moment of the day or the same move match even in different words. Each key is the
# token; each value a regular expression over the lowercased text.
CONCEPTS: dict[str, str] = {
    "xmorning": r"\b(mornings?|wak(e|es|ing) up|woke up|breakfast|start (of )?(your|the) day)\b",
    "xdayend": (
        r"\b(end of (the|your) (work ?)?day|wind(ing)? down|unwind\w*|switch(ing)? off|"
        r"before bed|bedtime|evenings?|log(ging)? off|after work)\b"
    ),
    "xworkstart": r"\b(sit down to work|start(ing)? work|start of (the|your) work ?day)\b",
    "xmindchange": (
        r"\b(chang\w* your mind|once dislike\w*|used to dislike|came (a)?round to|"
        r"grown to (like|love)|dislike\w* but (like|love))\b"
    ),
    "xfavourite": r"\b(favou?rites?|faves?|go-to|best-loved)\b",
    "xfood": r"\b(foods?|dish(es)?|meals?|snacks?|cook\w*|recipes?)\b",
    "xfilm": r"\b(films?|movies?|cinema|shows?|series)\b",
    "xsong": r"\b(songs?|tunes?|tracks?|albums?|music)\b",
    "xbook": r"\b(books?|novels?|reads?)\b",
    "xlearn": r"\b(learn(ed|t|ing|s)?)\b",
    "xproud": r"\b(proud(er|est)?|pride)\b",
    "xhelp": r"\b(help(ed|s|ing)?|support(ed|s|ing)?|lend a hand)\b",
    "xenjoy": r"\b(enjoy(ed|s|ing)?|love[sd]?|loving|fond of)\b",
    "xnotice": r"\b(notic(e|ed|es|ing)|spot(ted|s)?|spy)\b",
    "xsmall": r"\b(small(est)?|little|tiny|short)\b",
}
_CONCEPT_RES = tuple((re.compile(pattern), token) for token, pattern in CONCEPTS.items())
# Function words and the question frame every prompt shares; anything else carries meaning.
_STOP_TEXT = """
    a about again all also an and any anything are as at be been being bit but by can could did do
    does doing ever for from get got had happen happened has have how i if in into is it its just
    kind lot made make makes me more most much my now of on once one or our really so some someone
    something sort than that the their them then there these they thing things this those to type
    us very was we were what what's whats when where which who whom why will with would you your
    yours yourself
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


@cache
def _stemmer():  # type: ignore[no-untyped-def]
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def normalise(text: str) -> str:
    """Lowercase, punctuation removed, spacing collapsed: the key for exact duplicates."""
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


def content_tokens(text: str) -> list[str]:
    """Concepts folded, stop words dropped, the rest stemmed: what TF-IDF weighs."""
    folded = text.lower().replace("’", "'")
    for regex, token in _CONCEPT_RES:
        folded = regex.sub(f" {token} ", folded)
    words = [w.removesuffix("'s") for w in re.findall(r"[a-z][a-z'-]*", folded)]
    kept = [w for w in words if w not in STOP_WORDS and len(w) > 1]
    stems = _stemmer().stemWords(kept)
    tokens = [word if word in CONCEPTS else stem for word, stem in zip(kept, stems, strict=True)]
    # "changed your mind" and "once disliked" in one prompt are one idea, not two mentions
    return [t for i, t in enumerate(tokens) if i == 0 or t != tokens[i - 1]]


@lru_cache(maxsize=8192)
def features(text: str) -> tuple[str, ...]:
    """The content tokens and each pair of neighbours, in either order ("help you unwind" and
    "unwind, and what helps" share the pair): pairs weigh ideas said together. Cached: a team's
    draft is compared with the same shipped prompts every time."""
    tokens = content_tokens(text)
    pairs = (" ".join(sorted(pair)) for pair in pairwise(tokens))
    return (*tokens, *pairs)


@dataclass(frozen=True)
class _Item:
    shown: str
    prompt: Prompt


def similarities(texts: Sequence[str], only_last: bool = False) -> list[list[float]]:
    """Pairwise TF-IDF cosine similarity of the texts (1.0 on the diagonal); `only_last`: only
    the last text's row (weighed by the whole set all the same), for a single new prompt.

    The weighting is scikit-learn's `TfidfVectorizer(sublinear_tf=True)`: tf = 1 + ln(count),
    idf = ln((1 + n) / (1 + df)) + 1, each vector L2-normalised (a test pins the two equal).
    Written out because it is a few lines over sparse dictionaries, where scikit-learn and
    SciPy would cost a bot process seconds of imports and ~100 MB for one sentence's check."""
    counted = [Counter(features(text)) for text in texts]
    documents = Counter(feature for counts in counted for feature in counts)
    smoothed = len(texts) + 1
    idf = {feature: math.log(smoothed / (1 + df)) + 1 for feature, df in documents.items()}
    vectors = [
        _unit({f: (1 + math.log(c)) * idf[f] for f, c in counts.items()}) for counts in counted
    ]
    rows = vectors[-1:] if only_last and vectors else vectors
    return [[_dot(row, other) for other in vectors] for row in rows]


def _unit(vector: dict[str, float]) -> dict[str, float]:
    length = math.sqrt(sum(w * w for w in vector.values()))
    return {f: w / length for f, w in vector.items()} if length else {}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(b) < len(a):
        a, b = b, a
    return sum(w * b[f] for f, w in a.items() if f in b)


def duplicate_problems(entries: Sequence[tuple[str, Bank]]) -> list[Problem]:
    """Exact and near duplicates among banks of the same audience."""
    problems: list[Problem] = []
    audiences = sorted({bank.audience for _, bank in entries})
    for audience in audiences:
        items = [
            _Item(shown, prompt)
            for shown, bank in entries
            if bank.audience == audience
            for prompt in bank.prompts
        ]
        problems.extend(_audience_problems(items))
    return problems


def last_prompt_duplicates(entries: Sequence[tuple[str, Bank]]) -> list[Problem]:
    """The problems `duplicate_problems` reports on the last prompt of the last bank (a new
    draft), at the cost of one row of similarities instead of the whole square."""
    _, bank = entries[-1]
    items = [
        _Item(other_shown, prompt)
        for other_shown, other in entries
        if other.audience == bank.audience
        for prompt in other.prompts
    ]
    return _audience_problems(items, only_last=True)


def _audience_problems(items: Sequence[_Item], only_last: bool = False) -> list[Problem]:
    keys = [normalise(item.prompt.text) for item in items]
    scores = similarities([item.prompt.text for item in items], only_last)
    first = len(items) - 1 if only_last else 0
    problems = []
    for j in range(first, len(items)):
        later, row = items[j], scores[j - first]
        for i in range(j):
            earlier = items[i]
            where = f"prompt {earlier.prompt.id}" + (
                "" if earlier.shown == later.shown else f" in {earlier.shown}"
            )
            if keys[i] == keys[j]:
                message = f"same text as {where}"
            elif row[i] >= NEAR_DUPLICATE_LIMIT:
                message = (
                    f"asks the same as {where} in other words (similarity {row[i]:.2f} >= "
                    f"{NEAR_DUPLICATE_LIMIT})"
                )
            else:
                continue
            problems.append(Problem(later.shown, later.prompt.id, "text", message, RULE))
    return problems
