"""Pairing a channel's members for a session: pairs, one trio for an odd count, nobody twice.

Hard rules: nobody is in two groups, and a private "don't pair me with" is never broken. Soft
rule: avoid partners from the last sessions whenever a pairing without repeats exists. Anyone who
cannot be placed is returned in `unplaced`, never dropped silently.

For channels up to EXACT_LIMIT members, a maximum-weight matching (networkx's blossom algorithm)
finds the pairing with the fewest recent repeats, so a repeat-free pairing is found whenever one
exists. Larger channels use a fast randomised greedy pass that prefers fresh partners.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import combinations

import networkx as nx

EXACT_LIMIT = 300
ODD_SEARCH_LIMIT = 40
FRESH_WEIGHT = 1_000
REPEAT_WEIGHT = 1

Pair = frozenset[str]


@dataclass(frozen=True)
class Pairing:
    groups: tuple[tuple[str, ...], ...]
    unplaced: tuple[str, ...] = ()

    @property
    def trios(self) -> int:
        return sum(1 for g in self.groups if len(g) == 3)


def make_groups(
    members: Sequence[str],
    *,
    recent: Collection[Pair] = (),
    avoid: Collection[Pair] = (),
    seed: int = 0,
) -> Pairing:
    """Group `members` into pairs (and one trio when the count is odd)."""
    people = sorted(dict.fromkeys(members))
    random.Random(seed).shuffle(people)
    recent_set, avoid_set = set(recent), set(avoid)
    if len(people) > EXACT_LIMIT:
        return _grouped(people, _greedy_pairs(people, recent_set, avoid_set), recent_set, avoid_set)
    best = _grouped(people, _exact_pairs(people, recent_set, avoid_set), recent_set, avoid_set)
    if len(people) % 2 and len(people) <= ODD_SEARCH_LIMIT and _score(best, recent_set) > (0, 0):
        # the trio may be what repeats or strands someone: try each member as the one who
        # joins a pair
        for odd_one in people:
            rest = [m for m in people if m != odd_one]
            candidate = _grouped(
                people, _exact_pairs(rest, recent_set, avoid_set), recent_set, avoid_set
            )
            if _score(candidate, recent_set) < _score(best, recent_set):
                best = candidate
    return best


def _grouped(
    people: list[str], pairs: list[tuple[str, ...]], recent: set[Pair], avoid: set[Pair]
) -> Pairing:
    placed = {m for pair in pairs for m in pair}
    leftovers = [m for m in people if m not in placed]
    return _place_leftovers(pairs, leftovers, recent, avoid)


def _repeats(pairing: Pairing, recent: set[Pair]) -> int:
    return sum(
        1
        for group in pairing.groups
        for pair in combinations(group, 2)
        if frozenset(pair) in recent
    )


def _score(pairing: Pairing, recent: set[Pair]) -> tuple[int, int]:
    return (len(pairing.unplaced), _repeats(pairing, recent))


def _exact_pairs(people: list[str], recent: set[Pair], avoid: set[Pair]) -> list[tuple[str, ...]]:
    graph = nx.Graph()
    graph.add_nodes_from(people)
    for a, b in combinations(people, 2):
        pair = frozenset((a, b))
        if pair not in avoid:
            graph.add_edge(a, b, weight=REPEAT_WEIGHT if pair in recent else FRESH_WEIGHT)
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    order = {m: i for i, m in enumerate(people)}
    return [tuple(sorted(pair, key=order.__getitem__)) for pair in matching]


def _greedy_pairs(people: list[str], recent: set[Pair], avoid: set[Pair]) -> list[tuple[str, ...]]:
    """Linear-ish: each unplaced member takes the first fresh partner, else the first allowed.

    The members stay in one list with a set of those placed: deleting from the front of a dict
    and asking it for its first key again costs a scan of the deleted slots each time, which
    made this quadratic (3 s of 6 for 100,000 members)."""
    placed: set[str] = set()
    pairs: list[tuple[str, ...]] = []
    for index, first in enumerate(people):
        if first in placed:
            continue
        placed.add(first)
        partner = _first_partner(first, people, index + 1, placed, recent, avoid)
        if partner is None:
            continue  # placed later as a trio member, or reported
        placed.add(partner)
        pairs.append((first, partner))
    return pairs


def _first_partner(
    member: str,
    people: list[str],
    start: int,
    placed: set[str],
    recent: set[Pair],
    avoid: set[Pair],
) -> str | None:
    fallback = None
    scanned = -1
    for position in range(start, len(people)):
        candidate = people[position]
        if candidate in placed:
            continue
        scanned += 1
        pair = frozenset((member, candidate))
        if pair in avoid:
            continue
        if pair not in recent:
            return candidate
        fallback = fallback or candidate
        if scanned > 64 and fallback is not None:
            break  # a repeat now beats scanning a huge channel for a fresh partner
    return fallback


def _place_leftovers(
    pairs: list[tuple[str, ...]], leftovers: list[str], recent: set[Pair], avoid: set[Pair]
) -> Pairing:
    groups = list(pairs)
    unplaced: list[str] = []
    for member in leftovers:
        index = _best_group_to_join(groups, member, recent, avoid)
        if index is None:
            unplaced.append(member)
        else:
            groups[index] = (*groups[index], member)
    return Pairing(tuple(groups), tuple(unplaced))


def _best_group_to_join(
    groups: list[tuple[str, ...]], member: str, recent: set[Pair], avoid: set[Pair]
) -> int | None:
    best: tuple[int, int] | None = None
    for index, group in enumerate(groups):
        if len(group) != 2:
            continue
        pairs = [frozenset((member, other)) for other in group]
        if any(p in avoid for p in pairs):
            continue
        repeats = sum(1 for p in pairs if p in recent)
        if best is None or repeats < best[0]:
            best = (repeats, index)
            if repeats == 0:
                break
    return best[1] if best else None
