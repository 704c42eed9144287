"""Alembic environment: runs on the connection the application hands over.

Logging stays Rapport's: unlike alembic's template this calls no `fileConfig`, which would swap
Rapport's handler (and its privacy filter) for its own and disable every existing logger.
"""

from alembic import context

from bot.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `rapport db upgrade`, which passes a connection")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
