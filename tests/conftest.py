"""Shared test helpers: where the shared fixtures live, and hypothesis settings."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures" / "jenkins"

settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")
