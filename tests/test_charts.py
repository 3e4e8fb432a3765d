"""The house chart style: each chart on tiny hand-made frames, its PNG and its CSV.

The frames retell the built-in story at toy size: order IN-MeitY-2021-01-31 (257 items) issued
31 Jan 2021, ~250 items withheld 1 Feb 14:00 IST and restored 20:00 the same day; order
IN-MeitY-2021-02-04 (1,178 items). Times are written as India time and stored as UTC, as the
canonical tables hold them.

The reference-image test renders a fixed Devanagari label with the bundled Hind font and compares
it with tests/fixtures/reference/devanagari_label.png (looked at when it was made: the ि matra
of "ति" and "धि" stands before its consonant, "प्र" is one conjunct, the anusvara sits on "ब").
To regenerate it after a deliberate change, run with TAKEDOWNS_REGENERATE_REFERENCE=1 and look
at the new image before committing it.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import LoadFlags
from matplotlib.testing.compare import compare_images
from matplotlib.text import Text

from analysis.report import charts, wording

# Every test here draws charts (SVG twice, PNG): `make test` runs them, `make test-fast` not.
pytestmark = pytest.mark.slow

TZ = "Asia/Kolkata"
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
REFERENCE = Path(__file__).resolve().parent / "fixtures" / "reference" / "devanagari_label.png"
REFERENCE_TEXT = "प्रतिबंधित खाते"
#: RMS difference (0-255 scale) allowed against the reference: absorbs anti-aliasing and
#: FreeType version noise, far below what a broken shaping produces (about 75).
REFERENCE_TOL = 3.0

O1, O2 = "IN-MeitY-2021-01-31", "IN-MeitY-2021-02-04"
AS_OF = "2021-02-12"


def ist(value: str | None) -> pd.Timestamp:
    """India time -> UTC timestamp (None -> NaT)."""
    if value is None:
        return pd.NaT
    return pd.Timestamp(value).tz_localize(TZ).tz_convert("UTC").as_unit("us")


def utc_series(*values: str | None) -> pd.Series:
    return pd.Series([ist(v) for v in values], dtype="datetime64[us, UTC]")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def figure_texts(fig: Figure) -> list[str]:
    fig.draw_without_rendering()  # tick labels exist only after a draw
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


# ----------------------------------------------------------------------------------------------
# Tiny frames
# ----------------------------------------------------------------------------------------------


def volume_frame() -> pd.DataFrame:
    """Weekly volume: W04 holds the 257-item order, W05 the 1,178-item one, W06 is cut short."""
    return pd.DataFrame(
        {
            "period": ["2021-W04", "2021-W05", "2021-W06"],
            "period_start": utc_series("2021-01-25", "2021-02-01", "2021-02-08"),
            "period_end": utc_series("2021-02-01", "2021-02-08", "2021-02-15"),
            "orders": [1, 1, 0],
            "items": [257, 1178, 0],
            "items_basis": pd.array(["items_listed", "items_listed", None], dtype="str"),
            "orders_items_unknown": [0, 0, 0],
            "cumulative_orders": [1, 2, 2],
            "cumulative_items": [257, 1435, 1435],
            "partial": [False, False, True],
        }
    )


def context_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2020, 2021, 2022, 2020, 2021],
            "scope": ["twitter", "twitter", "twitter", "all_intermediaries", "all_intermediaries"],
            "items_withheld": [2731, 2851, 1122, 9849, 6096],
            "partial": [False, False, True, False, False],
        }
    )


def km_frames() -> dict[str, pd.DataFrame]:
    """Order 1: 4 items, 2 actioned at 10 h, 1 at 30 h, 1 censored at 48 h.
    Order 2: 2 items, none actioned at 20 h, 1 actioned at 40 h, 1 censored at 40 h."""
    km1 = pd.DataFrame(
        {
            "time": [10.0, 30.0, 48.0],
            "at_risk": [4.0, 2.0, 1.0],
            "events": [2.0, 1.0, 0.0],
            "censored": [0.0, 0.0, 1.0],
            "survival": [0.5, 0.25, 0.25],
            "std_err": [0.25, 0.2165, 0.2165],
            "ci_lower": [0.06, 0.01, 0.01],
            "ci_upper": [0.81, 0.66, 0.66],
            "unit": "hours",
        }
    )
    km2 = pd.DataFrame(
        {
            "time": [40.0],
            "at_risk": [2.0],
            "events": [1.0],
            "censored": [1.0],
            "survival": [0.5],
            "std_err": [0.35],
            "ci_lower": [0.006],
            "ci_upper": [0.91],
            "unit": "hours",
        }
    )
    return {O1: km1, O2: km2}


def episodes_frame() -> pd.DataFrame:
    """~250 unnamed items blocked and restored on 1 Feb; @kisanektamorcha restored after 6 h and
    re-blocked on 10 Feb (still withheld); @tractor2twitr never restored."""
    return pd.DataFrame(
        {
            "item_id": pd.array(
                [None, "@kisanektamorcha", "@kisanektamorcha", "@tractor2twitr"], dtype="str"
            ),
            "order_id": pd.array([O1, O1, O1, O1], dtype="str"),
            "withheld_at": utc_series(
                "2021-02-01", "2021-02-01 14:00", "2021-02-10", "2021-02-01 14:00"
            ),
            "restored_at": utc_series("2021-02-01", "2021-02-01 20:00", None, None),
            "duration": [0.0, 6.0, np.nan, np.nan],
            "unit": pd.array(["days", "hours", None, None], dtype="str"),
            "reblocked_at": utc_series(None, "2021-02-10", None, None),
            "n_items": [250, 1, 1, 1],
            "basis": pd.array(["aggregate", "named", "named", "named"], dtype="str"),
            "approximate": [True, False, False, False],
        }
    )


ANNOTATIONS = [
    (ist("2021-01-31"), "order_issued"),
    (ist("2021-02-01 14:00"), "blocked"),
    (ist("2021-02-01 20:00"), "restored"),
]


@pytest.fixture(scope="module")
def volume_en():
    return charts.volume_chart(
        volume_frame(),
        context=context_frame(),
        title="MeitY named 1,435 items in two orders in one week",
        subtitle="Items listed per ISO week, N = 2 orders; counts as stated in each order",
        source="MeitY orders as reported",
        as_of=AS_OF,
        annotations=[*ANNOTATIONS, ("2021-02-04", "order_issued")],
    )


@pytest.fixture(scope="module")
def survival_en():
    return charts.survival_chart(
        km_frames(),
        deadline=36,
        unit="hours",
        title="Half the first list was withheld within 10 hours",
        subtitle="Kaplan-Meier estimate, N = 6 items in 2 orders",
        source="Status snapshots",
        as_of=AS_OF,
    )


@pytest.fixture(scope="module")
def reversal_en():
    return charts.reversal_timeline(
        episodes_frame(),
        title="Twitter restored the blocked accounts within hours",
        subtitle="Withheld spans per item or group, N = 3 lanes",
        source="News reports; handle spreadsheet",
        as_of=AS_OF,
        annotations=ANNOTATIONS[:1],
    )


# ----------------------------------------------------------------------------------------------
# Style and labels
# ----------------------------------------------------------------------------------------------


def test_labels_exist_in_both_languages_and_hindi_is_devanagari():
    assert set(wording.LABELS["en"]) == set(wording.LABELS["hi"])
    for key, value in wording.LABELS["hi"].items():
        values = value if isinstance(value, list) else [value]
        for text in values:
            assert DEVANAGARI.search(text), f"LABELS['hi'][{key!r}] = {text!r} is not Hindi"
    assert len(wording.LABELS["en"]["months"]) == len(wording.LABELS["hi"]["months"]) == 12
    assert charts.label("source", "hi") == "स्रोत"
    assert charts.label("data_as_of", "en", date="2021-02-12") == "Data as of 2021-02-12"
    with pytest.raises(ValueError, match="lang"):
        charts.label("source", "fr")


def test_use_house_style_registers_bundled_hind_and_palette():
    import fontpkg_hind

    with mpl.rc_context():
        charts.use_house_style("hi")
        assert mpl.rcParams["font.family"][0] == "Hind"
        assert mpl.rcParams["text.language"] == "hi"
        assert not mpl.rcParams["axes.spines.top"]
        assert not mpl.rcParams["axes.spines.right"]
        assert mpl.rcParams["axes.grid"]
        colors = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
        assert colors[:3] == ["#0072B2", "#E69F00", "#009E73"]  # Okabe-Ito
        path = font_manager.findfont(
            font_manager.FontProperties(family="Hind"), fallback_to_default=False
        )
        assert Path(path).resolve().parent == (fontpkg_hind.ROOT / "files").resolve()


def test_date_ticks_use_month_names_of_the_language():
    days = charts.date_numbers(utc_series("2021-01-31", "2021-02-01", "2021-02-04"))
    en = charts.HouseDateFormatter("en", TZ).format_ticks(days)
    hi = charts.HouseDateFormatter("hi", TZ).format_ticks(days)
    assert en == ["31 Jan 2021", "1 Feb", "4 Feb"]
    assert hi == ["31 जनवरी 2021", "1 फ़रवरी", "4 फ़रवरी"]
    months = charts.date_numbers(utc_series("2020-12-01", "2021-01-01", "2021-02-01"))
    assert charts.HouseDateFormatter("hi", TZ).format_ticks(months) == [
        "दिसंबर 2020",
        "जनवरी 2021",
        "फ़रवरी",
    ]
    hours = charts.date_numbers(
        utc_series("2021-02-01 12:00", "2021-02-01 18:00", "2021-02-02 00:00")
    )
    assert charts.HouseDateFormatter("en", TZ).format_ticks(hours) == [
        "1 Feb 2021\n12:00",
        "18:00",
        "2 Feb\n00:00",
    ]


# ----------------------------------------------------------------------------------------------
# save(): PNG at 2x and a Datawrapper-ready CSV
# ----------------------------------------------------------------------------------------------


def test_save_writes_png_at_twice_the_screen_size_and_safe_utf8_csv(tmp_path):
    fig = Figure(figsize=charts.FIGSIZE, dpi=charts.DPI)
    FigureCanvasAgg(fig)
    data = pd.DataFrame(
        {
            "label": pd.array(["=SUM(A1)", "+1", "-2", "@handle", "आदेश जारी", None], dtype="str"),
            "value": [1, -2, 3, 4, 5, 6],
            "at": utc_series("2021-01-31", "2021-02-01", None, None, None, None).dt.tz_convert(TZ),
        }
    )
    png, csv_path = charts.save(fig, data, tmp_path / "out", "check")
    assert png == tmp_path / "out" / "check.png"
    assert csv_path == tmp_path / "out" / "check.csv"
    # Drawn at 72 dpi (a point is a pixel), saved at 144: twice the screen size.
    height, width = (round(v * charts.SAVE_DPI) for v in reversed(charts.FIGSIZE))
    assert mpl.image.imread(png).shape[:2] == (height, width) == (1080, 1920)
    rows = read_csv(csv_path)
    assert [r["label"] for r in rows] == ["'=SUM(A1)", "'+1", "'-2", "'@handle", "आदेश जारी", ""]
    assert [r["value"] for r in rows] == ["1", "-2", "3", "4", "5", "6"]  # numbers untouched
    assert [r["at"] for r in rows] == ["2021-01-31", "2021-02-01", "", "", "", ""]
    assert not csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(ValueError, match="file name"):
        charts.save(fig, data, tmp_path, "../escape")


# ----------------------------------------------------------------------------------------------
# The three charts
# ----------------------------------------------------------------------------------------------


def test_volume_chart_png_csv_and_texts(volume_en, tmp_path):
    fig, data = volume_en  # a Chart unpacks as (figure, data)
    png, csv_path = volume_en.save(tmp_path, "volume")
    assert png.is_file() and png.stat().st_size > 10_000
    rows = read_csv(csv_path)
    assert list(rows[0]) == [
        "period",
        "period_start",
        "period_end",
        "items",
        "items_basis",
        "partial",
    ]
    assert [(r["period"], r["period_start"], r["items"], r["partial"]) for r in rows] == [
        ("2021-W04", "2021-01-25", "257", "False"),
        ("2021-W05", "2021-02-01", "1178", "False"),
        ("2021-W06", "2021-02-08", "0", "True"),
    ]
    context = read_csv(tmp_path / "volume-context.csv")
    assert list(context[0]) == ["year", "scope", "items_withheld", "partial"]
    assert {(r["year"], r["scope"], r["items_withheld"], r["partial"]) for r in context} == {
        ("2020", "twitter", "2731", "False"),
        ("2021", "twitter", "2851", "False"),
        ("2022", "twitter", "1122", "True"),
        ("2020", "all_intermediaries", "9849", "False"),
        ("2021", "all_intermediaries", "6096", "False"),
    }
    texts = figure_texts(fig)
    assert "MeitY named 1,435 items in two orders in one week" in texts
    assert any(t.startswith("Items listed per ISO week, N = 2 orders") for t in texts)
    assert "Source: MeitY orders as reported | Data as of 2021-02-12" in texts
    assert "Items named in orders" in texts
    # Orders are ticks on a rug under the bars, explained once in the legend, never one label
    # each; other events (blocked, restored) are labelled lines.
    assert "Order issued (one tick each)" in texts
    assert "Order issued" not in texts
    assert "Blocked" in texts and "Restored" in texts
    assert {"Partial period", "Partial year", "All platforms", "Twitter"} <= set(texts)
    assert {"257", "1,178"} <= set(texts)  # values on the bars
    assert "25 Jan 2021" in texts


def test_volume_chart_refuses_several_series_and_draws_orders():
    doubled = pd.concat([volume_frame(), volume_frame()], ignore_index=True)
    with pytest.raises(ValueError, match="one series"):
        charts.volume_chart(doubled, title="t", subtitle="s", source="x", as_of=AS_OF)
    fig, data = charts.volume_chart(
        volume_frame(), measure="orders", title="t", subtitle="s", source="x", as_of=AS_OF
    )
    assert list(data["orders"]) == [1, 1, 0]
    assert "Orders issued" in figure_texts(fig)


def _orders_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [O1, "IN-MeitY-2021-02-03", O2],
            "issued_at": utc_series("2021-01-31", "2021-02-03", "2021-02-04"),
            "items": [257, 3, 1178],
        }
    )


def test_volume_chart_labels_only_the_largest_or_highlighted_orders():
    common = {"title": "t", "subtitle": "s", "source": "x", "as_of": AS_OF}
    fig, _ = charts.volume_chart(volume_frame(), orders=_orders_frame(), size="narrow", **common)
    texts = figure_texts(fig)
    assert f"{O2}: 1,178 items" in texts and f"{O1}: 257 items" in texts
    assert not any("2021-02-03" in t for t in texts)  # a phone labels the largest two
    fig, _ = charts.volume_chart(
        volume_frame(), orders=_orders_frame(), highlight=["IN-MeitY-2021-02-03"], **common
    )
    texts = figure_texts(fig)
    assert "IN-MeitY-2021-02-03: 3 items" in texts
    assert f"{O2}: 1,178 items" not in texts
    rug = fig.axes[1]
    ticks = [c for c in rug.collections if len(c.get_segments())]
    assert sum(len(c.get_segments()) for c in ticks) == 3 + 1  # every order, the chosen darker


def test_survival_chart_png_csv_and_texts(survival_en, tmp_path):
    fig, _ = survival_en
    _, csv_path = survival_en.save(tmp_path, "lag")
    rows = read_csv(csv_path)
    assert list(rows[0]) == [
        "series",
        "time",
        "unit",
        "pct_not_actioned",
        "ci_lower_pct",
        "ci_upper_pct",
        "at_risk",
        "events",
        "censored",
    ]
    got = [(r["series"], float(r["time"]), float(r["pct_not_actioned"])) for r in rows]
    assert got == [
        (O1, 0.0, 100.0),  # every curve starts at 100% not yet actioned
        (O1, 10.0, 50.0),
        (O1, 30.0, 25.0),
        (O1, 48.0, 25.0),
        (O2, 0.0, 100.0),
        (O2, 40.0, 50.0),
    ]
    assert [float(r["censored"]) for r in rows] == [0, 0, 0, 1, 0, 1]
    assert {r["unit"] for r in rows} == {"hours"}
    ax = fig.axes[0]
    assert ax.get_ylim() == (0.0, 100.0)
    texts = figure_texts(fig)
    assert "Half the first list was withheld within 10 hours" in texts
    assert "Kaplan-Meier estimate, N = 6 items in 2 orders" in texts
    assert "Source: Status snapshots | Data as of 2021-02-12" in texts
    assert "Deadline: 36 h" in texts
    assert {"Hours since the order", "Share not yet actioned", "95% confidence band"} <= set(texts)
    assert "Still waiting at data date (censored)" in texts
    assert {O1, O2} <= set(texts)
    # Censoring marks: one "+" per censored time, on the curve.
    plus = [ln for ln in ax.get_lines() if ln.get_marker() == "+" and len(ln.get_xdata())]
    marks = sorted((float(x), float(y)) for ln in plus for x, y in zip(*ln.get_data(), strict=True))
    assert marks == [(40.0, 50.0), (48.0, 25.0)]


def _outcomes(basis_o2: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [O1, O2],
            "items": [4.0, 2.0],
            "withheld": [3.0, 1.0],
            "suspended": [0.0, 0.0],
            "gone": [1.0, 0.0],
            "no_outcome": [0.0, 1.0],
            "timing_basis": ["bounded", basis_o2],
        }
    )


def test_survival_chart_draws_a_band_where_timing_is_a_range_and_no_curve_for_first_checks():
    band = pd.DataFrame(
        {
            "time": [0.0, 4.0, 10.0, 30.0],
            "survival_earliest": [1.0, 0.5, 0.25, 0.25],
            "survival_latest": [1.0, 1.0, 0.5, 0.25],
            "unit": "hours",
        }
    )
    common = {"title": "t", "subtitle": "s", "source": "x", "as_of": AS_OF}
    chart = charts.survival_chart(
        km_frames(), bands={O1: band}, outcomes=_outcomes("before_first_check"), **common
    )
    # O2 was acted on only before its first check: no curve, no row in the curves' data...
    assert set(chart.data["series"]) == {O1}
    texts = figure_texts(chart.figure)
    assert "Range: action seen only between two checks" in texts
    assert "95% confidence band" not in texts  # O1's timing is a range: its band, not a CI
    # ... but its outcomes are drawn and saved, each apart.
    outcomes = chart.extra["outcomes"]
    assert list(outcomes["order_id"]) == [O1, O2]
    assert {"Withheld", "Suspended", "Gone (not found: cause unknown)", "Nothing seen"} <= set(
        texts
    )
    assert {O1, O2} <= set(texts)
    band_rows = chart.extra["band"]
    assert list(band_rows["pct_not_actioned_latest"]) == [100.0, 100.0, 50.0, 25.0]


def test_survival_chart_shows_the_largest_orders_and_says_how_many_more():
    many = {f"IN-{i:03d}": km_frames()[O1] for i in range(30)}
    outcomes = pd.DataFrame(
        {"order_id": list(many), "items": [float(i) for i in range(30)], "withheld": 1.0}
    )
    chart = charts.survival_chart(
        many,
        outcomes=outcomes,
        title="t",
        subtitle="s",
        source="x",
        as_of=AS_OF,
        data_name="survival",
        size="narrow",
    )
    texts = figure_texts(chart.figure)
    assert "and 24 more in survival-outcomes.csv" in texts  # six bars on a phone
    shown = chart.extra["outcomes"].loc[chart.extra["outcomes"]["shown"], "order_id"]
    assert list(shown) == [f"IN-{i:03d}" for i in range(29, 23, -1)]


def test_survival_chart_rejects_unknown_unit():
    with pytest.raises(ValueError, match="unit"):
        charts.survival_chart(
            km_frames(), unit="minutes", title="t", subtitle="s", source="x", as_of=AS_OF
        )


def test_reversal_timeline_png_csv_and_texts(reversal_en, tmp_path):
    fig, data = reversal_en
    _, csv_path = reversal_en.save(tmp_path, "reversals")
    rows = read_csv(csv_path)
    assert list(rows[0]) == [
        "lane",
        "item_id",
        "order_id",
        "n_items",
        "withheld_at",
        "restored_at",
        "bar_end",
        "open_ended",
        "duration",
        "unit",
        "reblocked_at",
        "reversed",
        "panel",
        "shown",
    ]
    lane = f"~250 items (order {O1})"
    got = [
        (r["lane"], r["withheld_at"], r["restored_at"], r["bar_end"], r["open_ended"]) for r in rows
    ]
    assert got == [
        (lane, "2021-02-01 00:00", "2021-02-01 00:00", "2021-02-01 00:00", "False"),
        # Handles start with "@": prefixed so a spreadsheet does not read a formula.
        ("'@kisanektamorcha", "2021-02-01 14:00", "2021-02-01 20:00", "2021-02-01 20:00", "False"),
        ("'@tractor2twitr", "2021-02-01 14:00", "", "2021-02-12 00:00", "True"),
        ("'@kisanektamorcha", "2021-02-10 00:00", "", "2021-02-12 00:00", "True"),
    ]
    assert [r["reblocked_at"] for r in rows] == ["", "2021-02-10", "", ""]  # all midnights
    # The two reversals are one episode (panel A); what was never restored is context only.
    assert [(r["reversed"], r["panel"], r["shown"]) for r in rows] == [
        ("True", "A", "True"),
        ("True", "A", "True"),
        ("False", "", "False"),
        ("False", "", "False"),
    ]
    assert data["lane"].tolist()[1] == "@kisanektamorcha"  # the frame keeps the text as is
    context, zoom = fig.axes
    assert [t.get_text() for t in zoom.get_yticklabels()] == [lane, "@kisanektamorcha"]
    # Zoomed to the hours around the reversal, not the whole span.
    lo, hi = zoom.get_xlim()
    assert hi - lo < 2.0  # days
    assert context.get_xlim()[1] - context.get_xlim()[0] > 10
    texts = figure_texts(fig)
    assert "Twitter restored the blocked accounts within hours" in texts
    assert "Withheld spans per item or group, N = 3 lanes" in texts
    assert "Source: News reports; handle spreadsheet | Data as of 2021-02-12" in texts
    assert {"Withheld", "Restored", "A", "A: 1 Feb 2021 · 251 restored"} <= set(texts)
    assert {"same day", "6 h · blocked again 10 Feb 2021"} <= set(texts)
    assert "Withheld and restored within the day (times not known)" in texts


def test_reversal_timeline_caps_lanes_and_says_how_many_more():
    # Redaction happens before charts, in analysis.report.privacy; the chart draws what it is given.
    fig, data = charts.reversal_timeline(
        episodes_frame(),
        title="t",
        subtitle="s",
        source="x",
        as_of=AS_OF,
        max_lanes=1,
        data_name="reversals",
    )
    assert data.loc[data["shown"], "lane"].tolist() == [f"~250 items (order {O1})"]
    assert "and 1 more in reversals.csv" in figure_texts(fig)


def test_empty_frames_draw_no_data():
    empty = volume_frame().iloc[0:0]
    fig, data = charts.volume_chart(empty, title="t", subtitle="s", source="x", as_of=AS_OF)
    assert data.empty and "No data" in figure_texts(fig)
    fig, data = charts.reversal_timeline(
        episodes_frame().iloc[0:0], title="t", subtitle="s", source="x", as_of=AS_OF
    )
    assert data.empty and "No data" in figure_texts(fig)


def test_every_chart_sets_up_the_same_way_and_leaves_global_style_alone():
    # One set-up (charts.frame.canvas) for all four: the frame, "No data" when empty, and the
    # house style only inside the chart.
    common = {"title": "t", "subtitle": "s", "source": "x", "as_of": AS_OF, "lang": "hi"}
    mpl.get_backend()  # resolved now, not while the charts draw
    before = mpl.rcParams.copy()
    empty = [
        charts.volume_chart(volume_frame().iloc[0:0], **common),
        charts.survival_chart({}, **common),
        charts.peers_chart(
            pd.DataFrame(columns=["country", "period_end", "value", "highlight"]), **common
        ),
        charts.reversal_timeline(episodes_frame().iloc[0:0], **common),
    ]
    assert mpl.rcParams == before
    for chart in empty:
        texts = figure_texts(chart.figure)
        assert wording.label("no_data", "hi") in texts
        assert "स्रोत: x | आँकड़े 2021-02-12 तक" in texts
        assert chart.data.empty


# ----------------------------------------------------------------------------------------------
# Hindi
# ----------------------------------------------------------------------------------------------


def _english_fixed_texts() -> set[str]:
    out = set(wording.LABELS["en"]["months"])
    for key, value in wording.LABELS["en"].items():
        if key in ("months", "scope_twitter"):  # "Twitter" is also a data word
            continue
        static = re.sub(r"\{[^}]*\}", "", str(value)).strip(" :()")
        if len(static) >= 3:
            out.add(static)
    return out


def test_hindi_charts_draw_only_hindi_fixed_labels(tmp_path):
    common = {
        "title": "एक हफ़्ते में 1,435 आइटम रोकने के आदेश",
        "subtitle": "हर हफ़्ते आदेशों में दर्ज आइटम, N = 2 आदेश",
        "source": "मीडिया रिपोर्ट",
        "as_of": AS_OF,
        "lang": "hi",
    }
    built = [
        charts.volume_chart(
            volume_frame(), context=context_frame(), annotations=ANNOTATIONS, **common
        ),
        charts.survival_chart(km_frames(), deadline=36, unit="hours", **common),
        charts.reversal_timeline(episodes_frame(), annotations=ANNOTATIONS, **common),
    ]
    english = _english_fixed_texts()
    data_words = {O1, O2, "@kisanektamorcha", "@tractor2twitr"}
    for chart in built:
        fig = chart.figure
        texts = figure_texts(fig)
        assert "स्रोत: मीडिया रिपोर्ट | आँकड़े 2021-02-12 तक" in texts
        for text in texts:
            for word in english:
                assert word not in text, f"English {word!r} in a Hindi chart: {text!r}"
        # Every fixed label (axis labels, legend entries, event labels) is in Devanagari.
        fixed = []
        for ax in fig.axes:
            fixed += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
            if ax.get_legend():
                fixed += [t.get_text() for t in ax.get_legend().get_texts()]
            # Numbers and the one-letter markers of reversals are not words.
            fixed += [
                c.get_text()
                for c in ax.texts
                if not c.get_text()[:1].isdigit() and len(c.get_text()) > 1
            ]
        for legend in fig.legends:
            fixed += [t.get_text() for t in legend.get_texts()]
        fixed = [t for t in fixed if t and t not in data_words]
        assert fixed, "no fixed labels found"
        for text in fixed:
            assert DEVANAGARI.search(text), f"fixed label {text!r} is not Hindi"
    # Dates on the axis carry Hindi month names.
    ticks = [t.get_text() for t in built[0].figure.axes[1].get_xticklabels()]  # the rug's axis
    assert any("जनवरी" in t or "फ़रवरी" in t for t in ticks)
    assert "~250 आइटम (आदेश IN-MeitY-2021-01-31)" in figure_texts(built[2].figure)


# ----------------------------------------------------------------------------------------------
# Devanagari shaping: reference image
# ----------------------------------------------------------------------------------------------


def render_label(path: Path) -> None:
    """REFERENCE_TEXT at 28 pt in Hind, 320 x 80 px, hinting off (stable across FreeType)."""
    charts.register_fonts()
    rc = {
        "font.family": ["Hind"],
        "text.hinting": "none",
        "text.antialiased": True,
        "text.language": "hi",
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
    }
    with mpl.rc_context(rc):
        fig = Figure(figsize=(3.2, 0.8), dpi=100)
        FigureCanvasAgg(fig)
        fig.text(0.04, 0.3, REFERENCE_TEXT, fontsize=28, color="black")
        fig.savefig(path, dpi=100)


def _draw_text_without_shaping(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """matplotlib's layout before complex shaping: one glyph per code point, side by side."""
    font = self._prepare_font(prop)
    size = prop.get_size_in_points()
    glyphs, pen = [], 0.0
    for char in s:
        index = font.get_char_index(ord(char))
        glyph = font.load_glyph(index, flags=LoadFlags.NO_HINTING)
        glyphs.append((font, size, index, 0, 1, pen, 0.0))
        pen += glyph.linearHoriAdvance / 65536
    self._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, [])


def _rms(expected: Path, actual: Path) -> float:
    result = compare_images(str(expected), str(actual), tol=REFERENCE_TOL, in_decorator=True)
    return 0.0 if result is None else float(result["rms"])


def test_devanagari_label_matches_reference_and_unshaped_text_does_not(tmp_path, monkeypatch):
    if os.environ.get("TAKEDOWNS_REGENERATE_REFERENCE") == "1":
        REFERENCE.parent.mkdir(parents=True, exist_ok=True)
        render_label(REFERENCE)
        pytest.skip(f"regenerated {REFERENCE}; look at it before committing")
    shaped = tmp_path / "shaped.png"
    render_label(shaped)
    assert _rms(REFERENCE, shaped) <= REFERENCE_TOL
    # Sanity check of the test itself: the same word laid out glyph by glyph without shaping
    # (matras after their consonant, a visible virama in "प्र") must fail the comparison.
    # matplotlib has no switch to turn shaping off, so the Agg text drawing is replaced.
    monkeypatch.setattr(backend_agg.RendererAgg, "draw_text", _draw_text_without_shaping)
    unshaped = tmp_path / "unshaped.png"
    render_label(unshaped)
    assert _rms(REFERENCE, unshaped) > 10 * REFERENCE_TOL


def test_peers_chart_highlights_the_chosen_country():
    utc = "UTC"
    peers = pd.DataFrame(
        {
            "country": ["IN", "RU", "IN", "RU"],
            "period_start": pd.to_datetime(
                ["2020-01-01", "2020-01-01", "2020-07-01", "2020-07-01"]
            ),
            "period_end": pd.to_datetime(["2020-06-30", "2020-06-30", "2020-12-31", "2020-12-31"]),
            "value": [400, 4000, 990, 5000],
            "bounded": [False, False, False, False],
            "measure": "requests",
            "highlight": [True, False, True, False],
        }
    )
    for column in ("period_start", "period_end"):
        peers[column] = peers[column].dt.tz_localize(utc)
    fig, data = charts.peers_chart(
        peers, title="IN ranked 2 of 2", subtitle="N = 2", source="Google", as_of=AS_OF
    )
    assert list(data["value"]) == [400, 4000, 990, 5000]
    texts = figure_texts(fig)
    assert {"IN", "RU", "IN ranked 2 of 2"} <= set(texts)
