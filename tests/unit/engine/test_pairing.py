"""Pairing properties: nobody twice, no excluded pair, fresh partners when possible, one trio."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.pairing import Pair, Pairing, make_groups


def _all_groupings(people: list[str]) -> list[list[tuple[str, ...]]]:
    """Every way to split people into pairs plus one trio for an odd count (small n only)."""
    if not people:
        return [[]]
    if len(people) == 3:
        return [[tuple(people)]]
    first, rest = people[0], people[1:]
    results = []
    for partner in rest:
        remaining = [p for p in rest if p != partner]
        for tail in _all_groupings(remaining):
            results.append([(first, partner), *tail])
    if len(people) % 2:
        for a, b in combinations(rest, 2):
            remaining = [p for p in rest if p not in (a, b)]
            for tail in _all_groupings(remaining):
                results.append([(first, a, b), *tail])
    return results


def _pairs_of(group: tuple[str, ...]) -> list[Pair]:
    return [frozenset(p) for p in combinations(group, 2)]


people_st = st.integers(min_value=2, max_value=9).map(lambda n: [f"m{i}" for i in range(n)])


@st.composite
def scenario(draw: st.DrawFn) -> tuple[list[str], set[Pair], set[Pair], int]:
    people = draw(people_st)
    all_pairs = [frozenset(p) for p in combinations(people, 2)]
    recent = set(draw(st.lists(st.sampled_from(all_pairs), max_size=len(all_pairs))))
    avoid = set(draw(st.lists(st.sampled_from(all_pairs), max_size=2)))
    return people, recent, avoid, draw(st.integers(0, 1000))


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_pairing_properties(case: tuple[list[str], set[Pair], set[Pair], int]) -> None:
    people, recent, avoid, seed = case
    result: Pairing = make_groups(people, recent=recent, avoid=avoid, seed=seed)
    placed = [m for g in result.groups for m in g]
    # nobody twice, nobody lost
    assert len(placed) == len(set(placed))
    assert sorted(placed + list(result.unplaced)) == sorted(people)
    # no excluded pair, ever
    assert not any(p in avoid for g in result.groups for p in _pairs_of(g))
    assert all(len(g) in (2, 3) for g in result.groups)
    if not avoid:
        assert result.unplaced == ()
        assert result.trios == (1 if len(people) % 2 else 0)

    # no repeat when a repeat-free pairing (respecting exclusions) exists
    def clean(grouping: list[tuple[str, ...]]) -> bool:
        return all(p not in recent and p not in avoid for g in grouping for p in _pairs_of(g))

    if any(clean(g) for g in _all_groupings(people)):
        assert not any(p in recent for g in result.groups for p in _pairs_of(g))
        assert result.unplaced == ()


def test_odd_count_makes_exactly_one_trio() -> None:
    result = make_groups([f"m{i}" for i in range(7)], seed=3)
    assert sorted(len(g) for g in result.groups) == [2, 2, 3]


def test_members_who_cannot_be_placed_are_reported_not_dropped() -> None:
    result = make_groups(["a", "b"], avoid={frozenset(("a", "b"))})
    assert result.groups == () and sorted(result.unplaced) == ["a", "b"]


def test_large_channels_use_the_fast_path_and_keep_the_rules() -> None:
    people = [f"m{i}" for i in range(1001)]
    recent = {frozenset((people[i], people[i + 1])) for i in range(0, 1000, 2)}
    result = make_groups(people, recent=recent, seed=1)
    placed = [m for g in result.groups for m in g]
    assert len(placed) == len(set(placed)) == 1001
    assert result.trios == 1
    repeats = sum(1 for g in result.groups for p in _pairs_of(g) if p in recent)
    assert repeats <= 5
