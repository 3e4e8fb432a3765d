"""How much memory and how many processors this run may use, as the machine says right now.

``takedowns clean`` decides from these whether a big sheet is cleaned in memory or in pieces,
how many worker processes canonicalise the pieces, and how much memory DuckDB may take to sort
them (:mod:`analysis.clean.route`).

**Memory available** is the smallest of: Linux's own estimate of what a new program can take
without swapping (``MemAvailable`` in ``/proc/meminfo``; elsewhere the free pages,
``os.sysconf``), and what is left under this process's control-group limit (a container's or a
job's memory limit, which ``/proc/meminfo`` does not show). ``$TAKEDOWNS_MEMORY`` (a size such
as ``4GB``) overrides both: the memory a run may assume is free, for a machine shared with
other jobs, or to test the low-memory route on a big machine.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: Environment variable: the memory a run may assume is available (``4GB``), whatever the
#: machine says.
MEMORY_ENV = "TAKEDOWNS_MEMORY"

_UNITS = {
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
    "TIB": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
#: A cgroup limit at or above this means "no limit" (cgroup v1 writes a huge number).
_NO_LIMIT = 1 << 60


def parse_size(text: str) -> int | None:
    """``"4GB"`` -> 4,000,000,000 bytes (``KB``/``MB``/``GB``/``TB`` are powers of 1000,
    ``KiB``/``MiB``/``GiB``/``TiB`` of 1024, as DuckDB reads them); ``None`` if ``text`` is not
    a size."""
    found = _SIZE.match(str(text))
    if not found or found.group(2).upper() not in _UNITS:
        return None
    return int(float(found.group(1)) * _UNITS[found.group(2).upper()])


def duckdb_size(n: int) -> str:
    """A byte count as DuckDB's ``memory_limit`` reads it, in whole MiB (``"768MiB"``)."""
    return f"{max(1, n // 2**20)}MiB"


def available_bytes() -> int | None:
    """Bytes a new allocation can take now (see the module docstring); ``None`` when the
    platform does not say.

    Raises :class:`~analysis.core.errors.InputError` when ``$TAKEDOWNS_MEMORY`` is set but is
    not a size."""
    setting = os.environ.get(MEMORY_ENV)
    if setting:
        size = parse_size(setting)
        if size is None or size <= 0:
            from analysis.core.errors import InputError

            raise InputError(
                f"{MEMORY_ENV}={setting!r} is not a size such as 4GB; set it to one, or unset "
                "it to use what the machine says is free"
            )
        return size
    found = [n for n in (_meminfo_available(), _cgroup_headroom()) if n is not None]
    return min(found) if found else None


def usable_cpus() -> int:
    """Processors this process may run on (its CPU affinity where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # the file says kB and means KiB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _cgroup_headroom() -> int | None:
    """The memory limit of this process's control group less what the group already uses
    (cgroup v2, else v1); ``None`` without a limit."""
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, group = rest.partition(":")
        group = group.lstrip("/")
        if hierarchy == "0" and not controllers:  # v2: one unified hierarchy
            folders = [Path("/sys/fs/cgroup") / group, Path("/sys/fs/cgroup")]
            found = _headroom(folders, "memory.max", "memory.current")
        elif "memory" in controllers.split(","):
            base = Path("/sys/fs/cgroup/memory")
            folders = [base / group, base]
            found = _headroom(folders, "memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        if found is not None:
            return found
    return None


def _headroom(folders: list[Path], limit_file: str, usage_file: str) -> int | None:
    # Inside a container the group's own path is often not visible; its root then is.
    for folder in folders:
        try:
            limit_text = (folder / limit_file).read_text(encoding="ascii").strip()
            usage = int((folder / usage_file).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if limit_text == "max" or not limit_text.isdigit() or int(limit_text) >= _NO_LIMIT:
            return None
        return max(0, int(limit_text) - usage)
    return None
