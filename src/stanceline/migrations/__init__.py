"""Alembic migrations of the store's schema; run with `stanceline migrate` (and on `serve`)."""
