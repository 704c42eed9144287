"""Content linter for question banks: `lint_banks(paths)` and `python -m bot.questions.lint`.

Rules (each problem carries its rule name):

- ``schema``: everything the loader checks (types, unknown keys, layer 1-4, declared topic, text
  ends with exactly one "?", <= 180 characters, <= 25 words), plus bank names and prompt ids
  unique across every bank linted together. A file with schema problems gets no content rules
  until it loads; the other files are still linted.
- ``breadth``: per bank and layer, every (layer, topic) pair used needs >= 2 prompts, so a swap
  always has somewhere to go. The stricter rules (>= 6 topics per layer, no topic above 35% of a
  layer) apply only to layers with >= 20 prompts, so tiny custom or test banks are not flagged.
- ``duplicate``: no two prompts equal after normalising case, punctuation and spacing, and no
  two with word-set Jaccard similarity >= 0.6; checked across all linted banks.
- ``safety``: word stems that are off-limits, matched at word starts (a stricter list for
  ``audience: workplace``), minus a short reviewed allow-list of whole words.
- ``open-ended``: no bare yes/no question ("Do you ...?") unless it also asks why/how/what/which.
- ``reading-ease``: Flesch reading ease >= 60, each prompt counted as one sentence.
- ``partner-wording``: "your partner" appears only in layer 4 ("You & me").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from bot.engine.bank import Bank, Prompt
from bot.questions.loader import bank_files, cross_bank_problems, display_path, parse_bank_file
from bot.questions.schema import Problem
from bot.text import plural

MIN_PROMPTS_PER_TOPIC = 2
BREADTH_MIN_LAYER_SIZE = 20
MIN_TOPICS_PER_LAYER = 6
MAX_TOPIC_SHARE = 0.35
JACCARD_LIMIT = 0.6
MIN_READING_EASE = 60.0
PARTNER_LAYER = 4

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

YES_NO_OPENERS = frozenset(
    {
        "do",
        "does",
        "did",
        "are",
        "is",
        "was",
        "were",
        "have",
        "has",
        "can",
        "could",
        "would",
        "will",
        "should",
    }
)
# Words that, right after an opener, make the sentence a yes/no question ("Do you", "Is there").
YES_NO_SUBJECTS = frozenset(
    {
        "you",
        "your",
        "yours",
        "yourself",
        "we",
        "our",
        "us",
        "i",
        "my",
        "me",
        "they",
        "there",
        "it",
        "this",
        "that",
        "anyone",
        "anything",
        "someone",
        "something",
    }
)
OPEN_WORDS = frozenset({"why", "how", "what", "which"})
PARTNER_PHRASE = re.compile(r"\byour partner\b", re.IGNORECASE)


@dataclass(frozen=True)
class SummaryRow:
    """Counts for one layer of one bank."""

    bank: str
    layer: int
    prompts: int
    topics: int
    not_hierarchy_safe: int


@dataclass
class LintReport:
    """Everything `lint_banks` found, plus a per-bank, per-layer summary."""

    problems: list[Problem] = field(default_factory=list)
    summary: list[SummaryRow] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


# --- text helpers -------------------------------------------------------------------------


def _letter_words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def normalise(text: str) -> str:
    """Lowercase, punctuation removed, spacing collapsed: the key for exact duplicates."""
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


def word_set(text: str) -> frozenset[str]:
    return frozenset(normalise(text).split())


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


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


def is_closed_question(text: str) -> bool:
    """A bare yes/no question: opener + subject, and no why/how/what/which later on."""
    words = re.findall(r"[a-z']+", text.lower())
    if len(words) < 2 or words[0] not in YES_NO_OPENERS or words[1] not in YES_NO_SUBJECTS:
        return False
    return not OPEN_WORDS.intersection(words[2:])


# --- rules ----------------------------------------------------------------------------------


def breadth_problems(shown: str, bank: Bank) -> list[Problem]:
    problems = []
    for layer in bank.layers:
        prompts = bank.in_layer(layer)
        counts = Counter(p.topic for p in prompts)
        for prompt in prompts:
            if counts[prompt.topic] < MIN_PROMPTS_PER_TOPIC:
                message = (
                    f"is the only layer-{layer} prompt on '{prompt.topic}'; every "
                    f"(layer, topic) needs at least {MIN_PROMPTS_PER_TOPIC}"
                )
                problems.append(Problem(shown, prompt.id, "topic", message, "breadth"))
        if len(prompts) < BREADTH_MIN_LAYER_SIZE:
            continue
        if len(counts) < MIN_TOPICS_PER_LAYER:
            message = (
                f"layer {layer} covers {plural(len(counts), 'topic', 'topics')}; "
                f"it needs at least {MIN_TOPICS_PER_LAYER}"
            )
            problems.append(Problem(shown, None, None, message, "breadth"))
        for topic, count in sorted(counts.items()):
            share = count / len(prompts)
            if share > MAX_TOPIC_SHARE:
                message = (
                    f"layer {layer}: topic '{topic}' has {count} of {len(prompts)} "
                    f"prompts ({share:.0%}); at most {MAX_TOPIC_SHARE:.0%} allowed"
                )
                problems.append(Problem(shown, None, None, message, "breadth"))
    return problems


def _per_prompt(
    rule: str, check: Callable[[Prompt, Bank], str | None]
) -> Callable[[str, Bank], list[Problem]]:
    def run(shown: str, bank: Bank) -> list[Problem]:
        found = ((p, check(p, bank)) for p in bank.prompts)
        return [Problem(shown, p.id, "text", msg, rule) for p, msg in found if msg is not None]

    return run


def _safety(prompt: Prompt, bank: Bank) -> str | None:
    hits = denied_terms(prompt.text, bank.audience)
    if not hits:
        return None
    return f"{', '.join(repr(h) for h in hits)}: off-limits in a {bank.audience} bank"


def _open_ended(prompt: Prompt, bank: Bank) -> str | None:
    if not is_closed_question(prompt.text):
        return None
    return "reads as a yes/no question; ask what, how, which or why instead"


def _reading_ease(prompt: Prompt, bank: Bank) -> str | None:
    score = flesch_reading_ease(prompt.text)
    if score >= MIN_READING_EASE:
        return None
    return f"Flesch reading ease {score:.1f} is below {MIN_READING_EASE:.0f}; use shorter words"


def _partner_wording(prompt: Prompt, bank: Bank) -> str | None:
    if prompt.layer == PARTNER_LAYER or not PARTNER_PHRASE.search(prompt.text):
        return None
    return f"'your partner' belongs to layer {PARTNER_LAYER} only (this is layer {prompt.layer})"


BANK_RULES: tuple[Callable[[str, Bank], list[Problem]], ...] = (
    breadth_problems,
    _per_prompt("safety", _safety),
    _per_prompt("open-ended", _open_ended),
    _per_prompt("reading-ease", _reading_ease),
    _per_prompt("partner-wording", _partner_wording),
)


def duplicate_problems(entries: Sequence[tuple[str, Bank]]) -> list[Problem]:
    """Exact (normalised) and near (Jaccard) duplicates across all banks; reported on the later."""
    items = [
        (shown, p, normalise(p.text), word_set(p.text))
        for shown, bank in entries
        for p in bank.prompts
    ]
    problems = []
    for (file_a, a, norm_a, set_a), (file_b, b, norm_b, set_b) in combinations(items, 2):
        where = f"prompt {a.id}" + ("" if file_a == file_b else f" in {file_a}")
        if norm_a == norm_b:
            message = f"same text as {where}"
        elif (score := jaccard(set_a, set_b)) >= JACCARD_LIMIT:
            message = f"too similar to {where} (word overlap {score:.2f} >= {JACCARD_LIMIT})"
        else:
            continue
        problems.append(Problem(file_b, b.id, "text", message, "duplicate"))
    return problems


# --- driver ---------------------------------------------------------------------------------


def _collect_files(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = bank_files(path)
            if not found:
                message = "no bank files (*.yaml, *.yml) in this directory"
                problems.append(Problem(display_path(path), None, None, message))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(display_path(path), None, None, "path not found"))
    unique = list({f.resolve(): f for f in files}.values())
    return unique, problems


def summarise(bank: Bank) -> list[SummaryRow]:
    rows = []
    for layer in bank.layers:
        prompts = bank.in_layer(layer)
        unsafe = sum(1 for p in prompts if not p.hierarchy_safe)
        topics = len({p.topic for p in prompts})
        rows.append(SummaryRow(bank.name, layer, len(prompts), topics, unsafe))
    return rows


def lint_banks(paths: Sequence[Path]) -> LintReport:
    """Lint bank files and directories of bank files together; never raises for bad banks."""
    files, problems = _collect_files(paths)
    entries: list[tuple[str, Bank]] = []
    for path in files:
        bank, found = parse_bank_file(path)
        problems.extend(found)
        if bank is not None:
            entries.append((display_path(path), bank))
    problems.extend(cross_bank_problems(entries))
    for shown, bank in entries:
        for rule in BANK_RULES:
            problems.extend(rule(shown, bank))
    problems.extend(duplicate_problems(entries))
    summary = [row for _, bank in entries for row in summarise(bank)]
    return LintReport(problems=problems, summary=summary, files=len(files))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.questions.lint [PATH...]`; the default path is `questions/`."""
    import argparse

    from rich.console import Console

    from bot.questions.cli import run_lint

    parser = argparse.ArgumentParser(
        prog="python -m bot.questions.lint",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path("questions")],
        help="bank files or directories (default: questions/)",
    )
    args = parser.parse_args(argv)
    return run_lint(args.paths, Console())


if __name__ == "__main__":
    raise SystemExit(main())
