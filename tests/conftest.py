"""Shared fixtures: a real PostgreSQL server started for the session (see tests/pg_server.py)."""

from tests.pg_server import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]
