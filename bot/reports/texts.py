"""What leads read in their reports, and the replies around them: stats lines and chart labels,
the session report and its follow-up, the monthly digest, `/rapport inbox` and the notice of
invitations that couldn't be delivered.

Counts only: never a name of who declined or answered, never a text a member wrote (the
undelivered-invitations notice names only whom Rapport couldn't DM).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel.numbers import format_decimal, format_percent

from bot.engine.model import DeliveryKind
from bot.engine.stats import MIN_GROUP, ReciprocityFigures
from bot.i18n import N_
from bot.i18n.translate import _, current, ngettext
from bot.messages.model import Names, Rendered, Renderer
from bot.reports.figures import Figures

CHART_TITLE = N_("Rapport figures")
CHART_RATES = N_("Both answered, by layer")
CHART_WAITS = N_("Hours to reciprocate (10th-90th percentile)")
CHART_RATINGS = N_("Closeness ratings (1-7)")
CHART_NO_DATA = N_("No data yet")
CHART_ATTACHED = N_("The chart is attached.")
STATS_LEADS_ONLY = N_("Only team leads can see stats.")
DIGEST_ON = N_(
    "Monthly digest on: on the 1st of each month, in your daytime, I'll DM you last month's "
    "figures with a chart. `/rapport stats digest off` stops it."
)
DIGEST_OFF = N_("Monthly digest off. Nothing more will be sent.")
DIGEST_WAS_OFF = N_("Your monthly digest was already off.")
STATS_SENT_TO_DM = N_("I've sent the chart to our DM.")
STATS_UPLOAD_FAILED = N_("I couldn't send you the chart just now. Please try again in a minute.")
INBOX_EMPTY = N_("Nothing is waiting for you: no invitation, no prompt and no unseen reveal.")
INBOX_INTRO = N_(
    "Here is what I couldn't bring you by DM (only you can see this). You can answer here too."
)


def _percent(rate: float) -> str:
    """ "40%" as the reader's language writes it ("40 %" in German and French)."""
    return format_percent(rate, locale=current().locale)


def _decimal(value: float) -> str:
    """One decimal, with the reader's decimal sign ("4.5", "4,5")."""
    return format_decimal(value, format="0.0", locale=current().locale)


def _hours(hours: float) -> str:
    if hours < 1:
        return _("{minutes} min", minutes=f"{hours * 60:.0f}")
    return _("{hours} h", hours=_decimal(hours))


def chart_layer_label(layer: int) -> str:
    return _("Layer {layer}", layer=layer)


def chart_rate_label(rate: float, opened: int) -> str:
    # TRANSLATORS: under a bar of the chart: the rate, then (on a second line) of how many prompts
    return _("{rate}\nof {opened}", rate=_percent(rate), opened=opened)


def chart_funnel_title(rounds: int) -> str:
    return _("Rounds reaching each layer (of {rounds})", rounds=rounds)


def chart_waits_label(median_hours: float, count: int) -> str:
    return ngettext(
        "median {median} over {count} prompt",
        "median {median} over {count} prompts",
        count,
        median=_hours(median_hours),
    )


def withheld_text(people: int) -> str:
    return ngettext(
        "Figures are shown only for at least {minimum} people, so nobody can be singled out: "
        "{count} person so far, {needed} more needed.",
        "Figures are shown only for at least {minimum} people, so nobody can be singled out: "
        "{count} people so far, {needed} more needed.",
        people,
        minimum=MIN_GROUP,
        needed=max(0, MIN_GROUP - people),
    )


def last_days(days: int) -> str:
    """The period a stats reply covers, "Last 30 days"."""
    return ngettext("Last {count} day", "Last {count} days", days)


def reciprocity_lines(figures: ReciprocityFigures) -> list[str]:
    """How reciprocity went, for leads: check-ins, follow-ups, keeping going (no content);
    none for a group too small to stay anonymous."""
    if figures.members < MIN_GROUP or not figures.rounds:
        return []
    lines = [
        ngettext(
            "Balance check-ins: {count} round of {rounds} paused to check in",
            "Balance check-ins: {count} rounds of {rounds} paused to check in",
            figures.rounds_held,
            rounds=figures.rounds,
        )
    ]
    if figures.check_ins:
        lines.append(
            _(
                "Their choices: deeper {deeper} · stay {stay} · no answer {silent}",
                deeper=figures.chose_deeper,
                stay=figures.chose_stay,
                silent=figures.silent,
            )
        )
    if (rate := figures.follow_up_rate) is not None:
        lines.append(
            _(
                "Follow-ups exchanged: {rate} ({exchanged}/{offered} reveals)",
                rate=_percent(rate),
                exchanged=figures.follow_ups_exchanged,
                offered=figures.follow_ups_offered,
            )
        )
    if (rate := figures.keep_going_rate) is not None:
        lines.append(
            _(
                "Kept going together: {rate} ({kept}/{completed} completed rounds)",
                rate=_percent(rate),
                kept=figures.kept_going,
                completed=figures.completed,
            )
        )
    return lines


def stats_summary(figures: Figures, period: str) -> str:
    """One line with the figures a chart shows (`period` already in the reader's language)."""
    if figures.withheld:
        return withheld_text(figures.people)
    parts = [
        period,
        ngettext("{count} person", "{count} people", figures.people),
        ngettext(
            "{count} round, {completed} completed",
            "{count} rounds, {completed} completed",
            figures.rounds,
            completed=figures.completed,
        ),
    ]
    if (first := figures.rate(1)) is not None:
        parts.append(_("both answered {rate} at layer 1", rate=_percent(first)))
    if figures.reciprocation is not None:
        parts.append(_("median {wait} to reciprocate", wait=_hours(figures.reciprocation.median)))
    if (average := figures.average_rating) is not None:
        parts.append(_("average closeness {rating}/7", rating=_decimal(average)))
    return " · ".join(parts)


def chart_alt_text(figures: Figures) -> str:
    """What the chart shows, in words: the image's description for screen readers."""
    rates = ", ".join(
        # TRANSLATORS: a layer's short name and its rate in the chart's description: "L1 40%"
        _("L{layer} {rate}", layer=layer, rate=_percent(rate))
        for layer in range(1, 5)
        if (rate := figures.rate(layer)) is not None
    )
    funnel = ", ".join(
        _("L{layer} {rate}", layer=n, rate=count) for n, count in enumerate(figures.funnel, 1)
    )
    ratings = ", ".join(f"{n}: {count}" for n, count in enumerate(figures.ratings, 1))
    parts = [
        ngettext(
            "Rapport figures for {count} person",
            "Rapport figures for {count} people",
            figures.people,
        ),
        _("both answered by layer: {rates}", rates=rates or _("no prompts yet")),
        _("rounds reaching each layer: {funnel}", funnel=funnel),
    ]
    if (spread := figures.reciprocation) is not None:
        parts.append(
            _(
                "time to reciprocate: median {median}, middle half {low} to {high}",
                median=_hours(spread.median),
                low=_hours(spread.p25),
                high=_hours(spread.p75),
            )
        )
    parts.append(_("ratings 1-7: {ratings}", ratings=ratings))
    return ". ".join(parts) + "."


def _session_report(data: Mapping[str, Any], names: Names) -> Rendered:
    lines = [
        ngettext(
            "{count} member found in the channel · {paired} paired in {pairs} and {trios}.",
            "{count} members found in the channel · {paired} paired in {pairs} and {trios}.",
            int(data["found"]),
            paired=int(data["paired"]),
            pairs=ngettext("{count} pair", "{count} pairs", int(data["pairs"])),
            trios=ngettext("{count} trio", "{count} trios", int(data["trios"])),
        )
    ]
    if data.get("withheld"):
        lines.append(withheld_text(int(data["people"])))
    else:
        lines.append(
            _(
                "Left out: {opted_out} opted out · {paused} paused · {bots} · {no_partner} with "
                "no partner possible.",
                opted_out=data["opted_out"],
                paused=data["paused"],
                bots=ngettext("{count} bot", "{count} bots", int(data["bots"])),
                no_partner=data["no_partner"],
            )
        )
        lines.append(_invitations(data))
    lines.append(
        ngettext(
            "In {count} day I'll send you how these rounds went, with a chart.",
            "In {count} days I'll send you how these rounds went, with a chart.",
            int(data["follow_up_days"]),
        )
    )
    return Rendered(
        title=_("Session report · schedule {schedule_id}", schedule_id=data["schedule_id"]),
        body=tuple(lines),
    )


def _invitations(data: Mapping[str, Any]) -> str:
    counts = {
        "delivered": data["delivered"],
        "failed": data["failed"],
        "closed": data["dms_closed"],
    }
    if pending := int(data.get("pending") or 0):
        return _(
            "Invitations: {delivered} delivered · {failed} failed ({closed} with DMs closed: "
            "they can use /rapport inbox) · {pending} still on their way.",
            pending=pending,
            **counts,
        )
    return _(
        "Invitations: {delivered} delivered · {failed} failed ({closed} with DMs closed: they "
        "can use /rapport inbox).",
        **counts,
    )


def _follow_up(data: Mapping[str, Any], names: Names) -> Rendered:
    title = _("How the session went · schedule {schedule_id}", schedule_id=data["schedule_id"])
    if data.get("withheld"):
        return Rendered(title=title, body=(withheld_text(int(data["people"])),))
    depths = " · ".join(
        _("no prompt: {count}", count=count)
        if layer == "0"
        else _("layer {layer}: {count}", layer=layer, count=count)
        for layer, count in data["depths"].items()
    )
    rated = int(data["rated"])
    rating = (
        ngettext(
            "Average closeness rating: {average} / 7 ({count} rating).",
            "Average closeness rating: {average} / 7 ({count} ratings).",
            rated,
            average=_decimal(float(data["average_rating"])),
        )
        if data.get("average_rating") is not None
        else ngettext(
            "{count} rating so far: an average needs {minimum}.",
            "{count} ratings so far: an average needs {minimum}.",
            rated,
            minimum=MIN_GROUP,
        )
    )
    accepted = ngettext(
        "{accepted} of {count} group accepted · {rounds} completed.",
        "{accepted} of {count} groups accepted · {rounds} completed.",
        int(data["groups"]),
        accepted=data["accepted"],
        rounds=ngettext("{count} round", "{count} rounds", int(data["completed"])),
    )
    return Rendered(
        title=title,
        body=(
            accepted,
            _("Deepest layer reached: {depths}.", depths=depths or _("none yet")),
            rating,
            _(CHART_ATTACHED),
        ),
    )


def _digest(data: Mapping[str, Any], names: Names) -> Rendered:
    figures = Figures.from_data(data["figures"])
    attached = () if figures.withheld else (_(CHART_ATTACHED),)
    month = _month(data)
    return Rendered(
        title=_("Your monthly Rapport digest · {month}", month=month),
        body=(stats_summary(figures, month), *attached),
    )


def _month(data: Mapping[str, Any]) -> str:
    """The digest's month as the reader's language names it ("Dezember 2026"); a digest
    queued before its payload carried the month's start reads the English name it has."""
    if since := data.get("since"):
        return current().format_date(datetime.fromisoformat(str(since)).date(), "LLLL y")
    return str(data["month"])


def _dms_closed_notice(data: Mapping[str, Any], names: Names) -> Rendered:
    who = ", ".join(names.name_of(key) for key in data["members"])
    return Rendered(
        title=_("Some invitations couldn't be delivered"),
        body=(
            _("I couldn't DM {who}: open DMs from this server, or use /rapport inbox.", who=who),
        ),
    )


RENDERERS: dict[DeliveryKind, Renderer] = {
    DeliveryKind.SESSION_REPORT: _session_report,
    DeliveryKind.REPORT_FOLLOW_UP: _follow_up,
    DeliveryKind.STATS_DIGEST: _digest,
    DeliveryKind.DMS_CLOSED_NOTICE: _dms_closed_notice,
}
