"""scanners package (see its modules)."""

__all__: list[str] = []
