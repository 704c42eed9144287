"""Content-free figures for leads: how rounds went, never what anyone said."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from statistics import mean, median

from bot.engine.model import RoundState, RoundStatus, StepOutcome

MIN_GROUP = 5


@dataclass(frozen=True)
class LayerFigure:
    layer: int
    opened: int
    revealed: int

    @property
    def rate(self) -> float | None:
        return self.revealed / self.opened if self.opened else None


@dataclass(frozen=True)
class Stats:
    members: int
    started: int
    completed: int
    layers: tuple[LayerFigure, ...]
    median_reciprocation: timedelta | None
    average_depth: float | None
    average_rating: float | None


def compute(states: Sequence[RoundState]) -> Stats:
    revealed = [r for s in states for r in s.history if r.outcome is StepOutcome.REVEALED]
    waits = [
        (r.closed_at - r.first_answer_at).total_seconds() for r in revealed if r.first_answer_at
    ]
    depths = [
        max((r.layer for r in s.history if r.outcome is StepOutcome.REVEALED), default=0)
        for s in states
        if s.status is not RoundStatus.DECLINED
    ]
    ratings = [rating for s in states for rating in s.ratings.values()]
    return Stats(
        members=len({m for s in states for m in s.members}),
        started=len(states),
        completed=sum(1 for s in states if s.status is RoundStatus.COMPLETED),
        layers=tuple(_layer(states, layer) for layer in range(1, 5)),
        median_reciprocation=timedelta(seconds=median(waits)) if waits else None,
        average_depth=mean(depths) if depths else None,
        average_rating=mean(ratings) if ratings else None,
    )


def _layer(states: Sequence[RoundState], layer: int) -> LayerFigure:
    revealed = sum(
        1
        for s in states
        for r in s.history
        if r.layer == layer and r.outcome is StepOutcome.REVEALED
    )
    unanswered = sum(1 for s in states if s.current is not None and s.current.layer == layer)
    return LayerFigure(layer, revealed + unanswered, revealed)
