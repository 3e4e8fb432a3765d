"""Files written so that a reader never sees half of one: staged under a temporary name beside the
target, flushed to disk, then moved into place by the caller with ``os.replace``."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path

from analysis.core.temporaries import remove_leftovers, temporary_prefix

#: Temporaries start with this, then the writer's process id (:mod:`analysis.core.temporaries`).
TMP_PREFIX = ".tmp-"


def stage_bytes(data: bytes, target: Path) -> Path:
    """``data`` written and flushed to disk under a temporary name beside ``target``; the
    caller moves it into place with ``os.replace`` (or removes it)."""
    return stage(target, lambda handle: handle.write(data))


def stage(target: Path, write) -> Path:
    """A temporary file beside ``target`` that ``write(handle)`` filled, flushed to disk.

    The writer's process id is in the name, so a second run writing the same folder at the same
    time leaves this one's temporaries alone (:func:`remove_stale_temporaries`).
    """
    prefix = f"{temporary_prefix(TMP_PREFIX)}{target.name}."
    fd, name = tempfile.mkstemp(prefix=prefix, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            # mkstemp makes the file 0600; once renamed it is an ordinary output.
            set_new_file_mode(handle.fileno())
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:
        Path(name).unlink(missing_ok=True)
        if err.filename is None:  # a full disk says only "No space left on device"
            err.filename = str(target)
        raise
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


_UMASK_LOCK = threading.Lock()


def new_file_mode() -> int:
    """The mode ``open()`` gives a new file: ``0o666`` less this process's umask (0644 under
    the usual umask 022)."""
    return 0o666 & ~_umask()


def set_new_file_mode(fd: int) -> None:
    """Give the open file ``fd`` :func:`new_file_mode` (where the platform has modes)."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, new_file_mode())


def _umask() -> int:
    """This process's umask. Linux reports it in /proc; elsewhere it can only be read by
    setting it, so that is done under a lock (a file created by another thread in that instant
    would get the mode umask 022 gives)."""
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii") as status,
    ):
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    with _UMASK_LOCK:
        current = os.umask(0o022)
        os.umask(current)
    return current


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (the renames into it) to disk, where the platform can."""
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temporaries(folder: Path) -> None:
    """Delete the temporaries an interrupted run left in ``folder``; they were never visible as
    outputs. Those of a process that still runs are left alone, this process's own included."""
    remove_leftovers(folder, TMP_PREFIX)
