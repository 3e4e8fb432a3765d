"""The hostile report data rendered by `takedowns report`, shared by the publication, crash and
repeatability tests (rendering is the slow part, so it happens twice per session, not per test).

``publish`` runs the real command in a subprocess whose every Python process (the command, its
pool workers, the Jupyter kernels) loads the ``sitecustomize`` below from ``PYTHONPATH``: any
connection to an address that is not loopback or a Unix socket, and any name lookup of a host
that is not local, raises and is written to a log. The command starts from raw files, so the log
covers ``clean`` as well as the notebooks.

``crash_and_rerun`` copies those reports, starts the command again with ``--force``, kills it
with SIGKILL while the notebooks execute, records what the folder held, then runs it to the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from support.paths import FIXTURES

REPORT_DATA = FIXTURES / "hostile" / "_report"
NOTEBOOK_STEMS = ("00-overview", "01-volume", "02-compliance-lag", "03-reversals")

#: Accounts (and their tweets) missing from the fixture's public-accounts.csv.
HIDDEN = (
    "secret_person",
    "hidden_two",
    "third_person",
    "1356205424589848576",
    "1356205424589848599",
    "1356205424589848600",
)
PUBLIC = "public_one"
#: Order ids as the fixture spells them; each reaches headlines, tables and chart data.
SCRIPT_ORDER = "<script>window.__pwned=1</script>"
IMG_ORDER = '<img src=x onerror="window.__pwned=4">'
FORMULA_ORDER = '=HYPERLINK("http://evil.example","click")'
LINK_ORDER = "[click me](javascript:window.__pwned=5)"

SITECUSTOMIZE = '''"""Test guard: no network for a process with this on PYTHONPATH."""
import os
import socket
import sys

_LOG = os.environ.get("TAKEDOWNS_NETWORK_LOG")
_LOCAL_NAMES = {None, "", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}


def _note(line):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as sink:
            sink.write(f"{line}\\n")


def _is_local(address):
    if isinstance(address, (str, bytes)) or address is None:  # a Unix socket path
        return True
    host = address[0] if isinstance(address, tuple) and address else address
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host)
    return host in _LOCAL_NAMES or host.startswith(("127.", "::ffff:127."))


def _refuse(what, address):
    _note(f"blocked {os.getpid()} {what} {address!r}")
    raise OSError(f"network access is blocked in this test ({what} {address!r})")


_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
_create_connection, _getaddrinfo = socket.create_connection, socket.getaddrinfo


def connect(self, address):
    if self.family != socket.AF_UNIX and not _is_local(address):
        _refuse("connect", address)
    return _connect(self, address)


def connect_ex(self, address):
    if self.family != socket.AF_UNIX and not _is_local(address):
        _refuse("connect_ex", address)
    return _connect_ex(self, address)


def create_connection(address, *args, **kwargs):
    if not _is_local(address):
        _refuse("create_connection", address)
    return _create_connection(address, *args, **kwargs)


def getaddrinfo(host, *args, **kwargs):
    if not _is_local((host,)):
        _refuse("getaddrinfo", host)
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
socket.create_connection, socket.getaddrinfo = create_connection, getaddrinfo
try:  # the whole command line: at start-up sys.argv still lacks the module's name
    with open(f"/proc/{os.getpid()}/cmdline", "rb") as source:
        _command = source.read().replace(b"\\0", b" ").decode(errors="replace")
except OSError:
    _command = " ".join(sys.argv)
_note(f"armed {os.getpid()} {_command[:300]}")
'''


@dataclass
class Render:
    data: Path  # holds raw/ and processed/
    out: Path  # the reports folder
    result: subprocess.CompletedProcess
    network_log: Path | None = None


def report_command(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "analysis",
        "report",
        "-p",
        "data_dir",
        str(data),
        "-p",
        "redact_handles",
        "true",
        "--out",
        str(out),
        *extra,
    ]


def command_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TAKEDOWNS_DEBUG", "MPLBACKEND")}
    return {**env, "CI": "1", **extra}  # CI: no progress lines


def network_blocked_env(folder: Path) -> tuple[dict[str, str], Path]:
    """An environment whose Python processes cannot reach the network, and the log of attempts."""
    guard = folder / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = folder / "network.log"
    log.touch()
    path = os.pathsep.join(p for p in (str(guard), os.environ.get("PYTHONPATH", "")) if p)
    return command_env(PYTHONPATH=path, TAKEDOWNS_NETWORK_LOG=str(log)), log


def publish(base: Path) -> Render:
    """Raw hostile data -> `takedowns report` (clean + notebooks) with the network blocked."""
    data = base / "data"
    shutil.copytree(REPORT_DATA, data / "raw")
    env, log = network_blocked_env(base)
    out = base / "reports"
    result = subprocess.run(
        report_command(data, out), env=env, capture_output=True, text=True, timeout=600
    )
    return Render(data, out, result, log)


def snapshot_tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too), by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Crash:
    before: dict[str, bytes]  # the reports folder before the killed run
    after_kill: dict[str, bytes]  # ... right after it was killed
    leftovers: list[str]  # staging folders the killed run left inside the reports folder
    rerun: Render  # the next, complete run
    leftovers_after_rerun: list[str]


def _staging(out: Path) -> list[Path]:
    return sorted(out.glob(".staging-*"))


def crash_and_rerun(published: Render, base: Path) -> Crash:
    out = base / "reports"
    shutil.copytree(published.out, out)
    before = snapshot_tree(out)
    command = report_command(published.data, out, "--force")
    with (base / "killed.log").open("wb") as log:
        process = subprocess.Popen(
            command, env=command_env(), stdout=log, stderr=log, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 120
            # Papermill saves the executed notebook as cells run: once one exists in the staging
            # folder, the notebooks are executing.
            while not any(s.glob("*.ipynb") for s in _staging(out)):
                assert process.poll() is None, "the report run ended before it could be killed"
                assert time.monotonic() < deadline, "the notebooks never started"
                time.sleep(0.05)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            # The pool workers and kernels end themselves once the command is gone; make sure.
            time.sleep(0.5)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            if process.poll() is None:
                process.kill()
                process.wait()
    after_kill = snapshot_tree(out)
    leftovers = [p.name for p in _staging(out)]
    result = subprocess.run(command, env=command_env(), capture_output=True, text=True, timeout=600)
    return Crash(
        before,
        after_kill,
        leftovers,
        Render(published.data, out, result),
        [p.name for p in _staging(out)],
    )
