"""Errors that carry enough context for a user to fix their input."""

__all__ = [
    "InputError",
]


class InputError(ValueError):
    """Bad user input: the message names the file, row or field and what was expected."""
