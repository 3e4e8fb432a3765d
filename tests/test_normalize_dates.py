"""parse_datetimes: every date layout the sources use, converted to UTC without guessing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.ingest.normalize.dates import DATE_COLUMNS, MAX_DATE, MIN_DATE, parse_datetimes

UTC = "UTC"


def one(value, **kwargs) -> tuple:
    """(at as 'YYYY-MM-DD HH:MM[:SS] UTC' text or None, precision, reason) for one cell."""
    row = parse_datetimes(pd.Series([value], dtype=object), **kwargs).iloc[0]
    at = None if pd.isna(row["at"]) else row["at"].strftime("%Y-%m-%d %H:%M:%S")
    precision = None if pd.isna(row["time_precision"]) else row["time_precision"]
    reason = None if pd.isna(row["reason"]) else row["reason"]
    return at, precision, reason


# India is UTC+05:30 all year, so local midnight is 18:30 UTC the day before and
# 10:30 local is 05:00 UTC.
@pytest.mark.parametrize(
    ("raw", "at", "precision"),
    [
        ("2021-01-31", "2021-01-30 18:30:00", "day"),
        ("2021-01-31T10:30", "2021-01-31 05:00:00", "minute"),
        ("2021-01-31 10:30:15", "2021-01-31 05:00:15", "second"),
        ("2021-01-31T10:30:15.250", "2021-01-31 05:00:15", "second"),
        ("2021/01/31", "2021-01-30 18:30:00", "day"),
        ("20210131", "2021-01-30 18:30:00", "day"),
        ("31/01/2021", "2021-01-30 18:30:00", "day"),
        ("31/01/2021 10:30", "2021-01-31 05:00:00", "minute"),
        ("31-01-2021 10:30", "2021-01-31 05:00:00", "minute"),
        ("31.01.2021", "2021-01-30 18:30:00", "day"),
        ("31.01.2021 10.30", "2021-01-31 05:00:00", "minute"),
        ("31/01/21", "2021-01-30 18:30:00", "day"),
        ("31 Jan 2021", "2021-01-30 18:30:00", "day"),
        ("31 January 2021", "2021-01-30 18:30:00", "day"),
        ("31st January, 2021", "2021-01-30 18:30:00", "day"),
        ("Jan 31, 2021", "2021-01-30 18:30:00", "day"),
        ("January 31 2021", "2021-01-30 18:30:00", "day"),
        ("Sept 5, 2021", "2021-09-04 18:30:00", "day"),
        ("31-Jan-2021 10:30", "2021-01-31 05:00:00", "minute"),
        ("Sunday, 31 January 2021", "2021-01-30 18:30:00", "day"),
        ("31/01/2021 10:30 PM", "2021-01-31 17:00:00", "minute"),
        ("31/01/2021 10:30 p.m.", "2021-01-31 17:00:00", "minute"),
        ("31/01/2021 10 pm", "2021-01-31 16:30:00", "hour"),
        ("31/01/2021 12:15 AM", "2021-01-30 18:45:00", "minute"),
        ("31/01/2021 12:15 PM", "2021-01-31 06:45:00", "minute"),
        ("31 Jan 2021 at 10:30 am", "2021-01-31 05:00:00", "minute"),
        ("31/01/2021 10:30 hrs", "2021-01-31 05:00:00", "minute"),
        ("  31/01/2021\u200b ", "2021-01-30 18:30:00", "day"),
    ],
)
def test_local_formats_in_india(raw, at, precision):
    assert one(raw) == (at, precision, None)


def test_utc_conversion_from_kolkata_is_explicit():
    result = parse_datetimes(pd.Series(["31/01/2021 10:30"]))
    assert result["at"][0] == pd.Timestamp("2021-01-31 05:00", tz="UTC")
    assert str(result["at"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize(
    ("raw", "at"),
    [
        ("2021-01-31T10:30:00+05:30", "2021-01-31 05:00:00"),
        ("2021-01-31T10:30:00Z", "2021-01-31 10:30:00"),
        ("2021-01-31 10:30:00 UTC", "2021-01-31 10:30:00"),
        ("2021-01-31T10:30:00-0500", "2021-01-31 15:30:00"),
        ("2021-01-31T10:30+01", "2021-01-31 09:30:00"),
        ("31/01/2021 10:30 IST", "2021-01-31 05:00:00"),
    ],
)
def test_a_stated_offset_wins_over_the_timezone_argument(raw, at):
    assert one(raw, timezone="America/New_York")[0] == at


def test_other_timezones():
    # New York is UTC-5 in winter and UTC-4 in summer.
    assert one("31/01/2021 10:30", timezone="America/New_York")[0] == "2021-01-31 15:30:00"
    assert one("31/07/2021 10:30", timezone="America/New_York")[0] == "2021-07-31 14:30:00"
    assert one("31/01/2021 10:30", timezone="UTC")[0] == "2021-01-31 10:30:00"


def test_clock_change_gaps_are_rejected():
    assert one("2021-03-28 02:30", timezone="Europe/Berlin") == (
        None,
        None,
        'local time "2021-03-28 02:30" is skipped or repeated in Europe/Berlin',
    )


def test_unknown_timezone_is_a_configuration_error():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        parse_datetimes(pd.Series(["2021-01-31"]), timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("raw", "dayfirst", "at"),
    [
        ("04/02/2021", True, "2021-02-03 18:30:00"),  # 4 Feb
        ("04/02/2021", False, "2021-04-01 18:30:00"),  # 2 Apr
        ("04-02-2021 10:30", False, "2021-04-02 05:00:00"),
        # ISO and month names are never affected by dayfirst.
        ("2021-02-04", False, "2021-02-03 18:30:00"),
        ("4 Feb 2021", False, "2021-02-03 18:30:00"),
    ],
)
def test_dayfirst_decides_numeric_dates(raw, dayfirst, at):
    assert one(raw, dayfirst=dayfirst)[0] == at


def test_an_impossible_reading_is_rejected_not_swapped():
    # pandas' guessing would silently read this as 31 January; we do not.
    assert one("01/31/2021", dayfirst=True)[2] == 'date "01/31/2021" does not exist'
    assert one("31/01/2021", dayfirst=False)[2] == 'date "31/01/2021" does not exist'


@pytest.mark.parametrize(
    ("raw", "at"),
    [
        ("३१/०१/२०२१", "2021-01-30 18:30:00"),
        ("31 जनवरी 2021", "2021-01-30 18:30:00"),
        ("३१ जनवरी २०२१", "2021-01-30 18:30:00"),
        ("16 फ़रवरी 2021", "2021-02-15 18:30:00"),  # precomposed nukta letter U+095E
        ("16 \u092b\u093c\u0930\u0935\u0930\u0940 2021", "2021-02-15 18:30:00"),  # combining nukta
        ("16 फरवरी 2021", "2021-02-15 18:30:00"),  # no nukta
        ("1 मार्च 2021", "2021-02-28 18:30:00"),
        ("1 अप्रैल 2021", "2021-03-31 18:30:00"),
        ("1 मई 2021", "2021-04-30 18:30:00"),
        ("1 जून 2021", "2021-05-31 18:30:00"),
        ("1 जुलाई 2021", "2021-06-30 18:30:00"),
        ("1 अगस्त 2021", "2021-07-31 18:30:00"),
        ("1 सितंबर 2021", "2021-08-31 18:30:00"),
        ("1 सितम्बर 2021", "2021-08-31 18:30:00"),
        ("1 अक्टूबर 2021", "2021-09-30 18:30:00"),
        ("1 अक्तूबर 2021", "2021-09-30 18:30:00"),
        ("1 नवंबर 2021", "2021-10-31 18:30:00"),
        ("1 नवम्बर 2021", "2021-10-31 18:30:00"),
        ("1 दिसंबर 2021", "2021-11-30 18:30:00"),
        ("1 दिसम्बर 2021", "2021-11-30 18:30:00"),
    ],
)
def test_devanagari_digits_and_hindi_months(raw, at):
    assert one(raw) == (at, "day", None)


@pytest.mark.parametrize(
    ("raw", "at", "precision"),
    [
        (44227, "2021-01-30 18:30:00", "day"),  # Excel serial for 31 Jan 2021
        (44227.0, "2021-01-30 18:30:00", "day"),
        ("44227", "2021-01-30 18:30:00", "day"),
        (44227.4375, "2021-01-31 05:00:00", "minute"),  # 0.4375 day = 10:30
        ("44227.4375", "2021-01-31 05:00:00", "minute"),
        (44227.43760416667, "2021-01-31 05:00:09", "second"),
    ],
)
def test_excel_serials(raw, at, precision):
    assert one(raw) == (at, precision, None)


def test_numbers_outside_the_serial_range_are_rejected():
    assert one(123)[2] == 'number "123" is not a date (Excel serials run 20000-80000)'
    assert one("2021")[2] == 'number "2021" is not a date (Excel serials run 20000-80000)'


@pytest.mark.parametrize(
    ("raw", "at", "precision"),
    [
        (dt.datetime(2021, 1, 31, 10, 30), "2021-01-31 05:00:00", "minute"),
        (dt.datetime(2021, 1, 31, 10, 30, 15), "2021-01-31 05:00:15", "second"),
        (dt.datetime(2021, 1, 31), "2021-01-30 18:30:00", "day"),
        (dt.date(2021, 1, 31), "2021-01-30 18:30:00", "day"),
        (pd.Timestamp("2021-01-31 10:30"), "2021-01-31 05:00:00", "minute"),
        (pd.Timestamp("2021-01-31 10:30", tz="UTC"), "2021-01-31 10:30:00", "minute"),
        (pd.Timestamp("2021-01-31 10:30", tz="Europe/Berlin"), "2021-01-31 09:30:00", "minute"),
        (np.datetime64("2021-01-31T10:30"), "2021-01-31 05:00:00", "minute"),
    ],
)
def test_datetime_objects(raw, at, precision):
    assert one(raw) == (at, precision, None)


def test_datetime64_columns():
    naive = pd.Series(pd.to_datetime(["2021-01-31 10:30", None]))
    out = parse_datetimes(naive)
    assert out["at"][0] == pd.Timestamp("2021-01-31 05:00", tz=UTC)
    assert out.iloc[1].isna().all()
    aware = pd.Series(pd.to_datetime(["2021-01-31 10:30"]).tz_localize("Asia/Kolkata"))
    assert parse_datetimes(aware, timezone="UTC")["at"][0] == pd.Timestamp(
        "2021-01-31 05:00", tz=UTC
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("31/02/2021", 'date "31/02/2021" does not exist'),
        ("2021-13-01", 'date "2021-13-01" does not exist'),
        ("29/02/2021", 'date "29/02/2021" does not exist'),
        ("31/01/2021 25:00", 'date "31/01/2021 25:00" does not exist'),
        ("31/01/2021 13:30 PM", 'date "31/01/2021 13:30 PM" does not exist'),
        ("31/01/2021 10", 'cannot read "31/01/2021 10" as a date'),
        ("01/01/1900", 'date "01/01/1900" is before 2000'),
        ("31/12/1999 23:59", 'date "31/12/1999 23:59" is before 2000'),
        ("01/01/2040", 'date "01/01/2040" is after 2039'),
        (dt.date(1999, 12, 31), 'date "1999-12-31" is before 2000'),
        ("xyz", 'cannot read "xyz" as a date'),
        ("10:30 PM", 'cannot read "10:30 PM" as a date'),
        ("31 Foo 2021", 'cannot read "31 Foo 2021" as a date'),
        (True, 'cannot read "True" as a date'),
    ],
)
def test_rejects(raw, reason):
    assert one(raw) == (None, None, reason)


def test_leap_day_and_range_edges_are_accepted():
    assert one("29/02/2020")[0] == "2020-02-28 18:30:00"
    assert one("01/01/2000")[0] == "1999-12-31 18:30:00"  # the local date is what counts
    assert one("31/12/2039 23:59")[0] == "2039-12-31 18:29:00"
    assert dt.date(2000, 1, 1) == MIN_DATE
    assert dt.date(2040, 1, 1) == MAX_DATE


@pytest.mark.parametrize("blank", [None, np.nan, pd.NaT, "", "  ", "\u200b"])
def test_blanks_are_null_without_a_reason(blank):
    assert one(blank) == (None, None, None)


def test_columns_dtypes_and_index():
    values = pd.Series(["31/01/2021", None, "bad"], index=["a", "b", "a"])
    out = parse_datetimes(values)
    assert list(out.columns) == DATE_COLUMNS
    assert out.index.equals(values.index)
    assert str(out["at"].dtype) == "datetime64[us, UTC]"
    assert out["time_precision"].dtype == "str"
    assert out["reason"].dtype == "str"


def test_input_is_not_modified():
    values = pd.Series([" 31/01/2021 ", 44227.5, dt.date(2021, 1, 31)], dtype=object)
    before = values.copy()
    parse_datetimes(values)
    pd.testing.assert_series_equal(values, before)


def test_long_columns_keep_row_order():
    base = ["31/01/2021", "2021-02-01 10:30", None, "31/02/2021", "44227"]
    values = pd.Series(base * 400, index=range(1000, 3000))
    expected = pd.concat([parse_datetimes(pd.Series(base))] * 400)
    expected.index = values.index
    pd.testing.assert_frame_equal(parse_datetimes(values), expected)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        # A year written with four digits is that year, in every layout (issue 20, item 2).
        ("01/01/0001", 'date "01/01/0001" is before 2000'),
        ("01/02/0021", 'date "01/02/0021" is before 2000'),
        ("01/02/0099", 'date "01/02/0099" is before 2000'),
        ("01/02/0099 10:30", 'date "01/02/0099 10:30" is before 2000'),
        ("0021-02-01", 'date "0021-02-01" is before 2000'),
        ("1 Feb 0021", 'date "1 Feb 0021" is before 2000'),
        ("01.02.0021", 'date "01.02.0021" is before 2000'),
    ],
)
def test_a_four_digit_year_is_that_year(raw, reason):
    assert one(raw) == (None, None, reason)
    # The same in a long column, read by the fast path for fixed layouts.
    long = parse_datetimes(pd.Series([raw] * 100))
    assert long["reason"].eq(reason).all()


def test_two_digit_years_are_still_this_century():
    assert one("01/02/21")[0] == "2021-01-31 18:30:00"
    assert one("01/02/99") == (None, None, 'date "01/02/99" is after 2039')
    assert one("01/02/00")[0] == "2000-01-31 18:30:00"
