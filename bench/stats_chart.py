"""How long a lead's chart takes for a large workspace: figures from round states, then the PNG.

    .venv/bin/python -m bench.stats_chart [--members 10000] [--runs 5] [--out PATH.png]

Fake data, made up here: `--members` people in pairs, one round per pair over the last month,
each going as deep as chance takes it (most answer layer 1, fewer reach layer 3), waits to
reciprocate from minutes to a day, and a 1-7 rating from about half of the finished rounds.
Printed: the rounds, the time to compute the figures and to render the PNG (median and worst of
`--runs`, after one warm-up), and the PNG's size. Target: figures + PNG under 300 ms.
`--out` also writes the PNG (`make docs-chart` renders the README's example this way).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.engine.model import (
    RoundSettings,
    RoundState,
    RoundStatus,
    Step,
    StepOutcome,
    StepRecord,
)
from bot.reports.chart import render_png
from bot.reports.figures import figures_of

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SETTINGS = RoundSettings(bank="workplace", max_layer=3)


def fake_states(members: int, seed: int = 7) -> list[RoundState]:
    rng = random.Random(seed)
    states = []
    for number in range(members // 2):
        pair = (f"fake:w:m{2 * number}", f"fake:w:m{2 * number + 1}")
        created = START + timedelta(minutes=rng.randrange(30 * 24 * 60))
        history = _history(rng, created)
        reached = max((r.layer for r in history), default=0)
        done = reached == SETTINGS.max_layer and rng.random() < 0.8
        status = RoundStatus.COMPLETED if done else rng.choice(list(RoundStatus))
        rated = done and rng.random() < 0.5
        # an open round waits on a prompt one layer deeper than it got: opened, not revealed
        current = _waiting(created, reached) if status is RoundStatus.ACTIVE else None
        states.append(
            RoundState(
                id=f"r{number}",
                members=pair,
                settings=SETTINGS,
                status=status,
                created_at=created,
                last_activity_at=created,
                seed=number,
                accepted=frozenset(pair),
                history=tuple(history),
                current=current,
                ratings={pair[0]: rng.randint(3, 7)} if rated else {},
            )
        )
    return states


def _history(rng: random.Random, created: datetime) -> list[StepRecord]:
    history: list[StepRecord] = []
    at = created
    for layer in range(1, SETTINGS.max_layer + 1):
        if rng.random() > (0.85 if layer == 1 else 0.6):
            break
        for step in range(SETTINGS.prompts_per_layer):
            first = at + timedelta(minutes=rng.randrange(5, 600))
            closed = first + timedelta(minutes=rng.lognormvariate(4.5, 1.0))
            history.append(
                StepRecord(
                    number=len(history) + 1,
                    prompt_id=f"p{layer}{step}",
                    layer=layer,
                    topic="fake",
                    outcome=StepOutcome.REVEALED,
                    opened_at=at,
                    closed_at=closed,
                    first_answer_at=first,
                )
            )
            at = closed
    return history


def _waiting(created: datetime, reached: int) -> Step | None:
    layer = min(reached + 1, SETTINGS.max_layer)
    return Step(number=99, prompt_id="waiting", layer=layer, topic="fake", opened_at=created)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    states = fake_states(args.members)
    render_png(figures_of(states[:10]))  # warm-up: fonts load once per process
    computing, rendering = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        figures = figures_of(states)
        computed = time.perf_counter()
        png = render_png(figures)
        computing.append(computed - started)
        rendering.append(time.perf_counter() - computed)
    total = [c + r for c, r in zip(computing, rendering, strict=True)]
    print(f"members {args.members}, rounds {len(states)}, runs {args.runs}")
    for name, times in (("figures", computing), ("png", rendering), ("total", total)):
        median, worst = 1000 * statistics.median(times), 1000 * max(times)
        print(f"{name:8} median {median:6.1f} ms, worst {worst:6.1f} ms")
    print(f"png {len(png)} bytes")
    if args.out is not None:
        args.out.write_bytes(png)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
