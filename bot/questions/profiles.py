"""Lint profiles: how big and broad a bank must be, by kind of bank.

The content rules (safety, presumption, wording, duplicates...) are the same for every bank; what
differs is size. A bank shipped with Rapport must hold up for a year of weekly rounds, so it needs
many prompts in every layer and many topics; a workspace's own small bank only needs enough for a
round to draw from and for a swap to find another topic. Custom (per-workspace) banks reuse the
lint with `CUSTOM` or a profile of their own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LintProfile:
    """Size thresholds for one kind of bank; each applies per layer the bank has."""

    name: str
    # prompts each layer needs (a round asks `prompts_per_layer`, 2 by default, per layer)
    min_prompts_per_layer: int
    # distinct topics each layer needs: a swap draws a different topic, so at least 2
    min_topics_per_layer: int
    # prompts each (layer, topic) needs, so a swap always finds another prompt on a topic
    min_prompts_per_topic: int
    # the largest share of a layer one topic may take; None: no limit
    max_topic_share: float | None
    # how many prompts may carry `first_meeting: true` (they are only drawn in a pair's first
    # round, so a bank relying on them runs dry for pairs who meet again)
    max_first_meeting: int
    # every prompt needs an `example` answer (the demo partner's answer, "See an example")
    require_example: bool = True


SHIPPED = LintProfile(
    name="shipped",
    min_prompts_per_layer=60,
    min_topics_per_layer=8,
    min_prompts_per_topic=4,
    max_topic_share=0.35,
    max_first_meeting=6,
)
CUSTOM = LintProfile(
    name="custom",
    min_prompts_per_layer=2,
    min_topics_per_layer=2,
    min_prompts_per_topic=2,
    max_topic_share=None,
    max_first_meeting=6,
)
# a workspace's own questions, typed in chat: the same content rules, an example is optional
TEAM = LintProfile(
    name="team",
    min_prompts_per_layer=1,
    min_topics_per_layer=1,
    min_prompts_per_topic=1,
    max_topic_share=None,
    max_first_meeting=6,
    require_example=False,
)
PROFILES = {profile.name: profile for profile in (SHIPPED, CUSTOM)}
