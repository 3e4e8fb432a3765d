"""A big sheet cleaned in pieces (analysis.spill) gives exactly what an in-memory clean gives.

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
from test_hostile import CASES, _raw_folder

from analysis import clean as clean_module
from analysis.clean import clean
from analysis.readers import tabular
from analysis.sources import InputError, load_sources
from analysis.store import read_tables

ROOT = Path(__file__).resolve().parents[1]


#: How many cleans went through the pieces route (the test must not pass by never taking it).
ROUTED: list[Path] = []


def _both_ways(raw: Path, tmp_path: Path, monkeypatch) -> tuple[object, object]:
    """``(in memory, in pieces)``: each the output folder, or the InputError's sentence."""
    outcomes = []
    for way in ("memory", "pieces"):
        with monkeypatch.context() as m:
            if way == "pieces":
                m.setattr(clean_module, "PIECES_FROM_BYTES", 0)
                m.setattr(clean_module, "PIECE_ROWS", 2)
                m.setattr(tabular, "_BLOCK_BYTES", 64)
                routed = clean_module._process_in_pieces

                def spy(sources, spill, routed=routed):
                    ROUTED.append(raw)
                    return routed(sources, spill)

                m.setattr(clean_module, "_process_in_pieces", spy)
            out = tmp_path / way
            try:
                clean(raw, out)
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
    raw = _raw_folder(case, tmp_path)
    memory, pieces = _both_ways(raw, tmp_path, monkeypatch)
    _same_outputs(memory, pieces)
    if not isinstance(pieces, str):  # sources.toml was read: a sheet of items went in pieces
        kinds = {(s.kind, s.path.suffix.lower()) for s in load_sources(raw)}
        if {(k, ".csv") for k in clean_module.PIECE_KINDS} & kinds:
            assert raw in ROUTED


def test_the_messy_fixture_and_the_built_in_data(tmp_path, monkeypatch, fixtures_dir):
    for name, folder in (("messy", fixtures_dir / "messy"), ("builtin", ROOT / "data" / "raw")):
        raw = tmp_path / name / "raw"
        shutil.copytree(folder, raw)
        _same_outputs(*_both_ways(raw, tmp_path / name, monkeypatch))
        assert raw in ROUTED


def test_a_synthetic_sheet_with_duplicates_across_pieces(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("generate", ROOT / "bench" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    raw = generate.generate(3000, tmp_path / "raw")
    # Copies of earlier rows at the end, and a row naming an order nobody declares.
    lines = (raw / "handles.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    extra = [*lines[1:40], lines[5].replace("IN-MeitY-B000000", "IN-MeitY-B999999")]
    (raw / "handles.csv").write_text("".join(lines + extra), encoding="utf-8")
    memory, pieces = _both_ways(raw, tmp_path, monkeypatch)
    assert raw in ROUTED
    _same_outputs(memory, pieces)
    manifest = json.loads((pieces / "manifest.json").read_text())
    handles = next(s for s in manifest["sources"] if s["path"] == "handles.csv")
    assert handles["rows_duplicate"] >= 39 and handles["rows_rejected"] == 1
