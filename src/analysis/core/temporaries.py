"""Temporaries a run writes beside its outputs, and removing those a killed run left behind.

Every temporary file or folder is named ``<prefix><pid>-<anything>``: the id of the process that
writes it follows the prefix. A later run removes the ones whose process is gone (they were
never visible as outputs) and leaves alone those of a process that still runs (another clean or
report writing the same folder at the same time), its own included.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

#: Where the platform cannot say whether a process still runs (Windows), a temporary older than
#: this is taken to be a killed run's.
STALE_AFTER_SECONDS = 24 * 3600


def temporary_prefix(prefix: str) -> str:
    """``prefix`` followed by this process's id: the start of every temporary's name."""
    return f"{prefix}{os.getpid()}-"


def pid_running(pid: int, leftover: Path, stale_after: float = STALE_AFTER_SECONDS) -> bool:
    """Whether process ``pid``, which wrote ``leftover``, may still be running (where the
    platform cannot say: whether ``leftover`` is younger than ``stale_after`` seconds)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would end the process there; go by age instead
        try:
            return time.time() - leftover.stat().st_mtime < stale_after
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    except OverflowError:
        return False
    return True


def _younger_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False


def remove_leftovers(folder: Path, prefix: str) -> int:
    """Delete the temporaries named ``<prefix><pid>-...`` in ``folder`` whose process is gone;
    returns how many were removed. A missing folder has none."""
    removed = 0
    try:
        entries = list(Path(folder).glob(prefix + "*"))
    except OSError:
        return 0
    for leftover in entries:
        pid = leftover.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and pid_running(int(pid), leftover):
            continue
        if not pid.isdigit() and _younger_than(leftover, STALE_AFTER_SECONDS):
            continue  # no owner in the name (an older version's): go by age alone
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            try:
                leftover.unlink(missing_ok=True)
            except OSError:  # a folder this run may not change (read-only): left for later
                continue
        removed += 1
    return removed
