"""Safety and presumption: what a prompt must never touch, and what it must not take for granted.

- `denied_terms`: word stems that are off-limits (health, money, religion, politics, family and
  dating status, alcohol and drugs, trauma), matched at word starts, a stricter list for
  ``audience: workplace``, minus a short reviewed allow-list of whole words. Checked on the prompt
  text and on its example answer.
- `presumptions`: phrases that presume something not everyone has or that did not happen (a
  commute, children, a team, a hometown, a hobby, an earlier or later round). Checked on the
  prompt text. "your partner" is not listed: in layer 4 it means the round partner, and the
  ``partner-wording`` rule keeps it out of the other layers.
"""

from __future__ import annotations

import re

WORKPLACE_DENY_STEMS = (
    "religio",
    "church",
    "god",
    "pray",
    "politic",
    "election",
    "vote",
    "salary",
    "wage",
    "money",
    "debt",
    "pregnan",
    "dating",
    "boyfriend",
    "girlfriend",
    "husband",
    "wife",
    "married",
    "divorce",
    "therap",
    "diagnos",
    "illness",
    "sick",
    "alcohol",
    "drunk",
    "beer",
    "wine",
    "drug",
    "trauma",
    "death",
    "dead",
    "funeral",
    "grief",
    "sex",
    "weight",
    "diet",
)
# "die" as a stem would catch "diet" (already denied) and harmless words like "diesel", so only
# the whole word and its inflections are denied.
WORKPLACE_DENY_WORDS = frozenset({"die", "dies", "died", "dying"})
COMMUNITY_DENY_STEMS = (
    "trauma",
    "therap",
    "diagnos",
    "politic",
    "religio",
    "church",
    "pray",
    "salary",
    "debt",
    "sex",
    "drug",
    "alcohol",
    "suicid",
    "abuse",
)
# Whole words that start with a denied stem but mean something harmless. Keep this short;
# every entry is a reviewed exception, not a way around the list.
ALLOWED_WORDS = frozenset(
    {
        "deadline",
        "deadlines",  # a work date, not mortality ("dead")
        "deadpan",  # a style of humour ("dead")
        "sextet",
        "sextets",  # a group of six musicians ("sex")
        "husbandry",  # farming and animal care ("husband")
    }
)


def _letter_words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def denied_terms(text: str, audience: str) -> list[str]:
    """The words of `text` that hit the deny-list for `audience`, in order, without repeats."""
    workplace = audience == "workplace"
    stems = WORKPLACE_DENY_STEMS if workplace else COMMUNITY_DENY_STEMS
    hits: list[str] = []
    for word in _letter_words(text):
        if word in ALLOWED_WORDS or word in hits:
            continue
        if (workplace and word in WORKPLACE_DENY_WORDS) or word.startswith(stems):
            hits.append(word)
    return hits


# (pattern, what it presumes). Matched case-insensitively at word boundaries. Each entry names
# the presumption so the message can say what to avoid; keep the list curated and short enough to
# read: it documents the bank's rule as much as it checks it.
PRESUMPTIONS: tuple[tuple[str, str], ...] = (
    (r"your (daily )?commute", "a commute"),
    (r"your (drive|ride|journey|trip) (to|into) work", "a commute"),
    (r"(on )?the way (in )?to (work|the office)", "a commute"),
    (r"your (kids?|children|child|sons?|daughters?|baby|babies)", "children"),
    (r"your (family|parents?|mum|mom|dad|siblings?|brothers?|sisters?)", "family"),
    (r"your (spouse|husband|wife|girlfriend|boyfriend|fianc[eé]e?)", "a partner at home"),
    (r"your (team|teams|teammates?|squad|department)", "a team"),
    (r"your (manager|boss|direct reports?)", "a manager"),
    (r"your (office|cubicle)", "an office"),
    (r"your (home ?town|home country|country of origin)", "a hometown"),
    (r"where (did )?you (grew|grow) up", "an origin"),
    (r"where (are you|you are|you're) from", "an origin"),
    (r"where (were you|you were) born", "an origin"),
    (r"your (mother tongue|native language|accent)", "an origin"),
    (r"your (pets?|dogs?|cats?)", "a pet"),
    (r"your (car|bike|garden|house|flat|apartment|balcony)", "a possession"),
    (r"your (hobby|hobbies|instrument|band|gym|workout|club)", "a hobby"),
    (r"your favou?rite (game|team|band|console)", "a hobby"),
    (r"your (console|gaming setup|guild)", "a gaming habit"),
    (r"your (degree|university|college|school days)", "an education"),
    (r"your (holiday|holidays|vacation|vacations)", "time and money for travel"),
    (r"your (morning )?(coffee|tea)", "a coffee or tea habit"),
    (r"(before|after) (this|the) (round|chat|session)", "something outside this round"),
    (r"(next|last|previous) (round|time we)", "another round"),
    (r"(stay|keep) in touch", "something outside this round"),
    (r"what made you laugh", "that something funny happened"),
    (r"(last|this) weekend", "a weekend off"),
)
_PRESUMPTION_RES = tuple(
    (re.compile(rf"\b{pattern}\b", re.IGNORECASE), what) for pattern, what in PRESUMPTIONS
)


def presumptions(text: str) -> list[tuple[str, str]]:
    """(matched phrase, what it presumes) for each presumption in `text`, in list order."""
    found = []
    for regex, what in _PRESUMPTION_RES:
        match = regex.search(text)
        if match:
            found.append((match.group(0), what))
    return found
