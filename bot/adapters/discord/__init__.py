"""The Discord adapter: slash commands, DM buttons and modals, delivery and member listing.

It only translates between discord.py 2.7 and the core (`bot.bootstrap.Rapport`); round rules
stay in `bot.engine`. `runtime.DiscordRuntime` is what `rapport run` starts.
"""
