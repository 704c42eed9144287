"""Persistence: SQLAlchemy Core tables, Alembic migrations and the database handle."""
