"""Errors every layer may raise and every surface (pages, API, CLI) knows how to show."""


class ConflictError(Exception):
    """A save was based on a version that is no longer the latest; `current` is the record as it is now."""

    def __init__(self, message: str, *, current):
        super().__init__(message)
        self.current = current
