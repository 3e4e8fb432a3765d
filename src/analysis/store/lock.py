"""One writer per output folder: ``clean``, ``report`` and ``append`` hold a lock on the folder
they write, so two runs at once cannot leave one run's tables beside the other's manifest.

The lock is an advisory lock (``flock``; on Windows ``msvcrt.locking``) on ``<folder>/.lock``,
which holds the writer's process id and command. The system releases it when the process ends,
however it ends, so a killed run never leaves the folder locked; its ``.lock`` file is taken over
by the next run. A second writer does not wait: it stops at once with exit 2, naming the first
run's process id.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from analysis.core.errors import InputError

LOCK_FILE = ".lock"

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


@contextlib.contextmanager
def folder_lock(folder: Path, command: str) -> Iterator[Path]:
    """Hold ``folder``'s lock (creating the folder if missing) while the block runs.

    Raises :class:`InputError` naming the other run's process id when another process holds
    it, and when ``folder`` is a file. A folder this call created is removed again if the block
    left it empty (it failed, or had nothing to write).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder; give the name of a folder")
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = _acquire(folder, command)
    except BaseException:
        if created:
            _remove_if_empty(folder)
        raise
    try:
        yield folder
    finally:
        _release(folder / LOCK_FILE, fd)
        if created:
            _remove_if_empty(folder)


def holder(folder: Path) -> str:
    """What ``folder``'s lock file says about its writer (``"pid 123, takedowns clean"``)."""
    try:
        text = (Path(folder) / LOCK_FILE).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        text = []
    if not text:
        return "process id not yet written"
    return f"pid {text[0]}, takedowns {' '.join(text[1:]) or 'run'}"


def _acquire(folder: Path, command: str) -> int:
    path = folder / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if not _try_lock(fd):
                raise InputError(
                    f"{folder} is being written by another run ({holder(folder)}); wait for it "
                    "to finish, or write to another folder"
                )
            # A run releasing the lock removes the file first: if this is no longer the file
            # at that path, lock the new one instead.
            if fcntl is not None and not _same_file(fd, path):
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {command}\n".encode())
            return fd
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except (BlockingIOError, PermissionError):
        return False
    except OSError as err:
        if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
            return False
        raise
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (now.st_dev, now.st_ino)


def _release(path: Path, fd: int) -> None:
    # Remove the file while still holding the lock, so the folder is left as the run found it;
    # Windows cannot remove an open file, so there it stays (empty) for the next run.
    if fcntl is not None:
        with contextlib.suppress(OSError):
            path.unlink()
    else:  # pragma: no cover - Windows
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
    os.close(fd)  # releases the lock


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()
