"""Replies to a member's own commands that every platform shares: `/rapport help` and
`/rapport language`.
"""

from __future__ import annotations

from bot.i18n import LANGUAGES, N_
from bot.i18n.translate import _

HELP_TEXT = N_(
    "Rapport runs short getting-to-know-you rounds. You and a partner get the same prompt by DM; "
    "your answer stays private until you've both answered, then you see each other's at the same "
    "moment. After a couple of prompts the round goes one layer deeper, never further than the "
    "team's cap. Swap a prompt you don't fancy, stay at the depth you like, or leave any time."
)


def languages_listing(language_line: str) -> str:
    """`/rapport language` on its own: the member's language line, then the codes to choose."""
    codes = ", ".join(f"`{code}`" for code in LANGUAGES)
    return _("{line}\nLanguages: {codes}.", line=language_line, codes=codes)
