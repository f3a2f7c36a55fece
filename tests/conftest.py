"""Shared test helpers: where the shared fixtures live, hypothesis settings, and a real PostgreSQL
server started for the session (see tests/pg_server.py)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings

from tests.pg_server import postgres_server, postgres_url

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures" / "jenkins"

settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")

__all__ = ["FIXTURES", "SHARED", "postgres_server", "postgres_url"]
