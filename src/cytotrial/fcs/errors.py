"""The one exception type of the FCS reader."""

from __future__ import annotations

import os

from cytotrial.errors import InputError

__all__ = [
    "FcsError",
    "path_free_reason",
]


class FcsError(InputError):
    """An FCS file that cannot be read.

    The message names the file, says precisely what is wrong and what was expected.
    It never quotes identifying keyword values ($SRC, $FIL, $SMNO, $PROJ ...).

    The file's path is kept apart in `path` (set where the file is opened), and `detail`
    is the message without it: FCS file names often hold a patient's name or hospital
    number, so result files quote `detail` and only the job's log gets `str(error)`.
    """

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.path = os.fspath(path) if path is not None else None

    @property
    def detail(self) -> str:
        """What is wrong, without the file's path or name.

        The reader's messages start with the path, or with "<path> (data set N at byte B)";
        that prefix is dropped (the data set kept), and any other mention of the path or
        the file's name becomes "the file".
        """
        message = str(self)
        if not self.path:
            return message
        if message.startswith(f"{self.path}: "):
            message = message[len(self.path) + 2 :]
        elif message.startswith(f"{self.path} ("):  # "<path> (data set 1 at byte 300): ..."
            location, _, rest = message[len(self.path) + 2 :].partition("): ")
            message = f"{location}: {rest}" if rest else message
        for text in (self.path, os.path.basename(self.path)):
            if text:
                message = message.replace(text, "the file")
        return message


def path_free_reason(error: BaseException) -> str:
    """What a result file (record, table, report) may say about a failure to read or analyse
    an FCS file: what is wrong, never the file's path or name.

    - FcsError: its `detail`;
    - any other InputError: its message (this package builds those from channel names,
      counts and keywords of the file, never its path);
    - OSError: the system's reason only ("No such file or directory"): its message
      quotes the path;
    - anything else (a bug, an unforeseen file): the kind of error only, as its message
      may quote the path. The caller logs the full message.
    """
    if isinstance(error, FcsError):
        return error.detail
    if isinstance(error, InputError):
        return str(error)
    if isinstance(error, OSError):
        return f"cannot read the FCS file: {error.strerror or type(error).__name__}"
    return f"unexpected error ({type(error).__name__}); the message is in the job's log"
