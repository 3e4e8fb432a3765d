"""Which way `takedowns clean` goes (analysis.clean.route), and the worker processes that check the
pieces (analysis.clean.workers): chosen from the sheet's size and the memory free, forced by
--route, and no worker left behind whatever happens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.clean import route
from analysis.clean.workers import PiecePool, WorkerFailed
from analysis.cli import main
from analysis.core import memory
from analysis.core.duck import MEMORY_ENV
from analysis.core.errors import InputError
from analysis.ingest.sources import load_sources

SOURCES = """
[[source]]
path = "orders.csv"
kind = "orders"
[source.columns]
"Order No." = "order_id"
"Date of order" = "issued_at"

[[source]]
path = "handles.csv"
kind = "wide_handles"
[source.columns]
"Handle" = "item"
"Order" = "order_id"
"Withheld on" = "withheld"
"""


@pytest.fixture
def raw(tmp_path, monkeypatch) -> Path:
    """A 100-row handle sheet (about 2.6 KB) and its order, with nothing set that decides for
    the route."""
    for name in (memory.MEMORY_ENV, MEMORY_ENV, "TAKEDOWNS_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "orders.csv").write_text("Order No.,Date of order\nA-1,31/01/2021\n")
    rows = "".join(f"@user_{i},A-1,02/02/2021\n" for i in range(100))
    (folder / "handles.csv").write_text("Handle,Order,Withheld on\n" + rows)
    (folder / "sources.toml").write_text(SOURCES)
    return folder


def test_a_small_sheet_with_memory_to_spare_is_cleaned_in_memory(raw, monkeypatch):
    monkeypatch.setenv(memory.MEMORY_ENV, "8GB")
    plan = route.choose(load_sources(raw))
    assert plan.route == "memory" and plan.workers == 0
    assert "no sheet of" in plan.why


def test_a_big_sheet_goes_in_pieces_checked_by_every_processor(raw, monkeypatch):
    monkeypatch.setenv(memory.MEMORY_ENV, "8GB")
    monkeypatch.setattr(route, "PIECES_FROM_BYTES", 1000)
    monkeypatch.setattr(route, "WORKERS_FROM_BYTES", 1000)
    monkeypatch.setattr(memory, "usable_cpus", lambda: 4)
    plan = route.choose(load_sources(raw))
    assert plan.route == "pieces" and plan.pieces == {1}  # the sheet, not the orders
    assert plan.workers == 3  # and this process: four
    assert plan.memory_limit == "768MiB" and plan.threads == 2  # DuckDB: 8 GB / 4, capped


def test_short_memory_sends_even_a_small_sheet_in_pieces_with_fewer_processes(raw, monkeypatch):
    # 16 x 2.6 KB needed in memory, but only 50 KB free: half of that is too little.
    monkeypatch.setenv(memory.MEMORY_ENV, "50KB")
    monkeypatch.setattr(route, "WORKERS_FROM_BYTES", 0)
    monkeypatch.setattr(memory, "usable_cpus", lambda: 4)
    plan = route.choose(load_sources(raw))
    assert plan.route == "pieces" and plan.pieces == {1}
    assert "more than half" in plan.why
    assert plan.workers == 0  # no room for a worker's imports
    assert plan.memory_limit == "256MiB" and plan.threads == 1  # DuckDB's smallest


def test_the_route_and_the_workers_can_be_forced(raw, monkeypatch):
    monkeypatch.setenv(memory.MEMORY_ENV, "50KB")
    assert route.choose(load_sources(raw), "memory").route == "memory"
    monkeypatch.setenv(memory.MEMORY_ENV, "64GB")
    plan = route.choose(load_sources(raw), "pieces", workers=2)
    assert (plan.route, plan.workers, plan.why) == (
        "pieces",
        2,
        "in pieces, as asked; checked by 3 processes",
    )
    monkeypatch.setenv("TAKEDOWNS_WORKERS", "1")
    assert route.choose(load_sources(raw), "pieces").workers == 1
    monkeypatch.setenv(MEMORY_ENV, "300MB")
    assert route.choose(load_sources(raw), "pieces").memory_limit == "300MB"


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("TAKEDOWNS_WORKERS", "lots", "is not a number of processes"),
        (memory.MEMORY_ENV, "lots", "is not a size such as 4GB"),
        (MEMORY_ENV, "lots", "is not a size such as 64MB or 4GB"),
    ],
)
def test_a_setting_that_is_not_a_number_is_one_sentence(raw, monkeypatch, name, value, said):
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match=said):
        route.choose(load_sources(raw), "pieces")


def test_an_unknown_route_is_refused(raw):
    with pytest.raises(InputError, match="route 'fast' is not one of memory, pieces"):
        route.choose(load_sources(raw), "fast")


def test_the_command_takes_the_route_it_is_given(raw, tmp_path, capsys):
    for way in ("memory", "pieces"):
        assert main(["clean", "--raw", str(raw), "--out", str(tmp_path / way), "--route", way]) == 0
        assert "Tables: orders 1, items 100, events 100" in capsys.readouterr().out
    assert (tmp_path / "memory" / "items.parquet").is_file()
    with pytest.raises(SystemExit) as stop:
        main(["clean", "--raw", str(raw), "--route", "quick"])
    assert stop.value.code == 2


def test_memory_available_is_the_smaller_of_the_machine_and_its_control_group(tmp_path):
    group = tmp_path / "group"
    group.mkdir()
    (group / "memory.max").write_text("1073741824\n")
    (group / "memory.current").write_text("268435456\n")
    assert memory._headroom([group], "memory.max", "memory.current") == 768 * 2**20
    (group / "memory.max").write_text("max\n")
    assert memory._headroom([group], "memory.max", "memory.current") is None
    assert memory.parse_size("1.5GiB") == 3 * 2**29 and memory.parse_size("lots") is None
    assert memory.available_bytes() > 0  # this machine says something


# --- the worker processes ---------------------------------------------------------------------


def test_a_worker_runs_calls_and_hands_back_their_errors():
    with PiecePool(2) as pool:
        assert pool.submit(pow, 2, 10).result() == 1024
        with pytest.raises(InputError, match="no sources.toml here"):
            pool.submit(load_sources, Path("/no/such/folder")).result()
        assert [f.result() for f in [pool.submit(abs, -n) for n in range(6)]] == list(range(6))
    assert all(p.poll() == 0 for p in pool._processes)  # they ended by themselves


def test_a_worker_killed_from_outside_is_one_sentence_and_the_others_are_ended():
    pool = PiecePool(2)
    failed = pytest.raises(WorkerFailed, match="ended without answering .*killed by signal 9")
    with failed, pool:
        for process in pool._processes:
            process.kill()
        pool.submit(pow, 2, 3).result()
    assert all(p.poll() is not None for p in pool._processes)


def test_leaving_on_an_error_kills_the_workers_at_once():
    pool = PiecePool(2)
    with pytest.raises(KeyboardInterrupt), pool:
        pool.submit(time.sleep, 30)
        raise KeyboardInterrupt
    assert all(p.poll() is not None for p in pool._processes)


def test_workers_end_by_themselves_when_their_parent_is_killed():
    code = (
        "import os, sys\n"
        "from analysis.clean.workers import PiecePool\n"
        "pool = PiecePool(2)\n"
        "print(' '.join(str(p.pid) for p in pool._processes), flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    parent = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert parent.returncode == -9
    pids = [int(p) for p in parent.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_at_a_terminal_reaches_the_clean_not_its_workers():
    with PiecePool(1) as pool:
        worker = pool._processes[0].pid
        assert os.getpgid(worker) != os.getpgid(0)  # not in the terminal's foreground group
        assert pool.submit(pow, 3, 2).result() == 9  # started up
        os.kill(worker, signal.SIGINT)  # and even sent to it, Ctrl-C is ignored
        time.sleep(0.3)
        assert pool.submit(pow, 3, 3).result() == 27


def test_the_summary_keeps_its_columns_aligned_for_millions_of_rows():
    from analysis.clean.pipeline import summary

    def source(path: str, rows: int) -> dict:
        counts = dict.fromkeys(("rows_rejected", "rows_duplicate", "rows_dropped"), 0)
        return {"path": path, "rows_read": rows, "rows_kept": rows, "items_rejected": 0,
                "messages": [], **counts}  # fmt: skip

    manifest = {"sources": [source("orders.csv", 20_000), source("handles.csv", 20_000_000)],
                "tables": {"orders": 20_000}, "rows_rejected": 0, "items_rejected": 0,
                "rejects": 0}  # fmt: skip
    header, *rows = summary(manifest, Path("out")).splitlines()[1:4]
    ends = {name: header.index(name) + len(name) for name in ("read", "kept", "dropped")}
    for row in rows:
        assert row.split()[1:3] == [row.split()[1]] * 2  # read and kept, as numbers
        for name, end in ends.items():
            assert row[end - 1].isdigit() and (end == len(row) or row[end] == " "), (name, row)
