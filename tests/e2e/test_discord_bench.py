"""The Discord gateway benchmark's machinery, with tiny numbers: every submission reaches both
apps (each in its own process) and is acknowledged, and Rapport stores each answer exactly once.
Counts only; the figures are `bench/discord_gateway.py`'s to print, not a test's to time."""

from __future__ import annotations

import argparse
import os

import pytest

from bench import discord_gateway

MEMBERS, ANSWERS = 4, 2
SUBMISSIONS = MEMBERS * ANSWERS


@pytest.mark.slow
async def test_the_bench_offers_every_answer_to_both_apps_and_counts_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = argparse.Namespace(
        members=MEMBERS,
        answers=ANSWERS,
        warm_up=4,
        repeat=1,
        postgres_url=os.environ.get("RAPPORT_TEST_POSTGRES_URL"),
        profile=None,
        workdir=None,
    )
    tables = await discord_gateway.main_async(args)

    backends = 2 if args.postgres_url else 1
    throughput, latency = tables["throughput"], tables["latency"]
    assert [row[1] for row in throughput][:2] == [
        "bare discord.py client (ceiling)",
        "Rapport, SQLite",
    ]
    assert len(throughput) == len(latency) == 1 + backends
    # posts, and answers stored, each exactly once (warm-up answers included in `stored`)
    assert [row[2] for row in throughput] == [str(SUBMISSIONS)] * (1 + backends)
    assert [row[3] for row in throughput[1:]] == [str(SUBMISSIONS)] * backends
    assert [row[-1] for row in tables["stored"]] == ["yes"] * 2 * backends
    # posts, and none left without its interaction callback
    assert [(row[2], row[7]) for row in latency] == [(str(SUBMISSIONS), "0")] * (1 + backends)
    printed = capsys.readouterr().out
    assert "\nratio " in printed and "\np99 ack " in printed
    assert "\nstored exactly once: yes" in printed
