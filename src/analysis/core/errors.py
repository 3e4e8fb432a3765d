"""The two kinds of problem the package reports to its users.

* :class:`InputError`: the inputs cannot be used (a file, ``sources.toml``, a header, an
  argument). The message is one sentence naming the file, row, column and value; the CLI prints
  it without a traceback and exits 2.
* :class:`MetricWarning`: a data problem a step worked around (the message names the orders or
  items), raised as a warning so the numbers still come out and the reader is told why.
"""

from __future__ import annotations

import errno
import warnings


class InputError(Exception):
    """A problem with the inputs that the user must fix; the message is one clear sentence."""


class HeaderError(InputError):
    """A file's headers do not give what its kind needs. ``suggestion`` is a ready-to-paste
    ``[source.columns]`` block guessed from the headers (empty when there is no guess); the CLI
    prints it after the message."""

    def __init__(self, message: str, *, suggestion: str = ""):
        super().__init__(message)
        self.suggestion = suggestion


class MetricWarning(UserWarning):
    """A data problem a metric worked around (the message names the orders or items)."""


def warn_data(message: str) -> None:
    """Warn with :class:`MetricWarning`, attributed to the caller of the function that warns."""
    warnings.warn(message, MetricWarning, stacklevel=3)


#: What the system's refusals mean to a user, and what to do about each: the CLI turns these
#: into exit 2 with one sentence (:func:`os_error_sentence`); anything else is a bug.
_OS_PROBLEMS: dict[int, str] = {
    errno.EROFS: "is on a read-only file system; choose a folder you can write to",
    errno.EACCES: "cannot be opened (permission denied); check its permissions or choose another",
    errno.EPERM: "cannot be changed (operation not permitted); check its permissions",
    errno.ENOSPC: "cannot be written: the disk is full; free some space or choose another disk",
    errno.EDQUOT: "cannot be written: the disk quota is used up; free some space",
    errno.ENOTDIR: "is not a folder, or a part of the path is a file; check the path",
    errno.EEXIST: "already exists and is not a folder; give the name of a folder",
    errno.EISDIR: "is a folder, not a file; name the file inside it",
    errno.ELOOP: "goes through symbolic links that loop; point the link at the file",
    errno.ENAMETOOLONG: "is a name too long for the file system; choose a shorter one",
    errno.ENOENT: "does not exist; check the path",
}


def os_error_sentence(err: OSError) -> str | None:
    """One sentence naming the path and what to do, for an :class:`OSError` the user can fix (a
    read-only or full disk, a file where a folder belongs, a symlink loop...); ``None`` for any
    other, which is a bug to report."""
    problem = _OS_PROBLEMS.get(err.errno or 0)
    if problem is None:
        return None
    path = err.filename if err.filename is not None else "a file (the system did not say which)"
    return f"{path} {problem}"
