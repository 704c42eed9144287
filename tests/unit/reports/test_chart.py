"""Leads' charts: a valid PNG of a sensible size whose metadata, alt text and summary carry no
member name and no answer; figures withheld below five people; the report texts."""

from __future__ import annotations

import asyncio
import io
import struct
import threading
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.engine.model import DeliveryKind, Rate, SubmitAnswer
from bot.i18n.translate import _, reading
from bot.messages.deliveries import render
from bot.messages.model import Names
from bot.reports import chart
from bot.reports.figures import Figures, figures_of
from bot.reports.texts import CHART_RATES, chart_alt_text, last_days, stats_summary
from tests.fakes.catalogs import marked_catalogs
from tests.unit.engine.helpers import T0, active

NAMES = [
    "Ximena Quarrington",
    "Bartholomew Zweig",
    "Odalys Fennimore",
    "Thaddeus Okonkwo",
    "Wilhelmina Strand",
    "Cornelius Abernathy",
]
KEYS = [f"discord:42:{name}" for name in NAMES]  # member keys carrying the names themselves
ANSWER = "my grandmother's secret recipe"


def _states(keys: list[str] = KEYS) -> list:
    """Pairs answering 6 prompts (complete, both rate 5), 2 (layer 1) and 4 (layer 2)."""
    states = []
    for first, steps in zip(range(0, len(keys) - 1, 2), (6, 2, 4), strict=False):
        pair = (keys[first], keys[first + 1])
        round_ = active(pair, initiator=None)
        for step in range(steps):
            at = T0 + timedelta(hours=step)
            round_.do(SubmitAnswer(pair[0], f"{ANSWER} {step}"), at)
            round_.do(SubmitAnswer(pair[1], ANSWER), at + timedelta(minutes=20 * (first + 1)))
        if steps == 6:
            for member in pair:
                round_.do(Rate(member, 5))
        states.append(round_.state)
    return states


def _text_chunks(png: bytes) -> list[bytes]:
    """Every textual chunk (tEXt, zTXt, iTXt) and the eXIf chunk in a PNG, decompressed."""
    found, offset = [], 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        body = png[offset + 8 : offset + 8 + length]
        if kind in (b"tEXt", b"iTXt", b"eXIf"):
            found.append(body)
        if kind == b"zTXt":
            found.append(zlib.decompress(body.split(b"\0", 2)[2]))
        offset += 12 + length
    return found


def test_the_chart_is_a_valid_png_with_no_name_or_answer_in_it() -> None:
    figures = figures_of(_states())
    png = chart.render_png(figures)
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG" and image.size == (900, 600)
    assert 10_000 < len(png) < 500_000
    assert _text_chunks(png) == []  # no metadata at all, not even matplotlib's "Software"
    assert Image.open(io.BytesIO(png)).info.keys() <= {"dpi"}
    for secret in [*NAMES, *KEYS, ANSWER, "Ximena", "discord:42"]:
        assert secret.encode() not in png
    alt = chart_alt_text(figures)
    summary = stats_summary(figures, "Last 30 days")
    for text in (alt, summary, str(figures.to_data())):
        assert not any(part in text for name in NAMES for part in name.split())
        assert "secret" not in text and "discord" not in text


def test_figures_count_layers_the_funnel_waits_and_ratings() -> None:
    figures = figures_of(_states())
    assert (figures.people, figures.rounds) == (6, 3)
    assert (figures.rounds, figures.completed) == (3, 1)
    assert figures.funnel == (3, 2, 1, 0)  # every round revealed layer 1, two went deeper
    assert figures.ratings == (0, 0, 0, 0, 2, 0, 0)
    assert figures.average_rating is None  # two ratings: an average needs five
    assert figures.reciprocation is not None
    assert figures.reciprocation.p10 <= figures.reciprocation.median <= figures.reciprocation.p90
    assert Figures.from_data(figures.to_data()) == figures


def test_fewer_than_five_people_withhold_the_figures_and_say_how_many_more() -> None:
    figures = figures_of(_states(KEYS[:4]))
    assert figures.withheld and figures.needed == 1
    assert "1 more needed" in stats_summary(figures, "Last 30 days")
    follow_up = {"figures": figures.to_data()}
    assert asyncio.run(chart.for_delivery(DeliveryKind.REPORT_FOLLOW_UP, follow_up)) is None


async def test_rendering_runs_in_a_worker_thread_not_on_the_event_loop() -> None:
    threads: list[int] = []
    original = chart.render_png

    def spy(figures: Figures) -> bytes:
        threads.append(threading.get_ident())
        return original(figures)

    chart.render_png = spy  # type: ignore[assignment]
    try:
        drawn = await chart.for_delivery(
            DeliveryKind.STATS_DIGEST, {"figures": figures_of(_states()).to_data()}
        )
    finally:
        chart.render_png = original  # type: ignore[assignment]
    assert drawn is not None and drawn.png.startswith(b"\x89PNG")
    assert threads and threads[0] != threading.get_ident()


def _rendered(kind: DeliveryKind, data: dict) -> str:
    shown = render(kind, data, Names(lambda key: f"<@{key.split(':')[-1]}>", "lead"))
    return "\n".join((shown.title, *shown.body))


SESSION = {
    "schedule_id": "abc123",
    "found": 10,
    "people": 9,
    "bots": 1,
    "opted_out": 1,
    "paused": 0,
    "no_partner": 0,
    "paired": 8,
    "pairs": 4,
    "trios": 0,
    "delivered": 7,
    "failed": 1,
    "dms_closed": 1,
    "pending": 0,
    "follow_up_days": 7,
    "withheld": False,
}


def test_the_session_report_reads_as_counts() -> None:
    text = _rendered(DeliveryKind.SESSION_REPORT, SESSION)
    assert "10 members found in the channel · 8 paired in 4 pairs and 0 trios" in text
    assert "Left out: 1 opted out · 0 paused · 1 bot · 0 with no partner possible" in text
    assert "Invitations: 7 delivered · 1 failed (1 with DMs closed" in text
    assert "In 7 days" in text
    small = _rendered(DeliveryKind.SESSION_REPORT, {**SESSION, "people": 3, "withheld": True})
    assert "opted out" not in small and "2 more needed" in small


def test_the_dms_closed_notice_names_only_who_i_could_not_reach() -> None:
    text = _rendered(DeliveryKind.DMS_CLOSED_NOTICE, {"members": ["discord:1:77"]})
    assert "I couldn't DM <@77>: open DMs from this server, or use /rapport inbox." in text


async def test_the_chart_and_its_alt_text_are_in_the_readers_language(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    drawn_with: list[list[str]] = []
    original = chart.render_png

    def spy(figures: Figures) -> bytes:  # in the worker thread: the reader's language too
        drawn_with.append([*chart._layer_labels(), _(CHART_RATES)])
        return original(figures)

    monkeypatch.setattr(chart, "render_png", spy)
    with marked_catalogs(monkeypatch, tmp_path, ["de"]), reading("de"):
        drawn = await chart.render(figures_of(_states()))
    assert drawn_with == [
        [*(f"[de] Layer {n}" for n in range(1, 5)), "[de] Both answered, by layer"]
    ]
    assert drawn.alt.startswith("[de] Rapport figures for 6 people")


def test_figures_read_the_way_each_language_writes_numbers_and_months() -> None:
    figures = figures_of(_states())
    with reading("de"):
        summary = stats_summary(figures, last_days(30))
    assert "100\xa0%" in summary  # CLDR: German puts a (no-break) space before the sign
    assert "100%" in stats_summary(figures, last_days(30))
    digest = {"month": "December 2026", "since": "2026-12-01T00:00:00+01:00"}
    digest["figures"] = figures.to_data()
    german = render(DeliveryKind.STATS_DIGEST, digest, Names(str, "lead"), "de")
    assert "Dezember 2026" in german.title and "December" not in german.title
    assert "December 2026" in _rendered(DeliveryKind.STATS_DIGEST, digest)
