"""Breadth: every layer is big and varied enough for its kind of bank (`LintProfile`).

Per layer the bank has: at least `min_prompts_per_layer` prompts and `min_topics_per_layer`
topics, every (layer, topic) used at least `min_prompts_per_topic` times (so a swap always finds
another prompt), no topic above `max_topic_share` of the layer; and at most `max_first_meeting`
prompts in the bank carry `first_meeting: true`.
"""

from __future__ import annotations

from collections import Counter

from bot.engine.bank import Bank
from bot.i18n.translate import translator
from bot.questions.profiles import LintProfile
from bot.questions.schema import Problem

# operator output stays English; CLDR plurals through the one translation layer
counted = translator("en").ngettext

RULE = "breadth"


def _layer_problems(shown: str, bank: Bank, layer: int, profile: LintProfile) -> list[Problem]:
    prompts = bank.in_layer(layer)
    counts = Counter(p.topic for p in prompts)
    problems = []
    for prompt in prompts:
        count = counts[prompt.topic]
        if count < profile.min_prompts_per_topic:
            has = counted(
                f"{{count}} layer-{layer} prompt", f"{{count}} layer-{layer} prompts", count
            )
            message = (
                f"topic '{prompt.topic}' has {has}; every (layer, topic) used needs at least "
                f"{profile.min_prompts_per_topic} ({profile.name} bank)"
            )
            problems.append(Problem(shown, prompt.id, "topic", message, RULE))
    if len(prompts) < profile.min_prompts_per_layer:
        message = (
            f"layer {layer} has {counted('{count} prompt', '{count} prompts', len(prompts))}; "
            f"a {profile.name} "
            f"bank needs at least {profile.min_prompts_per_layer} per layer"
        )
        problems.append(Problem(shown, None, None, message, RULE))
    if len(counts) < profile.min_topics_per_layer:
        message = (
            f"layer {layer} covers {counted('{count} topic', '{count} topics', len(counts))}; a "
            f"{profile.name} bank needs at least "
            f"{profile.min_topics_per_layer} per layer"
        )
        problems.append(Problem(shown, None, None, message, RULE))
    if profile.max_topic_share is not None:
        for topic, count in sorted(counts.items()):
            share = count / len(prompts)
            if share > profile.max_topic_share + 1e-9:
                message = (
                    f"layer {layer}: topic '{topic}' has {count} of {len(prompts)} prompts "
                    f"({share:.0%}); at most {profile.max_topic_share:.0%} allowed"
                )
                problems.append(Problem(shown, None, None, message, RULE))
    return problems


def breadth_problems(shown: str, bank: Bank, profile: LintProfile) -> list[Problem]:
    problems = [
        problem for layer in bank.layers for problem in _layer_problems(shown, bank, layer, profile)
    ]
    flagged = [p for p in bank.prompts if p.first_meeting]
    if len(flagged) > profile.max_first_meeting:
        message = (
            f"{counted('{count} prompt carries', '{count} prompts carry', len(flagged))} "
            "first_meeting: true; "
            f"at most {profile.max_first_meeting} may (they are drawn only in a pair's first round)"
        )
        problems.append(Problem(shown, None, None, message, RULE))
    return problems
