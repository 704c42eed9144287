"""Slash commands in each member's Discord language: discord.py's `app_commands.Translator`
fills `description_localizations` (commands, groups, options) and `name_localizations` (option
choices) from the same gettext catalogs as everything else.

Command and option names stay English: they are typed, documented and shared between members
of different languages. A missing translation, or one past Discord's limit, is left out, and
Discord shows the English text.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Location

from bot.i18n import SOURCE_LANGUAGE, normalise
from bot.i18n.translate import translator

# Discord's limits for what we localise
LIMITS = {Location.choice_name: 100}
DESCRIPTION_LIMIT = 100
TRANSLATED = (
    Location.command_description,
    Location.group_description,
    Location.parameter_description,
    Location.choice_name,
)


class CatalogTranslator(app_commands.Translator):
    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = normalise(locale.value)
        if context.location not in TRANSLATED or language in (None, SOURCE_LANGUAGE):
            return None
        english = string.message
        translated = translator(language).gettext(english)
        limit = LIMITS.get(context.location, DESCRIPTION_LIMIT)
        if translated == str(english) or not translated or len(translated) > limit:
            return None
        return translated
