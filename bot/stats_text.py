"""The stats report leads read: figures from `bot.engine.stats`, in the reader's language."""

from __future__ import annotations

from datetime import timedelta

from babel.numbers import format_decimal, format_percent

from bot.engine.bank import LAYER_NAMES
from bot.engine.stats import MIN_GROUP, Stats
from bot.i18n.translate import _, current, ngettext

BAR_WIDTH = 10


def _bar(rate: float) -> str:
    filled = round(rate * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def _duration(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return _("{minutes} min", minutes=f"{hours * 60:.0f}")
    return _("{hours} h", hours=_decimal(hours))


def render(stats: Stats, period_days: int) -> str:
    """A compact text report with a bar chart of both-answered rates per layer."""
    if stats.members < MIN_GROUP:
        return _(
            "Stats are shown only for groups of at least {min_group} members, so nobody "
            "can be singled out. Check back once more people have taken part.",
            min_group=MIN_GROUP,
        )
    days = ngettext("Last {count} day", "Last {count} days", period_days)
    people = ngettext("{count} member", "{count} members", stats.members)
    lines = [
        f"{days} · {people}",
        _(
            "Rounds started {started} · completed {completed}",
            started=stats.started,
            completed=stats.completed,
        ),
        _("Both answered, by layer:"),
    ]
    for fig in stats.layers:
        if fig.rate is not None:
            name = _(LAYER_NAMES[fig.layer]) if fig.layer in LAYER_NAMES else ""
            lines.append(
                f"  L{fig.layer} {name:<18} {_bar(fig.rate)} {_percent(fig.rate):>4}"
                f" ({fig.revealed}/{fig.opened})"
            )
    if stats.median_reciprocation is not None:
        wait = _duration(stats.median_reciprocation)
        lines.append(_("Median time to reciprocate: {wait}", wait=wait))
    if stats.average_depth is not None:
        depth = _decimal(stats.average_depth)
        lines.append(_("Average depth reached: layer {depth}", depth=depth))
    if stats.average_rating is not None:
        rating = _decimal(stats.average_rating)
        lines.append(_("Average closeness rating: {rating} / 7", rating=rating))
    return "\n".join(lines)


def _percent(rate: float) -> str:
    return format_percent(rate, locale=current().locale)


def _decimal(value: float) -> str:
    return format_decimal(round(value, 1), format="0.0", locale=current().locale)
