"""How a prompt is worded: open questions that invite a story, plain words, honest framing.

- `is_closed_question`: a bare yes/no question ("Do you ...?") unless it also asks why/how/what/
  which.
- `flesch_reading_ease`: Flesch reading ease, each prompt counted as one sentence.
- `is_one_word_preference`: a layer-1 preference question ("favourite", "which", "what kind of"...)
  that asks for no story or reason, so one word answers it.
- `first_meeting_phrases`: wording that only makes sense the first time a pair meets ("first
  impression", "just met"...); such a prompt must carry `first_meeting: true`.
- `example_issues`: the example answer is 1-3 sentences, at most 280 characters, no emoji, and
  reads as an answer (it does not end with a question mark).
"""

from __future__ import annotations

import re
import unicodedata

_OPENERS = "do does did are is was were have has can could would will should"
# Words that, right after an opener, make the sentence a yes/no question ("Do you", "Is there").
_SUBJECTS = (
    "you your yours yourself we our us i my me they there it this that anyone anything someone "
    "something"
)
YES_NO_OPENERS = frozenset(_OPENERS.split())
YES_NO_SUBJECTS = frozenset(_SUBJECTS.split())
OPEN_WORDS = frozenset({"why", "how", "what", "which"})
PARTNER_PHRASE = re.compile(r"\byour partner\b", re.IGNORECASE)

# A preference question: one word ("blue", "pizza") answers it unless it also asks for a story.
PREFERENCE_MARKERS = re.compile(
    r"\b(favou?rites?|faves?|which|what (kind|type|sort)s? of|go-to|prefer|best|top|most|"
    r"pick|wins|rather|reach for)\b",
    re.IGNORECASE,
)
# ...and these ask for one: a reason, a moment or a small story.
STORY_MARKERS = re.compile(
    r"\b(why|how|story|stories|when|what happened|what (made|makes|drew|draws|got|gets|changed)|"
    r"the reason|what's behind|what is behind|tell|where (did|were|was)|what was happening|"
    r"what did you (find|learn|notice))\b",
    re.IGNORECASE,
)
# Phrasing that presumes the pair is meeting for the first time.
FIRST_MEETING_PATTERNS = re.compile(
    r"\b(first impressions?|before today|when we first|when you first (met|saw|read)|just met|"
    r"first (time|meeting|chat|conversation|round) (we|you two|you both|together|with each other)|"
    r"(meeting|met) for the first time|first meeting|new to each other|"
    r"(haven't|have not|never) met|(as|were) strangers)\b",
    re.IGNORECASE,
)

MAX_EXAMPLE_CHARS = 280
MAX_EXAMPLE_SENTENCES = 3
# A sentence ends at . ! or ? (and any closing quote or bracket) followed by a space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]’”]*(?:\s+|$)")


def count_syllables(word: str) -> int:
    """Vowel groups, minus a trailing silent "e" (a lone final "e", not in "-le"), at least 1."""
    word = word.lower()
    groups = len(re.findall(r"[aeiouy]+", word))
    silent_e = word.endswith("e") and not word.endswith("le") and re.search(r"[^aeiouy]e$", word)
    if silent_e and groups > 1:
        groups -= 1
    return max(groups, 1)


def flesch_reading_ease(text: str) -> float:
    """206.835 - 1.015 * words/sentences - 84.6 * syllables/words, with one sentence."""
    words = [w.replace("'", "") for w in re.findall(r"[a-z0-9']+", text.lower())]
    words = [w for w in words if w]
    if not words:
        return 206.835
    syllables = sum(count_syllables(w) for w in words)
    return 206.835 - 1.015 * len(words) - 84.6 * syllables / len(words)


def is_closed_question(text: str) -> bool:
    """A bare yes/no question: opener + subject, and no why/how/what/which later on."""
    words = re.findall(r"[a-z']+", text.lower())
    if len(words) < 2 or words[0] not in YES_NO_OPENERS or words[1] not in YES_NO_SUBJECTS:
        return False
    return not OPEN_WORDS.intersection(words[2:])


def is_one_word_preference(text: str) -> bool:
    """A preference question with nothing that asks for a reason, a moment or a story."""
    return bool(PREFERENCE_MARKERS.search(text)) and not STORY_MARKERS.search(text)


def first_meeting_phrases(text: str) -> list[str]:
    return [match.group(0) for match in FIRST_MEETING_PATTERNS.finditer(text)]


def has_partner_phrase(text: str) -> bool:
    return bool(PARTNER_PHRASE.search(text))


def count_sentences(text: str) -> int:
    return len([part for part in _SENTENCE_END.split(text.strip()) if part.strip()])


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or 0x1F000 <= ord(char) <= 0x1FAFF


def example_issues(example: str) -> list[str]:
    """What is wrong with an example answer (whitespace-collapsed), if anything."""
    text = " ".join(example.split())
    issues = []
    if not re.search(r"[A-Za-z]", text):
        issues.append("must contain words")
    if len(text) > MAX_EXAMPLE_CHARS:
        issues.append(f"must be at most {MAX_EXAMPLE_CHARS} characters (has {len(text)})")
    sentences = count_sentences(text)
    if sentences > MAX_EXAMPLE_SENTENCES:
        issues.append(f"must be 1-{MAX_EXAMPLE_SENTENCES} sentences (has {sentences})")
    if text.endswith("?"):
        issues.append("must read as an answer, not end with a question")
    emoji = sorted({char for char in text if _is_emoji(char)})
    if emoji:
        issues.append(f"must not contain emoji ({' '.join(emoji)})")
    return issues
