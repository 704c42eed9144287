"""`render`: any delivery kind to its `Rendered` message, in the reader's language.

Each kind is rendered by the module written for its readers: `bot.messages.rounds` (a round's
members), `bot.messages.team` (a team outside a round) and `bot.reports.texts` (leads' reports).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.model import DeliveryKind
from bot.i18n.translate import Translator, reading
from bot.messages import rounds, team
from bot.messages.model import Names, Rendered, Renderer
from bot.reports import texts as reports


def render(
    kind: DeliveryKind,
    data: Mapping[str, Any],
    names: Names,
    language: str | Translator | None = None,
) -> Rendered:
    """The delivery as a reader of `language` reads it (None: the current reader's)."""
    renderer = _RENDERERS[kind]
    if language is None:
        return renderer(data, names)
    with reading(language):
        return renderer(data, names)


# every delivery kind, each rendered by the module for its readers
_RENDERERS: dict[DeliveryKind, Renderer] = {
    **rounds.RENDERERS,
    **team.RENDERERS,
    **reports.RENDERERS,
}
