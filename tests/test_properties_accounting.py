"""Nothing is lost, for any mix of good and bad rows (hypothesis).

Each example writes three small CSVs (orders, a wide handle sheet, aggregate events) from
strategies that mix valid rows with bad dates, bad counts, bad handles, orders nobody declares,
conflicting orders and exact repeats, cleans them, and compares the result with a model written
here from the rules in docs/data-dictionary.md:

* an orders row with an unreadable cell is rejected; rows giving one ``order_id`` with the same
  fields are one order and duplicates, with different fields all of them are rejected;
* a handle or event row with an unreadable cell, or naming an order no kept row declares, is
  rejected; one that adds nothing new (same item of the same order, same event) is a duplicate;
* everything else is kept.

For every source: rows read = kept + rejected + duplicates (+ dropped), and every data row of the
file is in exactly one of kept / rejected / duplicate, the one the model says.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from analysis.clean.pipeline import clean

# Modest: each example is a clean. The "explain" phase is left out: after a failure it re-runs
# the clean hundreds of times to annotate the example, for minutes.
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)

SOURCES_TOML = """
[[source]]
path = "orders.csv"
kind = "orders"
[source.defaults]
country = "IN"
platform = "twitter"
[source.columns]
"Order" = "order_id"
"Issued" = "issued_at"
"URLs" = "items_listed"
"Title" = "title"

[[source]]
path = "handles.csv"
kind = "wide_handles"
[source.columns]
"Handle" = "item"
"Order" = "order_id"
"Withheld on" = "withheld"

[[source]]
path = "events.csv"
kind = "events"
[source.columns]
"Date" = "at"
"Event" = "event"
"Order" = "order_id"
"Items" = "n_items"
"""

GOOD_DATES = ["31/01/2021", "04/02/2021", "2021-02-10"]
BAD_DATES = ["31/02/2021", "1899-12-31", "2099-01-01", "soon"]
# Each order's usual fields; a row repeats them (a duplicate), varies them (a conflict) or
# spoils them (a reject).
ORDERS = {"O1": ("31/01/2021", "257"), "O2": ("04/02/2021", "5"), "O3": ("2021-02-10", "")}
UNKNOWN_ORDER = "Z9"


def _date(cell: str) -> tuple[str, str | None, bool]:
    """(cell as written, value the model compares, readable?)"""
    return (cell, cell, True) if cell in GOOD_DATES else (cell, None, False)


def _count(cell: str) -> tuple[str, int | None, bool]:
    if cell in ("-3", "2.5"):
        return (cell, None, False)
    return (cell, int(cell) if cell else None, True)


@st.composite
def order_rows(draw):
    order_id = draw(st.sampled_from(sorted(ORDERS)))
    date, count = ORDERS[order_id]
    how = draw(st.sampled_from(["usual"] * 6 + ["other count", "bad date", "bad count"]))
    if how == "other count":
        count = "300"
    elif how == "bad date":
        date = draw(st.sampled_from(BAD_DATES))
    elif how == "bad count":
        count = draw(st.sampled_from(["-3", "2.5"]))
    title = draw(st.sampled_from(["first list", "second list", ""]))  # not a substantive field
    return order_id, _date(date), _count(count), title


dates = st.sampled_from(GOOD_DATES * 3 + BAD_DATES[:2]).map(_date)
# Several spellings of one account, so duplicates hide behind different cells.
HANDLES = {
    "alice": ["@alice", "Alice", " @ALICE ", "https://twitter.com/alice", "x.com/Alice?lang=en"],
    "bob": ["@bob", "bob", "https://x.com/Bob/"],
}
GOOD_HANDLES = [(cell, "@" + h, True) for h, cells in HANDLES.items() for cell in cells]
BAD_HANDLES = [(c, None, False) for c in ("@far_too_long_for_a_handle", "=SUM(A1)", "<b>x</b>")]
handle_cells = st.sampled_from(GOOD_HANDLES + BAD_HANDLES)
order_refs = st.sampled_from([*sorted(ORDERS) * 2, UNKNOWN_ORDER])
withheld = st.one_of(st.just(("", None, True)), dates)
handle_rows = st.tuples(handle_cells, order_refs, withheld)

events = st.sampled_from(
    [("withheld", "withheld", True), ("blocked", "withheld", True), ("restored", "restored", True)]
    * 2
    + [("bloked", None, False)]
)
n_items = st.sampled_from(
    [("126", 126, True), ("~126", 126, True), ("5", 5, True)] * 2
    + [("-1", None, False), ("2.5", None, False), ("", None, False)]
)
event_rows = st.tuples(dates, events, order_refs, n_items)


@st.composite
def sheets(draw, rows, max_size: int):
    """Rows, some of them repeated exactly, in any order."""
    base = draw(st.lists(rows, min_size=1, max_size=max_size))
    repeats = draw(st.lists(st.sampled_from(base), max_size=3))
    return draw(st.permutations(base + repeats))


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def model(orders, handles, events_) -> dict[str, dict[int, str]]:
    """Expected fate of every data row (spreadsheet row number -> kept/rejected/duplicate)."""
    fate: dict[str, dict[int, str]] = {"orders.csv": {}, "handles.csv": {}, "events.csv": {}}
    first_fields: dict[str, tuple] = {}
    readable: list[tuple[int, str, tuple]] = []
    for row, (oid, (_, date, date_ok), (_, count, count_ok), _title) in enumerate(orders, 2):
        if date_ok and count_ok:
            readable.append((row, oid, (date, count)))
        else:
            fate["orders.csv"][row] = "rejected"
    variants: dict[str, set] = {}
    for _, oid, fields in readable:
        variants.setdefault(oid, set()).add(fields)
    for row, oid, fields in readable:
        if len(variants[oid]) > 1:
            fate["orders.csv"][row] = "rejected"  # conflicting: every copy goes
        elif oid in first_fields:
            fate["orders.csv"][row] = "duplicate"
        else:
            first_fields[oid] = fields
            fate["orders.csv"][row] = "kept"
    known = set(first_fields)

    seen_items, seen_events = set(), set()
    for row, ((_, item, item_ok), oid, (_, date, date_ok)) in enumerate(handles, 2):
        if not (item_ok and date_ok) or oid not in known:
            fate["handles.csv"][row] = "rejected"
            continue
        new = {("item", oid, item)} | ({("event", oid, item, date)} if date else set())
        fresh = new - seen_items - seen_events
        seen_items |= {k for k in new if k[0] == "item"}
        seen_events |= {k for k in new if k[0] == "event"}
        fate["handles.csv"][row] = "kept" if fresh else "duplicate"

    seen_aggregates = set()
    for row, ((_, date, date_ok), (_, event, event_ok), oid, (_, n, n_ok)) in enumerate(events_, 2):
        if not (date_ok and event_ok and n_ok) or oid not in known:
            fate["events.csv"][row] = "rejected"
            continue
        key = (oid, event, date, n)
        fate["events.csv"][row] = "duplicate" if key in seen_aggregates else "kept"
        seen_aggregates.add(key)
    return fate


def _rows(frame) -> set[tuple[str, int]]:
    return set(zip(frame["source_file"], frame["source_row"].astype(int), strict=True))


def actual(result) -> dict[str, dict[int, str]]:
    """Each row's fate as the cleaned tables, the rejects and the duplicates record it."""
    combined = result.combined
    fate: dict[str, dict[int, str]] = {"orders.csv": {}, "handles.csv": {}, "events.csv": {}}
    places = {"kept": set(), "rejected": set(), "duplicate": set()}
    for frame in combined.tables.values():
        places["kept"] |= _rows(frame)
    rows = combined.rejects[combined.rejects["level"] == "row"]
    places["rejected"] = _rows(rows)
    dupes = combined.duplicates
    places["duplicate"] = _rows(dupes)
    # A row whose item repeats an earlier one but whose event is new is kept, not a duplicate.
    places["duplicate"] -= places["kept"] | places["rejected"]
    assert not places["kept"] & places["rejected"], "a rejected row left something in a table"
    for name, keys in places.items():
        for file, row in keys:
            assert row not in fate[file], f"{file} row {row} is in two places"
            fate[file][row] = name
    return fate


@pytest.mark.slow
@SETTINGS
@given(
    orders=sheets(order_rows(), 6),
    handles=sheets(handle_rows, 8),
    events_=sheets(event_rows, 5),
)
def test_every_row_is_kept_rejected_or_a_duplicate_exactly_once(orders, handles, events_):
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw"
        raw.mkdir()
        (raw / "sources.toml").write_text(SOURCES_TOML, encoding="utf-8")
        (raw / "orders.csv").write_text(
            _csv(
                ["Order", "Issued", "URLs", "Title"],
                [[o, d[0], c[0], t] for o, d, c, t in orders],
            ),
            encoding="utf-8",
        )
        (raw / "handles.csv").write_text(
            _csv(["Handle", "Order", "Withheld on"], [[h[0], o, w[0]] for h, o, w in handles]),
            encoding="utf-8",
        )
        (raw / "events.csv").write_text(
            _csv(
                ["Date", "Event", "Order", "Items"],
                [[d[0], e[0], o, n[0]] for d, e, o, n in events_],
            ),
            encoding="utf-8",
        )
        result = clean(raw, Path(folder) / "processed")

    expected = model(orders, handles, events_)
    assert actual(result) == expected
    sources = {s["path"]: s for s in result.manifest["sources"]}
    for name, fates in expected.items():
        source = sources[name]
        assert source["rows_read"] == len(fates)
        parts = ("rows_kept", "rows_rejected", "rows_duplicate", "rows_dropped")
        assert source["rows_read"] == sum(source[p] for p in parts)
        assert source["rows_kept"] == sum(f == "kept" for f in fates.values())
        assert source["rows_rejected"] == sum(f == "rejected" for f in fates.values())
        assert source["rows_duplicate"] == sum(f == "duplicate" for f in fates.values())
