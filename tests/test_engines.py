"""pandas = DuckDB = Dask: the same events and the same counts from one checks dataset
(analysis.scale.engines), and DuckDB within a memory limit smaller than the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.clean.snapshots import snapshots_to_events
from analysis.core import duck
from analysis.scale import dataset, engines

from support.scale_data import synthetic_checks

IST = "Asia/Kolkata"
#: Dask takes seconds to import and to start a cluster of worker processes: its cases are slow.
DASK = pytest.mark.slow
ENGINES = [pytest.param(e, marks=DASK) if e == "dask" else e for e in engines.ENGINES]


@pytest.fixture(scope="module")
def checks_dir(tmp_path_factory):
    """~4,000 seeded checks of 300 items over January-April 2021, in two overlapping batches."""
    frame = synthetic_checks(300, 12)
    folder = tmp_path_factory.mktemp("checks")
    dataset.append(folder, frame.iloc[: len(frame) * 2 // 3])
    dataset.append(folder, frame.iloc[len(frame) // 3 :])
    return folder


@pytest.fixture(scope="module")
def reference(checks_dir):
    return engines.events_from_checks(checks_dir, engine="pandas")


@pytest.fixture(scope="module")
def cluster():
    """One local Dask cluster of 2 worker processes for the module (a few seconds to start)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local.scheduler_address


def _scheduler(request, engine: str) -> str | None:
    """The module's Dask cluster for the dask engine; None (no cluster started) for the others."""
    return request.getfixturevalue("cluster") if engine == "dask" else None


def test_the_synthetic_data_cover_every_rule(reference):
    counts = reference["event"].value_counts()
    assert set(counts.index) == {"withheld", "restored", "suspended", "reinstated", "deleted"}
    notes = set(reference["notes"].dropna())
    assert any(n.startswith("already withheld") for n in notes)
    assert any(n.startswith("already suspended") for n in notes)
    assert any(n.startswith("not found at the first check") for n in notes)
    # deleted twice: not found, found again, not found again
    assert (reference[reference["event"] == "deleted"].groupby("item_id").size() > 1).any()


def test_pandas_engine_is_snapshots_to_events_on_the_deduplicated_checks(checks_dir, reference):
    expected = snapshots_to_events(dataset.read(checks_dir), country="IN")
    # One difference, on purpose: an event takes the precision of the check that showed it
    # (as `takedowns clean` does), not snapshots_to_events' "second".
    precision = dataset.read(checks_dir).set_index(["item_id", "checked_at", "source_file"])
    at = pd.MultiIndex.from_frame(reference[["item_id", "at", "source_file"]])
    own = precision["time_precision"].groupby(level=[0, 1, 2]).first().reindex(at)
    assert list(reference["time_precision"]) == list(own)
    pd.testing.assert_frame_equal(
        reference.drop(columns="time_precision"),
        expected.drop(columns="time_precision").astype(
            reference.drop(columns="time_precision").dtypes.to_dict()
        ),
    )


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["duckdb", "dask"])
def test_events_are_the_same_on_every_engine(checks_dir, reference, cluster, engine):
    got = engines.events_from_checks(checks_dir, engine=engine, scheduler=cluster)
    pd.testing.assert_frame_equal(got, reference)


@pytest.mark.parametrize(
    ("engine", "freq", "tz"),
    [
        ("duckdb", "M", IST),
        ("duckdb", "W", "Europe/Berlin"),  # ISO weeks across a daylight-saving change
        ("duckdb", "D", "America/New_York"),
        ("duckdb", "Q", IST),
        pytest.param("dask", "M", IST, marks=DASK),
        pytest.param("dask", "D", "Europe/Berlin", marks=DASK),
    ],
)
def test_event_counts_are_the_same_on_every_engine(checks_dir, request, engine, freq, tz):
    expected = engines.event_counts(checks_dir, engine="pandas", freq=freq, tz=tz)
    scheduler = _scheduler(request, engine)
    got = engines.event_counts(checks_dir, engine=engine, freq=freq, tz=tz, scheduler=scheduler)
    pd.testing.assert_frame_equal(got, expected)


def test_event_counts_add_up_to_the_events_and_the_checks(checks_dir, reference):
    counts = engines.event_counts(checks_dir, engine="pandas")
    assert list(counts["period"]) == ["2021-01", "2021-02", "2021-03", "2021-04"]
    assert counts["checks"].sum() == len(dataset.read(checks_dir))
    for event, n in reference["event"].value_counts().items():
        assert counts[event].sum() == n


@pytest.mark.slow
def test_dask_finds_the_scheduler_in_the_environment(checks_dir, reference, cluster, monkeypatch):
    import distributed

    def no_local_cluster(*args, **kwargs):
        raise AssertionError("a local cluster was started although a scheduler was named")

    monkeypatch.setattr(distributed, "LocalCluster", no_local_cluster)
    monkeypatch.setenv(engines.SCHEDULER_ENV, cluster)
    got = engines.events_from_checks(checks_dir, engine="dask")
    pd.testing.assert_frame_equal(got, reference)


# --- small cases a reader can check by hand -----------------------------------------------------


def _checks(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    """(day in February 2021, state, countries) for one item, @someone, checked at 09:00 UTC."""
    return pd.DataFrame(
        {
            "item_id": "@someone",
            "order_id": pd.array([None] * len(rows), dtype="str"),
            "checked_at": [pd.Timestamp(f"2021-02-{d} 09:00", tz="UTC") for d, _, _ in rows],
            "time_precision": "minute",
            "state": [s for _, s, _ in rows],
            "countries": pd.array([c for _, _, c in rows], dtype="str"),
            "source_url": pd.array([None] * len(rows), dtype="str"),
            "source_file": "hand.csv",
            "source_row": np.arange(1, len(rows) + 1),
        }
    )


HAND = [
    ("01", "withheld", "IN"),  # already withheld at the first check
    ("02", "suspended", None),  # suspension says nothing about withholding
    ("03", "visible", None),  # restored since 1 Feb; reinstated since 2 Feb
    ("04", "withheld", "XY"),  # copyright only: still visible in India
    ("05", "withheld", "XX"),  # withheld everywhere, India included
    ("06", "not_found", None),  # deleted
    ("07", "withheld", None),  # back, withheld (no countries given: counts); no new event
    ("08", "not_found", None),  # deleted again
]
HAND_EVENTS = [  # (event, at, at_earliest) as days in February
    ("withheld", "01", None),
    ("suspended", "02", "01"),
    ("restored", "03", "01"),
    ("reinstated", "03", "02"),
    ("withheld", "05", "04"),
    ("deleted", "06", "05"),
    ("deleted", "08", "07"),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_hand_written_history_gives_the_expected_events(tmp_path, request, engine):
    dataset.append(tmp_path, _checks(HAND))
    got = engines.events_from_checks(tmp_path, engine=engine, scheduler=_scheduler(request, engine))

    def day(value):
        return None if pd.isna(value) else f"{value.day:02d}"

    seen = got[["event", "at", "at_earliest"]].itertuples(index=False)
    rows = [(event, day(at), day(earliest)) for event, at, earliest in seen]
    assert rows == HAND_EVENTS
    assert list(got["country"].fillna("-")) == ["IN", "-", "IN", "-", "IN", "-", "-"]
    assert got["notes"].iloc[0] == "already withheld when first seen; when it began is unknown"
    assert got["notes"].iloc[1:].isna().all()
    # every engine says how well each time is known
    assert list(got["timing"]) == ["before_first_check"] + ["bounded"] * 6


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_dataset_gives_empty_frames(tmp_path, engine):
    events = engines.events_from_checks(tmp_path, engine=engine)
    assert events.empty and list(events.columns) == dataset.schema.columns("events")
    counts = engines.event_counts(tmp_path, engine=engine)
    assert counts.empty and list(counts.columns) == engines.EVENT_COUNT_COLUMNS


@pytest.mark.parametrize("call", [engines.events_from_checks, engines.event_counts])
def test_an_unknown_engine_is_one_clear_sentence(tmp_path, call):
    with pytest.raises(ValueError) as err:
        call(tmp_path, engine="spark")
    assert str(err.value).startswith("engine 'spark' is not one of pandas, duckdb, dask")
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="only the dask engine reads a dataset from object"):
        call("s3://bucket/datasets/checks", engine="duckdb")


# --- DuckDB within a memory limit (on data built in seconds: the slow set) ----------------------

LIMIT = "64MB"


@pytest.fixture(scope="module")
def big_checks_dir(tmp_path_factory):
    """~660,000 checks: more than 64 MiB as a pandas frame (asserted in the test)."""
    frame = synthetic_checks(20_000, 30, seed=11)
    folder = tmp_path_factory.mktemp("big-checks")
    dataset.append(folder, frame)
    return folder, int(frame.memory_usage(deep=True).sum())


@pytest.mark.slow
def test_duckdb_within_64mb_gives_the_pandas_answer_on_more_data_than_that(big_checks_dir):
    # The bound: DuckDB may use 64 MiB, less than the checks take as a pandas frame, so it
    # must stream and spill; the answer must not change. (Its peak memory as a whole process
    # is measured by bench/bench_scale.py: Python and the result frame come on top.)
    folder, pandas_bytes = big_checks_dir
    assert pandas_bytes > 64 * 2**20
    expected = engines.events_from_checks(folder, engine="pandas")
    got = engines.events_from_checks(folder, engine="duckdb", memory_limit=LIMIT)
    pd.testing.assert_frame_equal(got, expected)
    counts = engines.event_counts(folder, engine="duckdb", memory_limit=LIMIT)
    assert counts["checks"].sum() == len(dataset.read(folder))
    for event, n in expected["event"].value_counts().items():
        assert counts[event].sum() == n


@pytest.mark.slow
def test_duckdb_sets_the_limit_and_stops_rather_than_exceed_it(big_checks_dir):
    with duck.duckdb_connection(LIMIT) as con:
        limit = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit == "61.0 MiB"  # 64 MB in DuckDB's units
    with pytest.raises(MemoryError, match=r"^DuckDB ran out of memory \(memory_limit 1MB\)"):
        engines.events_from_checks(big_checks_dir[0], engine="duckdb", memory_limit="1MB")
    with pytest.raises(ValueError, match="memory_limit 'lots' is not a size such as '64MB'"):
        engines.events_from_checks(big_checks_dir[0], engine="duckdb", memory_limit="lots")


@pytest.mark.slow
def test_duckdb_takes_its_limit_from_the_environment_when_none_is_given(
    big_checks_dir, monkeypatch
):
    # Reports and the CLI call the engine without a limit: the newsroom sets it once.
    monkeypatch.setenv(duck.MEMORY_ENV, "1MB")
    with pytest.raises(MemoryError, match=r"^DuckDB ran out of memory \(memory_limit 1MB\)"):
        engines.events_from_checks(big_checks_dir[0], engine="duckdb")
    with duck.duckdb_connection("64MB") as con:  # a limit given wins over the variable
        assert con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0] == "61.0 MiB"
