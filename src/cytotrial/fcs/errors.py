"""The one exception type of the FCS reader."""

from __future__ import annotations

from cytotrial.errors import InputError


class FcsError(InputError):
    """An FCS file that cannot be read.

    The message names the file, says precisely what is wrong and what was expected.
    It never quotes identifying keyword values ($SRC, $FIL, $SMNO, $PROJ ...).
    """
