"""Shared helpers for the benchmarks: run a command in its own process and read its wall time,
CPU time and peak memory; medians and a short table.

Each side of an A/B comparison runs in a fresh subprocess. Its peak memory is the larger of
two readings: ``ru_maxrss`` of that child (from ``os.wait4``: the biggest single process among
it and the processes it waited for), and the most that the child and all its descendants held
together, sampled every 50 ms from ``/proc/<pid>/smaps_rollup`` (proportional set size: pages
shared between processes, such as the libraries a worker process also maps, are split between
them, not counted twice). A side that starts worker processes is thus charged for all of them.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PYTHON = sys.executable


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child and the processes it waited for
    peak: int  # bytes: the larger of the biggest process's peak RSS and the tree's peak PSS
    stdout: str
    tree_peak: int = 0  # bytes: the most the process tree held at once (sampled PSS)


def run(args: list[str], *, cwd: Path = ROOT, env: dict | None = None) -> Run:
    """Run ``args`` to completion; raise with its output if it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = _TreeSampler(proc.pid)
    sampler.start()
    # wait4 gives this child's own resource usage (RUSAGE_CHILDREN would be the maximum over
    # every child so far). Read the pipes from threads first so a chatty child cannot block.
    out, err = _drain(proc)
    sampler.stop()  # before wait4: the child's /proc entries go once it is reaped
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{err.strip()}")
    rss = usage.ru_maxrss * 1024
    return Run(wall, usage.ru_utime + usage.ru_stime, max(rss, sampler.peak), out, sampler.peak)


class _TreeSampler:
    """Samples the summed proportional set size of a process and its descendants (Linux)."""

    def __init__(self, pid: int, every: float = 0.05):
        import threading

        self.pid, self.every, self.peak = pid, every, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, sum(_pss(p) for p in _tree(self.pid)))
            self._done.wait(self.every)


def _tree(root: int) -> list[int]:
    """``root`` and every process descending from it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return found


def _pss(pid: int) -> int:
    """Proportional set size of ``pid`` in bytes (0 when it is gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _drain(proc: subprocess.Popen) -> tuple[str, str]:
    import threading

    chunks: dict[str, list[str]] = {"out": [], "err": []}

    def read(stream, key):
        chunks[key].append(stream.read())

    threads = [
        threading.Thread(target=read, args=(proc.stdout, "out")),
        threading.Thread(target=read, args=(proc.stderr, "err")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return "".join(chunks["out"]), "".join(chunks["err"])


def median(values) -> float:
    return statistics.median(values)


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def machine() -> str:
    """One line naming the machine the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        mem = 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} cores ({cpu}), {gib(mem)} RAM, Python {platform.python_version()}, "
        f"load average {load:.2f} at start"
    )


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )
