"""Ctrl-C (SIGINT) and SIGTERM end a command the way an error does: temporaries removed, the
previous outputs left as they were, exit status 130 or 143.

Python turns SIGINT into :class:`KeyboardInterrupt`, but SIGTERM (what ``kill``, ``timeout``,
Docker and CI runners send) ends the process on the spot, leaving every temporary behind.
:func:`handled` (the CLI runs each command inside it) makes both raise :class:`Interrupted`, a
:class:`KeyboardInterrupt`, so the ``except``/``finally`` blocks that clean up after an error
run for a signal too. The few steps that must not stop half way (the renames that publish a
run) run inside :func:`deferred`: a signal arriving there takes effect when they are done.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

#: The signals a command ends cleanly on.
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_deferring = 0
_pending: int | None = None
_received: list[int] = []


class Interrupted(KeyboardInterrupt):
    """A command was asked to stop by ``signum``; it exits with ``128 + signum``."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def _handler(signum: int, frame) -> None:
    global _pending
    _received.append(signum)
    if _deferring:
        _pending = signum
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` while the block runs; the previous handlers
    come back afterwards. Outside the main thread (where Python cannot set handlers) it does
    nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = {signum: signal.signal(signum, _handler) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def received() -> int | None:
    """The first signal received inside :func:`handled`, if any (an error raised after it, such
    as DuckDB's own "interrupted", is the interruption, not a bug)."""
    return _received[0] if _received else None


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Run the block to its end even if SIGINT or SIGTERM arrives; :class:`Interrupted` is
    raised when it ends (unless the block raised an error of its own)."""
    global _deferring, _pending
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        signum, _pending = (_pending, None) if not _deferring else (None, _pending)
    if signum is not None:
        raise Interrupted(signum)
