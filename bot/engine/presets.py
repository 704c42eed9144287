"""Pace presets: gentle, standard and open, each a bundle of depth cap, prompts and pace.

A preset can be chosen for one round, for a schedule, or as the workspace's default. `standard`
keeps the team's own depth cap and prompts per layer (today's defaults unless a lead changed
them) at a live pace; the others set all three.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.engine.model import Pace, PacePreset, RoundSettings

PaceChoice = Pace | PacePreset
PACE_WORDS: tuple[str, ...] = (*(p.value for p in Pace), *(p.value for p in PacePreset))


@dataclass(frozen=True)
class Shape:
    prompts_per_layer: int | None  # None: the team's own setting
    max_layer: int | None
    pace: Pace


PRESETS: dict[PacePreset, Shape] = {
    PacePreset.GENTLE: Shape(prompts_per_layer=3, max_layer=2, pace=Pace.DAILY),
    PacePreset.STANDARD: Shape(prompts_per_layer=None, max_layer=None, pace=Pace.LIVE),
    PacePreset.OPEN: Shape(prompts_per_layer=2, max_layer=4, pace=Pace.LIVE),
}


def parse_pace(word: str) -> PaceChoice | None:
    """`live`, `daily` or a preset name (any case); None for anything else."""
    value = word.strip().lower()
    choices: dict[str, PaceChoice] = {p.value: p for p in Pace}
    choices.update({p.value: p for p in PacePreset})
    return choices.get(value)


def apply(settings: RoundSettings, choice: PaceChoice) -> RoundSettings:
    """`settings` with a plain pace, or with everything a preset bundles."""
    if isinstance(choice, Pace):
        return replace(settings, pace=choice, preset=None)
    shape = PRESETS[choice]
    return replace(
        settings,
        pace=shape.pace,
        prompts_per_layer=shape.prompts_per_layer or settings.prompts_per_layer,
        max_layer=shape.max_layer or settings.max_layer,
        preset=choice,
    )
