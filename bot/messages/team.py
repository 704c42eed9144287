"""What Rapport tells a team outside a round: a scheduled session's channel post, the note to a
member it couldn't pair, a lead's decision on a suggested question, and a schedule's last
session in one line for the schedule list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.engine.model import DeliveryKind
from bot.i18n import N_, Message, N_plural
from bot.i18n.translate import _, ngettext
from bot.messages.model import Names, Rendered, Renderer


def _session_summary(data: Mapping[str, Any], names: Names) -> Rendered:
    groups = int(data["groups"])
    trios = int(data["trios"])
    pairs = ngettext("{count} pair", "{count} pairs", groups - trios)
    trio_count = ngettext("{count} trio", "{count} trios", trios)
    if not trios:
        started = _("{pairs} started", pairs=pairs)
    elif groups > trios:
        started = _("{pairs} and {trios} started", pairs=pairs, trios=trio_count)
    else:
        started = _("{trios} started", trios=trio_count)
    parts = [started]
    if unplaced := int(data.get("unplaced") or 0):
        parts.append(
            ngettext(
                "{count} member couldn't be paired this time and got a note saying why",
                "{count} members couldn't be paired this time and got a note saying why",
                unplaced,
            )
        )
    parts.append(_("next session {when}", when=data["next_session"]))
    return Rendered(
        title=_("Rapport session started"),
        body=(
            " · ".join(parts),
            _("Check your DMs for an invitation. Taking part is optional."),
        ),
    )


def _not_paired(data: Mapping[str, Any], names: Names) -> Rendered:
    return Rendered(
        title=_("No partner this time"),
        body=(
            _(
                "This session had nobody left I could pair you with. You'll be first in line "
                "next time, or start a round yourself with /rapport start."
            ),
        ),
    )


def _suggestion_decided(data: Mapping[str, Any], names: Names) -> Rendered:
    if data.get("approved"):
        return Rendered(
            title=_("Your question was added"),
            body=(
                _("A lead added the question you suggested: {text}", text=data["text"]),
                _("Future rounds in this workspace may draw it. Thank you!"),
            ),
        )
    return Rendered(
        title=_("About the question you suggested"),
        body=(
            _("A lead decided not to add this one for now: {text}", text=data["text"]),
            _("Thanks for suggesting it. You're welcome to suggest another any time."),
        ),
    )


def schedule_outcome(
    occurrence: datetime, status: str, groups: int, report: Mapping[str, Any] | None
) -> Message:
    """A schedule's last session in one line (`report`: its session report's counts, once
    sent), translated where the schedule list is shown."""
    when = f"{occurrence:%Y-%m-%d %H:%M}"
    if status != "done":
        return N_("last run {when} UTC: still pairing", when=when)
    if report is None:
        return N_plural(
            "last run {when} UTC: {count} group started, report on its way",
            "last run {when} UTC: {count} groups started, report on its way",
            groups,
            when=when,
        )
    counts = {
        "when": when,
        "pairs": N_plural("{count} pair", "{count} pairs", int(report["pairs"])),
        "trios": N_plural("{count} trio", "{count} trios", int(report["trios"])),
        "delivered": report["delivered"],
    }
    sent = int(report["delivered"]) + int(report["failed"]) + int(report.get("pending") or 0)
    if closed := int(report["dms_closed"]):
        return N_plural(
            "last run {when} UTC: {pairs}, {trios} · {delivered} of {count} invitation "
            "delivered, {closed} with DMs closed",
            "last run {when} UTC: {pairs}, {trios} · {delivered} of {count} invitations "
            "delivered, {closed} with DMs closed",
            sent,
            closed=closed,
            **counts,
        )
    return N_plural(
        "last run {when} UTC: {pairs}, {trios} · {delivered} of {count} invitation delivered",
        "last run {when} UTC: {pairs}, {trios} · {delivered} of {count} invitations delivered",
        sent,
        **counts,
    )


RENDERERS: dict[DeliveryKind, Renderer] = {
    DeliveryKind.SESSION_SUMMARY: _session_summary,
    DeliveryKind.NOT_PAIRED: _not_paired,
    DeliveryKind.SUGGESTION_DECIDED: _suggestion_decided,
}
