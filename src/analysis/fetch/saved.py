"""Responses kept in ``data/raw/``: new files only, each whole or absent, and a log per run.

* :func:`save_new` writes a response's bytes to a name that does not exist yet: staged under a
  temporary name beside it, flushed, then moved into place (``os.replace``), so a reader, a
  Ctrl-C or a kill never leaves half a file. A temporary left by a killed run is removed by
  the next run (:func:`analysis.store.atomic.remove_stale_temporaries`). A saved file is never
  written again.
* :class:`RunLog` is one JSON Lines file per run (``log/<run start>.jsonl``): one line per
  request (what was asked, the status, the size and sha256 of what came back, where it was
  saved). Each line is one ``write`` call on a file opened for appending, so an interrupt
  cannot split a line; a power cut could leave a last partial line, which
  :func:`read_log` skips. The log is for people checking a run; everything the commands need
  to resume is in the saved files' names and contents.
* :func:`declare_source` adds a ``[[source]]`` block to ``sources.toml`` when none reads the
  folder: the user's text is kept byte for byte and the block appended after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tomllib
from pathlib import Path

from analysis.core.errors import InputError
from analysis.ingest.sources import SOURCES_FILE
from analysis.store.atomic import fsync_dir, remove_stale_temporaries, stage_bytes

LOG_FOLDER = "log"


def stamp(when: dt.datetime) -> str:
    """``20260501T130512Z``: a UTC time to the second, for file names (sorts in time order)."""
    return when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_stamp(text: str) -> dt.datetime:
    """The UTC time a :func:`stamp` names."""
    return dt.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def save_new(data: bytes, target: Path) -> Path:
    """Write ``data`` to ``target``, which must not exist, atomically; returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent)
    if target.exists():  # saved responses are never replaced
        raise FileExistsError(f"{target} already exists; a saved response is never overwritten")
    tmp = stage_bytes(data, target)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return target


def move_aside(path: Path, target: Path) -> Path:
    """Move a saved file, unchanged, to ``target`` (a new name); returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise FileExistsError(f"{target} already exists; a saved response is never overwritten")
    os.replace(path, target)
    fsync_dir(target.parent)
    fsync_dir(path.parent)
    return target


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RunLog:
    """``<folder>/log/<started>.jsonl``, created at the first line."""

    def __init__(self, folder: Path, started: dt.datetime):
        self.path = folder / LOG_FOLDER / f"{stamp(started)}.jsonl"
        self.lines = 0

    def write(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        self.lines += 1


def read_log(path: Path) -> list[dict]:
    """The records of a run log; a line that is not JSON (cut by a power loss) is skipped."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            records.append(value)
    return records


def sources_config(raw_dir: Path) -> dict:
    """``sources.toml`` as TOML data (empty when there is none). Raises :class:`InputError`
    when it is not valid TOML: a fetch checks this before it asks for anything, since it may
    have to add a block."""
    toml_path = raw_dir / SOURCES_FILE
    if not toml_path.is_file():
        return {}
    try:
        return tomllib.loads(toml_path.read_bytes().decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(
            f"{toml_path} is not valid TOML ({err}); fix it before fetching, a block may have "
            "to be added to it"
        ) from None


def declare_source(raw_dir: Path, path: str, kind: str, comment: str) -> bool:
    """Append a ``[[source]]`` block reading ``path`` (relative to ``raw_dir``) as ``kind`` to
    ``sources.toml`` unless a block already reads it; create the file if there is none.

    Returns True when a block was added. The existing text is kept byte for byte; the new file
    is checked to parse before it replaces the old one (atomically). Raises
    :class:`InputError` when ``sources.toml`` is not valid TOML (fix it first).
    """
    toml_path = raw_dir / SOURCES_FILE
    old = toml_path.read_bytes() if toml_path.is_file() else b""
    config = sources_config(raw_dir)
    wanted = (raw_dir / path).resolve()
    blocks = config.get("source", [])
    for block in blocks if isinstance(blocks, list) else []:
        name = block.get("path") if isinstance(block, dict) else None
        if isinstance(name, str) and (raw_dir / name).resolve() == wanted:
            return False
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    block = "\n".join([*lines, "[[source]]", f'path = "{path}"', f'kind = "{kind}"']) + "\n"
    # One blank line between the user's last line and the block.
    trailing = len(old) - len(old.rstrip(b"\n"))
    separator = b"\n" * max(0, 2 - trailing) if old.strip() else b""
    new = old + separator + block.encode("utf-8")
    tomllib.loads(new.decode("utf-8"))  # the block must not change how the user's text reads
    raw_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(raw_dir)
    tmp = stage_bytes(new, toml_path)
    try:
        os.replace(tmp, toml_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(raw_dir)
    return True
