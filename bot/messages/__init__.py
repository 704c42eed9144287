"""What Rapport says, once for every platform.

Each delivery kind renders to a platform-neutral `Rendered` message: a title, body paragraphs,
answer sections and the buttons it offers. Adapters turn that into Block Kit, Discord components
or terminal output, and supply `name_of` to show a member (a mention or a display name).

Every string is English source text marked for translation: `_()` / `ngettext()` inside the
renderers, `N_()` for module-level constants (translated with `_()` where they are used).
`render(..., language=...)` builds the message in the reader's language.

By concern, imported from the module itself (this package re-exports nothing):
`model` the message's shapes (`Rendered`, `Button`, `Action`, `Names`); `buttons` which buttons a
message offers and what a click means; `rounds` what a round's members read; `team` what a team
reads outside a round (session posts, schedule lines); `commands` help and the language listing;
`deliveries` `render` for every kind. Leads' report texts live in `bot.reports.texts`.
"""
