"""A big sheet cleaned in pieces (analysis.clean.spill) gives exactly what an in-memory clean gives.

``takedowns clean`` reads a big ``items``/``events``/``wide_handles`` CSV in pieces and lets
DuckDB keep, deduplicate and sort its items and events on disk. That route must never change an
answer, so every hostile case, the messy fixture, the built-in data and a synthetic sheet are
cleaned both ways, with pieces of two records parsed 64 bytes at a time, and compared: every
table row for row, the rejects, and the manifest's accounting.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.clean import pipeline as clean_module
from analysis.clean import route as route_module
from analysis.clean.pipeline import clean
from analysis.core.errors import InputError
from analysis.ingest.readers import tabular
from analysis.ingest.sources import load_sources
from analysis.store.processed import read_tables

from support.hostile_cases import CASES, raw_folder

ROOT = Path(__file__).resolve().parents[1]
# Every test cleans twice (whole and in pieces), most of them the whole hostile corpus.
pytestmark = pytest.mark.slow


#: How many cleans went through the pieces route (the test must not pass by never taking it).
ROUTED: list[Path] = []


def _both_ways(
    raw: Path,
    tmp_path: Path,
    monkeypatch,
    from_bytes: int = 0,
    workers: int = 0,
    rows: int = 2,
    sort: str = "duckdb",
) -> tuple[object, object]:
    """``(in memory, in pieces)``: each the output folder, or the InputError's sentence. In
    pieces, every CSV sheet of ``from_bytes`` or more goes in pieces (``0``: every one, by
    ``route="pieces"``) of ``rows`` records, checked by ``workers`` worker processes besides
    the clean's own, sorted by ``sort`` (``duckdb``, or ``arrow`` in memory)."""
    outcomes = []
    for way in ("memory", "pieces"):
        with monkeypatch.context() as m:
            options = {"route": "memory"}
            if way == "pieces":
                m.setattr(route_module, "PIECES_FROM_BYTES", from_bytes)
                m.setattr(clean_module, "PIECE_ROWS", rows)
                m.setattr(route_module, "SORT_IN_MEMORY_MAX", 0 if sort == "duckdb" else 1 << 40)
                m.setattr(tabular, "_BLOCK_BYTES", 64)
                routed = clean_module._process_in_pieces

                def spy(sources, plan, spill, pool, routed=routed):
                    ROUTED.append(raw)
                    assert (pool.size if pool is not None else 0) == workers
                    return routed(sources, plan, spill, pool)

                m.setattr(clean_module, "_process_in_pieces", spy)
                options = {"route": None if from_bytes else "pieces", "workers": workers}
            out = tmp_path / way
            try:
                clean(raw, out, **options)
                outcomes.append(out)
            except InputError as err:
                outcomes.append(str(err))
    return outcomes[0], outcomes[1]


def _same_outputs(memory, pieces) -> None:
    if isinstance(memory, str) or isinstance(pieces, str):
        assert memory == pieces
        return
    a, b = read_tables(memory), read_tables(pieces)
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    assert (memory / "rejects.csv").read_bytes() == (pieces / "rejects.csv").read_bytes()
    ma, mb = (json.loads((o / "manifest.json").read_text()) for o in (memory, pieces))
    for m in (ma, mb):
        m.pop("generated_at")
    assert ma == mb


@pytest.mark.parametrize("case", [c for c in CASES if not c.xfail], ids=lambda c: c.name)
def test_hostile_cases_clean_the_same_in_pieces(case, tmp_path, monkeypatch):
    raw = raw_folder(case, tmp_path)
    memory, pieces = _both_ways(raw, tmp_path, monkeypatch)
    _same_outputs(memory, pieces)
    if not isinstance(pieces, str):  # sources.toml was read: a sheet of items went in pieces
        kinds = {(s.kind, s.path.suffix.lower()) for s in load_sources(raw)}
        if {(k, ".csv") for k in route_module.PIECE_KINDS} & kinds:
            assert raw in ROUTED


@pytest.mark.parametrize(
    ("workers", "sort"),
    [(0, "duckdb"), (2, "duckdb"), (0, "arrow")],
    ids=["one process", "two workers", "sorted in memory"],
)
def test_the_messy_fixture_and_the_built_in_data(
    workers, sort, tmp_path, monkeypatch, fixtures_dir
):
    for name, folder in (("messy", fixtures_dir / "messy"), ("builtin", ROOT / "data" / "raw")):
        raw = tmp_path / name / "raw"
        shutil.copytree(folder, raw)
        _same_outputs(*_both_ways(raw, tmp_path / name, monkeypatch, workers=workers, sort=sort))
        assert raw in ROUTED


def _synthetic_sheet(tmp_path: Path) -> Path:
    """The benchmark's sheet of 3,000 rows, then copies of earlier rows and a row naming an
    order nobody declares."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "bench" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    raw = generate.generate(3000, tmp_path / "raw")
    lines = (raw / "handles.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    extra = [*lines[1:40], lines[5].replace("IN-MeitY-B000000", "IN-MeitY-B999999")]
    (raw / "handles.csv").write_text("".join(lines + extra), encoding="utf-8")
    return raw


@pytest.mark.parametrize(
    ("workers", "rows", "sort"),
    [(0, 2, "duckdb"), (2, 97, "duckdb"), (0, 2, "arrow"), (2, 97, "arrow")],
    ids=["one process", "two workers", "sorted in memory", "two workers, sorted in memory"],
)
def test_a_synthetic_sheet_with_duplicates_across_pieces(
    workers, rows, sort, tmp_path, monkeypatch
):
    raw = _synthetic_sheet(tmp_path)
    memory, pieces = _both_ways(raw, tmp_path, monkeypatch, workers=workers, rows=rows, sort=sort)
    assert raw in ROUTED
    _same_outputs(memory, pieces)
    manifest = json.loads((pieces / "manifest.json").read_text())
    handles = next(s for s in manifest["sources"] if s["path"] == "handles.csv")
    assert handles["rows_duplicate"] >= 39 and handles["rows_rejected"] == 1


def test_the_same_input_gives_the_same_bytes_however_many_processes_check_it(tmp_path, monkeypatch):
    """Pieces checked in this process, or by workers in whatever order they finish, give
    byte-identical tables, rejects and manifest (but its time)."""
    raw = _synthetic_sheet(tmp_path)
    outs = []
    for workers, sort_max in ((0, 0), (3, 0), (2, 1 << 40)):  # DuckDB, DuckDB, Arrow
        with monkeypatch.context() as m:
            m.setattr(clean_module, "PIECE_ROWS", 61)
            m.setattr(route_module, "SORT_IN_MEMORY_MAX", sort_max)
            out = tmp_path / f"workers-{workers}-{sort_max}"
            result = clean(raw, out, route="pieces", workers=workers)
            assert result.plan.route == "pieces" and result.plan.workers == workers
            outs.append(out)
    files = sorted(p.name for p in outs[0].iterdir())
    for other in outs[1:]:
        assert files == sorted(p.name for p in other.iterdir())
        for name in files:
            a, b = ((o / name).read_bytes() for o in (outs[0], other))
            if name == "manifest.json":
                a, b = (json.loads(x) for x in (a, b))
                a.pop("generated_at"), b.pop("generated_at")
            assert a == b, (other.name, name)


ORDERS_BLOCK = """
[[source]]
path = "{path}"
kind = "orders"
{sheet}
[source.defaults]
country = "IN"
[source.columns]
"Order No." = "order_id"
"Date of order" = "issued_at"
"""
SHEET_BLOCK = """
[[source]]
path = "{path}"
kind = "wide_handles"
[source.defaults]
country = "IN"
[source.columns]
"Handle" = "item"
"Order" = "order_id"
"Withheld on" = "withheld"
"""
BIG = "".join(f"@h{i},A-1,02/02/2021\n" for i in range(40))  # about 800 bytes: in pieces


def _small_and_big(raw: Path) -> None:
    """A small sheet read whole and a big one in pieces, naming the same items."""
    (raw / "orders.csv").write_text("Order No.,Date of order\nA-1,31/01/2021\n")
    (raw / "small.csv").write_text("Handle,Order,Withheld on\n@h3,A-1,02/02/2021\n@h9,A-1,\n")
    (raw / "big.csv").write_text("Handle,Order,Withheld on\n" + BIG)
    (raw / "sources.toml").write_text(
        ORDERS_BLOCK.format(path="orders.csv", sheet="")
        + SHEET_BLOCK.format(path="small.csv")
        + SHEET_BLOCK.format(path="big.csv")
    )


def _two_sheets_of_one_workbook(raw: Path) -> None:
    """Two sources share a file name (two sheets); the big sheet between them names both."""
    with pd.ExcelWriter(raw / "orders.xlsx") as book:
        for sheet, order in (("One", "A-1"), ("Two", "B-1")):
            frame = pd.DataFrame({"Order No.": [order], "Date of order": ["31/01/2021"]})
            frame.to_excel(book, sheet_name=sheet, index=False)
    (raw / "big.csv").write_text("Handle,Order,Withheld on\n@b,B-1,03/02/2021\n" + BIG)
    (raw / "sources.toml").write_text(
        ORDERS_BLOCK.format(path="orders.xlsx", sheet='sheet = "One"')
        + SHEET_BLOCK.format(path="big.csv")
        + ORDERS_BLOCK.format(path="orders.xlsx", sheet='sheet = "Two"')
    )


def _order_failing_its_schema(raw: Path) -> None:
    """An order id of 201 characters fails the orders schema after combine has checked the
    sheet's references to it; a reference to an undeclared order is rejected, in a file whose
    name sorts after the schema's rejects."""
    long = "L" + "x" * 200
    (raw / "orders.csv").write_text(f"Order No.,Date of order\nA-1,31/01/2021\n{long},01/02/2021\n")
    rows = f"@one,A-1,02/02/2021\n@two,{long},03/02/2021\n@three,NOPE,04/02/2021\n"
    (raw / "zz.csv").write_text("Handle,Order,Withheld on\n" + rows + BIG)
    (raw / "sources.toml").write_text(
        ORDERS_BLOCK.format(path="orders.csv", sheet="") + SHEET_BLOCK.format(path="zz.csv")
    )


@pytest.mark.parametrize(
    ("build", "workers"),
    [(_small_and_big, 0), (_two_sheets_of_one_workbook, 0), (_order_failing_its_schema, 1)],
)
def test_sources_read_whole_beside_a_sheet_in_pieces(build, workers, tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    build(raw)
    memory, pieces = _both_ways(raw, tmp_path, monkeypatch, from_bytes=500, workers=workers)
    assert raw in ROUTED
    _same_outputs(memory, pieces)
