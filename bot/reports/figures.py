"""Content-free figures for a chart: counts and spreads, never a name, a key or a text.

`figures_of` reads round states (pure: no I/O) and keeps only numbers, so whatever is drawn or
sent from a `Figures` cannot carry who took part or what anyone said. `Figures` travels in an
outbox payload as plain data (`to_data` / `from_data`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from statistics import median, quantiles
from typing import Any

from bot.engine.model import RATING_RANGE, RoundState, RoundStatus, StepOutcome
from bot.engine.stats import MIN_GROUP
from bot.engine.stats import compute as compute_stats

LAYERS = range(1, 5)


@dataclass(frozen=True)
class Spread:
    """Hours from a prompt's first answer to its last (the reveal): 10th, 25th, 50th, 75th and
    90th percentiles."""

    p10: float
    p25: float
    median: float
    p75: float
    p90: float
    count: int


@dataclass(frozen=True)
class Figures:
    people: int
    rounds: int
    completed: int
    # per layer 1-4: prompts opened, prompts both answered (revealed)
    opened: tuple[int, ...]
    revealed: tuple[int, ...]
    # per layer 1-4: rounds whose deepest revealed prompt is at least that layer
    funnel: tuple[int, ...]
    reciprocation: Spread | None
    ratings: tuple[int, ...]  # how many gave 1, 2, … 7

    @property
    def withheld(self) -> bool:
        """Fewer than MIN_GROUP people: nothing is shown, so nobody can be singled out."""
        return self.people < MIN_GROUP

    @property
    def needed(self) -> int:
        return max(0, MIN_GROUP - self.people)

    @property
    def rated(self) -> int:
        return sum(self.ratings)

    @property
    def average_rating(self) -> float | None:
        """Shown only once MIN_GROUP ratings exist (one rating would be one person's)."""
        if self.rated < MIN_GROUP:
            return None
        return sum(n * count for n, count in zip(RATING_RANGE, self.ratings, strict=True)) / (
            self.rated
        )

    def rate(self, layer: int) -> float | None:
        opened = self.opened[layer - 1]
        return self.revealed[layer - 1] / opened if opened else None

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Figures:
        spread = data.get("reciprocation")
        return cls(
            people=int(data["people"]),
            rounds=int(data["rounds"]),
            completed=int(data["completed"]),
            opened=tuple(data["opened"]),
            revealed=tuple(data["revealed"]),
            funnel=tuple(data["funnel"]),
            reciprocation=Spread(**spread) if spread else None,
            ratings=tuple(data["ratings"]),
        )


def figures_of(states: Sequence[RoundState]) -> Figures:
    stats = compute_stats(states)
    depths = _depths(states)
    ratings = [rating for s in states for rating in s.ratings.values()]
    return Figures(
        people=stats.members,
        rounds=stats.started,
        completed=stats.completed,
        opened=tuple(f.opened for f in stats.layers),
        revealed=tuple(f.revealed for f in stats.layers),
        funnel=tuple(sum(1 for d in depths if d >= layer) for layer in LAYERS),
        reciprocation=_spread(states),
        ratings=tuple(ratings.count(n) for n in RATING_RANGE),
    )


def _spread(states: Sequence[RoundState]) -> Spread | None:
    hours = [
        (r.closed_at - r.first_answer_at).total_seconds() / 3600
        for s in states
        for r in s.history
        if r.outcome is StepOutcome.REVEALED and r.first_answer_at is not None
    ]
    if not hours:
        return None
    if len(hours) == 1:
        return Spread(hours[0], hours[0], hours[0], hours[0], hours[0], 1)
    deciles = quantiles(hours, n=10, method="inclusive")
    quartiles = quantiles(hours, n=4, method="inclusive")
    return Spread(deciles[0], quartiles[0], median(hours), quartiles[2], deciles[8], len(hours))


def deepest_layers(states: Sequence[RoundState]) -> dict[int, int]:
    """How many rounds reached each deepest layer (0: no prompt revealed): the follow-up's
    depth distribution."""
    return dict(sorted(Counter(_depths(states)).items()))


def _depths(states: Sequence[RoundState]) -> list[int]:
    """Each round's deepest revealed layer (0: none); declined rounds never started."""
    return [
        max((r.layer for r in s.history if r.outcome is StepOutcome.REVEALED), default=0)
        for s in states
        if s.status is not RoundStatus.DECLINED
    ]
