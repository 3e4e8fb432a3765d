"""Progress bars for the long phases of a run (reading, checks, sorting, writing), with an
estimate of the time left.

A bar is drawn on standard error only where someone watches it: on a terminal, outside CI, and
once the phase has taken a second (a quick run prints nothing). ``$TAKEDOWNS_PROGRESS=1``
draws bars even when standard error is a file (a log of a long run; each update is a line
ending in a carriage return), ``0`` never draws them.
"""

from __future__ import annotations

import os
import sys

#: Environment variable: ``1`` always draw progress bars, ``0`` never; unset: on a terminal.
PROGRESS_ENV = "TAKEDOWNS_PROGRESS"


class Silent:
    """What :func:`bar` gives when no bar is drawn: the same methods, doing nothing."""

    total: float | None = None
    n: float = 0

    def __enter__(self) -> Silent:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: float = 1) -> None:
        return None

    def set_description_str(self, text: str) -> None:
        return None

    def set_postfix_str(self, text: str) -> None:
        return None

    def close(self) -> None:
        return None


def wanted() -> bool:
    """Whether bars are drawn (see the module docstring)."""
    setting = os.environ.get(PROGRESS_ENV, "").strip()
    if setting in ("0", "1"):
        return setting == "1"
    return "CI" not in os.environ and sys.stderr.isatty()


def bar(total: float | None, desc: str, unit: str = "rows", *, scale: bool = True):
    """A bar over ``total`` units (rows, or percent with ``unit="%"``) with the time left, or a
    silent stand-in; use it as a context manager and call ``update(n)``."""
    if not wanted():
        return Silent()
    from tqdm import tqdm

    # A percentage is shown as a whole number: "40%", not "40.232136800000006/100".
    shape = "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]" if unit == "%" else None
    return tqdm(
        bar_format=shape,
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=scale,
        leave=False,
        delay=1.0,  # a phase that ends within a second draws nothing
        mininterval=0.5 if sys.stderr.isatty() else 5.0,  # a log gets a line every 5 s
        file=sys.stderr,
        disable=False,  # decided above; tqdm's own guess can turn a real terminal off
    )
