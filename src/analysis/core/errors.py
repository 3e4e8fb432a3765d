"""The two kinds of problem the package reports to its users.

* :class:`InputError`: the inputs cannot be used (a file, ``sources.toml``, a header, an
  argument). The message is one sentence naming the file, row, column and value; the CLI prints
  it without a traceback and exits 2.
* :class:`MetricWarning`: a data problem a step worked around (the message names the orders or
  items), raised as a warning so the numbers still come out and the reader is told why.
"""

from __future__ import annotations

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
