"""Timeline importers: one pure module per source (no Django), sharing the types in base.py.

Each module exposes `parse(path, options) -> Iterator[ParsedEvent]` and raises `ImportFailed`
with every problem it found (file, line or JSON pointer, field, message).
"""
