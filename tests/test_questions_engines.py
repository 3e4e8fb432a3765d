"""A checks dataset next to the cleaned tables: its events reach the lag and reversal answers,
the same whichever engine computed them, redacted like every other row (questions.load, the
notebooks' ``engine`` parameter)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.clean.pipeline import clean
from analysis.core import paths
from analysis.core.errors import InputError
from analysis.report import questions
from analysis.scale import dataset

from support.scale_data import synthetic_checks

AS_OF = "2021-04-30"
SOURCES = """
[[source]]
path = "orders.csv"
kind = "orders"
dayfirst = false
[source.defaults]
country = "IN"
platform = "twitter"
[source.columns]
"Order ref" = "order_id"
"Date issued" = "issued_at"

[[source]]
path = "items.csv"
kind = "items"
[source.columns]
"Order ref" = "order_id"
"Handle" = "item"
"""


@pytest.fixture(scope="module")
def checks() -> pd.DataFrame:
    return synthetic_checks(60, 12, seed=3)


@pytest.fixture(scope="module")
def data(tmp_path_factory, checks):
    """Two orders naming the 60 synthetic accounts, cleaned; their checks as a dataset."""
    base = tmp_path_factory.mktemp("data")
    raw = base / "raw"
    raw.mkdir()
    (raw / "sources.toml").write_text(SOURCES, encoding="utf-8")
    (raw / "orders.csv").write_text(
        "Order ref,Date issued\nIN-1,2021-01-18\nIN-2,2021-01-19\n", encoding="utf-8"
    )
    handles = sorted(checks["item_id"].unique())
    lines = [f"IN-{1 + i % 2},{h}" for i, h in enumerate(handles)]
    (raw / "items.csv").write_text("Order ref,Handle\n" + "\n".join(lines) + "\n", encoding="utf-8")
    (raw / "public-accounts.csv").write_text(f"handle\n{handles[1]}\n", encoding="utf-8")
    clean(raw, base / "processed")
    dataset.append(paths.dataset_dir("checks", base), checks)
    return base


def _lag(data, **load):
    tables = questions.load(data, **load)
    scope = questions.select_orders(tables, country="IN")
    return questions.answer_lag(scope, as_of=AS_OF, deadline_hours=36)


def test_duckdb_gives_the_same_lag_answer_as_pandas(data):
    pandas_answer = _lag(data, engine="pandas")
    duckdb_answer = _lag(data, engine="duckdb")
    pd.testing.assert_frame_equal(duckdb_answer.table, pandas_answer.table)
    assert duckdb_answer.headline == pandas_answer.headline
    # ... and the dataset is what the answer rests on: without it nothing was actioned
    without = _lag(data, checks_dataset=False)
    assert without.table["actioned"].sum() == 0
    assert pandas_answer.table["actioned"].sum() > 0


def test_duckdb_gives_the_same_reversals_as_pandas(data):
    answers = {}
    for engine in ("pandas", "duckdb"):
        tables = questions.select_orders(questions.load(data, engine=engine), country="IN")
        answers[engine] = questions.answer_reversals(tables, as_of=AS_OF)
    pd.testing.assert_frame_equal(answers["duckdb"].table, answers["pandas"].table)
    assert answers["pandas"].table["items_reversed"].sum() > 0


def test_dataset_events_are_redacted_too(data, checks):
    tables = questions.load(data, redact_handles=True, engine="duckdb")
    public = sorted(checks["item_id"].unique())[1]
    shown = set(tables["events"]["item_id"].dropna())
    assert public in shown
    assert not {h for h in shown if h.startswith("@acct")} - {public}
    assert any(h.startswith("[account ") for h in shown)


def test_appending_checks_changes_the_reports_fingerprint(data, checks, tmp_path):
    before = questions.data_fingerprint(data)
    assert ":checks-" in before
    extra = checks.iloc[:3].assign(checked_at=pd.Timestamp("2021-05-02 10:00", tz="UTC"))
    target = paths.dataset_dir("checks", data)
    written = dataset.append(target, extra)
    try:
        assert questions.data_fingerprint(data) != before
    finally:
        for path in written.paths:  # leave the module's dataset as it was
            path.unlink()
    assert questions.data_fingerprint(data) == before


def test_a_missing_dataset_or_an_unknown_engine_is_an_input_error(data, tmp_path):
    with pytest.raises(InputError, match="is not a folder"):
        questions.load(data, checks_dataset=tmp_path / "nowhere")
    with pytest.raises(InputError, match="engine 'polars' is not one of pandas, duckdb, dask"):
        questions.load(data, engine="polars")


@pytest.mark.slow
def test_the_lag_notebook_runs_on_duckdb_and_shows_the_pandas_numbers(data, tmp_path):
    import papermill

    root = paths.PROJECT_ROOT
    tables = {}
    for engine in ("pandas", "duckdb"):
        out = tmp_path / engine
        out.mkdir()
        papermill.execute_notebook(
            root / "notebooks" / "02-compliance-lag.ipynb",
            out / "lag.ipynb",
            parameters={
                "data_dir": str(data),
                "as_of": AS_OF,
                "engine": engine,
                "output_dir": str(out / "charts"),
            },
            cwd=root / "notebooks",
            progress_bar=False,
            kernel_name="python3",
        )
        executed = json.loads((out / "lag.ipynb").read_text(encoding="utf-8"))
        assert executed["metadata"]["papermill"]["parameters"]["engine"] == engine
        tables[engine] = (out / "charts" / "lag-by-order.csv").read_text(encoding="utf-8")
    assert tables["duckdb"] == tables["pandas"]
    assert "IN-1" in tables["duckdb"]
