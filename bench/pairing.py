"""Session pairing: what the exact matcher costs as a channel grows, and what greedy gives up.

    .venv/bin/python -m bench.pairing [--sizes 50,100,200,300,400] [--large 1000,10000,100000]

`bot/engine/pairing.py` pairs channels up to EXACT_LIMIT members with a maximum-weight matching
(networkx's blossom algorithm, the fewest repeats of recent partners) and larger ones with a
randomised greedy pass. For each size, both run on the same shuffled members and the same
recent-partner history, made by pairing the channel at random in earlier sessions:

- `6 sessions`: the history Rapport keeps (RECENT_SESSIONS), where a repeat-free pairing almost
  always exists;
- `met 80%` / `met 95%`: each pair has met before with that probability (a long-lived team
  pairing in small groups), so fresh partners run short for whoever is paired last.

Columns: seconds per pairing, and the repeated pairs in the result (exact is the minimum on
those inputs). Large channels are timed on the greedy path only (the exact matcher's cost grows
roughly with the cube of the channel).
"""

from __future__ import annotations

import argparse
import random
import time

from bot.engine import pairing
from bot.engine.pairing import EXACT_LIMIT, Pair, Pairing


def _history(people: list[str], sessions: int, seed: int) -> set[Pair]:
    rng = random.Random(seed)
    recent: set[Pair] = set()
    for _ in range(sessions):
        order = people[:]
        rng.shuffle(order)
        recent.update(frozenset(order[i : i + 2]) for i in range(0, len(order) - 1, 2))
    return recent


def _dense(people: list[str], met: float, seed: int) -> set[Pair]:
    rng = random.Random(seed)
    return {
        frozenset((a, b))
        for i, a in enumerate(people)
        for b in people[i + 1 :]
        if rng.random() < met
    }


def _run(people: list[str], recent: set[Pair], exact: bool) -> tuple[float, Pairing]:
    shuffled = people[:]
    random.Random(7).shuffle(shuffled)
    started = time.perf_counter()
    pairs = (pairing._exact_pairs if exact else pairing._greedy_pairs)(shuffled, recent, set())
    result = pairing._grouped(shuffled, pairs, recent, set())
    return time.perf_counter() - started, result


def _check(result: Pairing, people: list[str]) -> None:
    placed = [m for group in result.groups for m in group] + list(result.unplaced)
    assert sorted(placed) == sorted(people), "somebody was placed twice or dropped"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,100,200,300,400")
    parser.add_argument("--large", default="1000,10000,100000")
    args = parser.parse_args()
    print(f"exact matcher up to EXACT_LIMIT={EXACT_LIMIT} members, greedy above")
    header = (
        f"{'members':>8} {'history':>12} {'recent pairs':>12} {'exact s':>9} {'greedy s':>9}"
        f" {'exact repeats':>14} {'greedy repeats':>15}"
    )
    print(header)
    for size in [int(s) for s in args.sizes.split(",") if s]:
        people = [f"slack:T1:U{n:06d}" for n in range(size)]
        histories = (
            ("6 sessions", _history(people, 6, seed=size)),
            ("met 80%", _dense(people, 0.80, seed=size)),
            ("met 95%", _dense(people, 0.95, seed=size)),
        )
        for label, recent in histories:
            exact_s, exact = _run(people, recent, exact=True)
            greedy_s, greedy = _run(people, recent, exact=False)
            _check(exact, people)
            _check(greedy, people)
            print(
                f"{size:>8} {label:>12} {len(recent):>12} {exact_s:>9.3f} {greedy_s:>9.4f}"
                f" {pairing._repeats(exact, recent):>14} {pairing._repeats(greedy, recent):>15}"
            )
    for size in [int(s) for s in args.large.split(",") if s]:
        people = [f"slack:T1:U{n:06d}" for n in range(size)]
        recent = _history(people, 6, seed=size)
        greedy_s, greedy = _run(people, recent, exact=False)
        _check(greedy, people)
        print(
            f"{size:>8} {'6 sessions':>12} {len(recent):>12} {'-':>9} {greedy_s:>9.3f}"
            f" {'-':>14} {pairing._repeats(greedy, recent):>15}"
        )


if __name__ == "__main__":
    main()
