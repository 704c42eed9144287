"""Leads' charts on Slack: a PNG uploaded into the lead's DM with `files.uploadV2`.

The image's alt text says in words what it shows; nothing in it names anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import escape
from bot.i18n.translate import _
from bot.identity import Member
from bot.reports.chart import Chart
from bot.reports.service import ReportService
from bot.reports.texts import CHART_TITLE, STATS_SENT_TO_DM, STATS_UPLOAD_FAILED

log = logging.getLogger(__name__)


async def upload_chart(
    client: AsyncWebClient, channel: str, chart: Chart, comment: str | None = None
) -> None:
    """Upload `chart` into `channel` (a DM); slack_sdk errors are the caller's to map."""
    await client.files_upload_v2(
        channel=channel,
        content=chart.png,
        filename=chart.filename,
        title=_(CHART_TITLE),
        alt_txt=chart.alt,
        initial_comment=comment,
    )


async def send_stats(
    reports: ReportService,
    lead: Member,
    channel_id: str | None,
    dm_channel: Callable[[], Awaitable[str]],
    client: AsyncWebClient,
) -> str:
    """`/rapport stats` for a lead: the summary line, and the chart uploaded into their DM, in
    the current reader's language."""
    reply = await reports.stats(lead, True, channel_id)
    summary = escape(reply.text)
    if reply.chart is None:
        return summary
    try:
        await upload_chart(client, await dm_channel(), reply.chart, comment=summary)
    except SlackApiError as err:
        log.warning("stats: the chart upload failed: %s", err.response.get("error"))
        return f"{summary}\n{_(STATS_UPLOAD_FAILED)}"
    return f"{summary}\n{_(STATS_SENT_TO_DM)}"
