"""Worker processes that check pieces of a big sheet while this process reads the next ones.

Reading a CSV is quick; turning its cells into items and events and checking them is most of a
clean's work, and pandas holds Python's lock while it does it. So on a machine with more than
one processor ``takedowns clean`` starts a few worker processes (``python -m
analysis.clean.workers``) and hands each piece to one of them (:class:`PiecePool`); the worker
writes the piece's items and events to the spill folder and sends back only its rejects.

A worker is a plain child process talking over its standard input and output (one pickled call
in, one pickled result out), not a :mod:`multiprocessing` pool, so that:

* no script or notebook is imported again in the worker (``multiprocessing``'s ``spawn`` runs
  the main module again; ``fork`` copies a process that may hold DuckDB's or Arrow's threads);
* nothing is left behind: a worker runs in a process group of its own and ignores Ctrl-C (its
  parent decides), is killed by its parent on an error or a signal (:meth:`PiecePool.__exit__`),
  and ends by itself when its parent is gone, even after a SIGKILL (its standard input then
  ends);
* no temporary file or named semaphore is made outside the spill folder.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

#: Environment variable: how many worker processes a clean in pieces starts (``0``: none, the
#: pieces are checked in this process); unset: chosen from the processors and the memory free.
WORKERS_ENV = "TAKEDOWNS_WORKERS"

_KILL_WAIT_SECONDS = 10.0


class WorkerFailed(RuntimeError):
    """A worker process ended without answering (killed from outside, out of memory)."""


class PiecePool:
    """``workers`` worker processes; :meth:`submit` runs a function in one of them.

    Use as a context manager: leaving normally lets the workers finish and exit; leaving on an
    error or a signal kills them at once (their work is thrown away with the spill folder)."""

    def __init__(self, workers: int, preload: tuple[str, ...] = ()):
        """Start ``workers`` processes, each importing the modules ``preload`` names while this
        process goes on (so the first call does not wait for them)."""
        self.size = workers
        self._processes: list[subprocess.Popen] = []
        self._idle: queue.Queue[subprocess.Popen] = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self._setup: tuple[Callable, tuple] | None = None  # call_each's call
        self._set_up: set[int] = set()  # the workers (by pid) that have run it
        env = {**os.environ, "PYTHONPATH": _package_path()}
        try:
            for _ in range(workers):
                process = subprocess.Popen(
                    [sys.executable, "-m", "analysis.clean.workers", *preload],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=env,
                    close_fds=True,
                    # A group of its own: Ctrl-C at a terminal reaches only this process,
                    # which decides for its workers (even while one is still starting up).
                    process_group=0 if os.name == "posix" else None,
                )
                self._processes.append(process)
                self._idle.put(process)
        except BaseException:
            self._kill()
            raise
        # One thread per worker sends it calls and waits for its answers (both release the GIL).
        self._threads = ThreadPoolExecutor(max_workers=max(1, workers))

    def __enter__(self) -> PiecePool:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        else:
            self._kill()
            self._threads.shutdown(wait=True, cancel_futures=True)

    @property
    def pending(self) -> int:
        """Calls submitted and not yet answered."""
        return self._pending

    def call_each(self, function: Callable, *args) -> None:
        """Have every worker run ``function(*args)`` before its next call (settings for the
        calls to come). Returns at once: a worker still importing is not waited for here."""
        with self._lock:
            self._setup = (function, args)
            self._set_up.clear()

    def submit(self, function: Callable, *args) -> Future:
        """Run ``function(*args)`` in the next free worker; the future holds its result or the
        exception it raised."""
        with self._lock:
            self._pending += 1
        future = self._threads.submit(self._run, function, args)
        future.add_done_callback(self._done)
        return future

    def close(self) -> None:
        """Let the workers exit (their input ends) and wait for them."""
        self._threads.shutdown(wait=True)
        for process in self._processes:
            _close_quietly(process.stdin)
        for process in self._processes:
            try:
                process.wait(timeout=_KILL_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            _close_quietly(process.stdout)

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending -= 1

    def _run(self, function: Callable, args: tuple):
        process = self._idle.get()
        try:
            with self._lock:
                setup = self._setup if process.pid not in self._set_up else None
            if setup is not None:
                self._call(process, *setup)
                with self._lock:
                    self._set_up.add(process.pid)
            return self._call(process, function, args)
        finally:
            self._idle.put(process)

    def _call(self, process: subprocess.Popen, function: Callable, args: tuple):
        try:
            pickle.dump((function, args), process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            process.stdin.flush()
            ok, value = pickle.load(process.stdout)
        except (EOFError, BrokenPipeError, OSError, pickle.UnpicklingError):
            try:  # its pipe broke as it died: let it finish dying, to say how
                status = process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                status = process.wait()
            how = f"killed by signal {-status}" if status and status < 0 else f"status {status}"
            raise WorkerFailed(
                f"a worker process checking pieces ended without answering ({how}; out of "
                f"memory?); run again, or with {WORKERS_ENV}=0 to check every piece in one "
                "process"
            ) from None
        if not ok:
            raise value
        return value

    def _kill(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.kill()
        for process in self._processes:
            process.wait()
            _close_quietly(process.stdin)
            _close_quietly(process.stdout)


def _close_quietly(stream) -> None:
    with contextlib.suppress(OSError, ValueError):  # a broken pipe: the worker is gone already
        stream.close()


def _package_path() -> str:
    """``PYTHONPATH`` for a worker: the folder this ``analysis`` package was imported from
    first, so the worker runs the same code as its parent."""
    here = str(Path(__file__).resolve().parents[2])
    rest = os.environ.get("PYTHONPATH")
    return here if not rest else os.pathsep.join([here, rest])


def serve(requests, answers) -> None:
    """A worker's loop: read a pickled ``(function, args)`` from ``requests``, write the pickled
    ``(True, result)`` or ``(False, exception)`` to ``answers``; stop when ``requests`` ends."""
    while True:
        try:
            function, args = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = (True, function(*args))
        except Exception as err:  # the parent raises it in its own process
            answer = (False, err)
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as err:  # an exception that cannot be pickled: its text then
            data = pickle.dumps((False, RuntimeError(f"{type(err).__name__}: {err}")))
        answers.write(data)
        answers.flush()


def main(preload: list[str]) -> None:
    # Ctrl-C reaches the whole process group; the parent decides what happens to the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not garble answers
    status = 0
    try:
        for module in preload:
            importlib.import_module(module)
        serve(sys.stdin.buffer, answers)
    except (BrokenPipeError, ConnectionError):  # the parent is gone: nobody to answer
        pass
    except BaseException:
        traceback.print_exc()
        status = 1
    # Exit at once: nothing to flush, and no clean-up that could block on a closed pipe.
    os._exit(status)


if __name__ == "__main__":
    main(sys.argv[1:])
