"""sources.toml: each mistake a reporter can make gives one sentence naming file and key."""

from __future__ import annotations

import os

import pytest

from analysis.core.errors import InputError
from analysis.ingest.sources import load_sources

GOOD = """
[[source]]
path = "orders.csv"
kind = "orders"
[source.columns]
"Date" = "issued_at"
"""


def _write(tmp_path, toml: str, files=("orders.csv",)):
    (tmp_path / "sources.toml").write_text(toml, encoding="utf-8")
    for name in files:
        (tmp_path / name).write_text("Date\n31/01/2021\n", encoding="utf-8")
    return tmp_path


def test_a_good_block_gets_defaults(tmp_path):
    (source,) = load_sources(_write(tmp_path, GOOD))
    assert source.kind == "orders"
    assert source.timezone == "Asia/Kolkata"
    assert source.dayfirst is True
    assert source.columns == {"Date": "issued_at"}
    assert source.path == tmp_path / "orders.csv"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[[source]\npath = "x"', "TOML syntax error"),
        (GOOD.replace('kind = "orders"', 'kind = "tweets"'), "unknown kind 'tweets'"),
        (GOOD.replace('kind = "orders"', 'kind = "lumen"'), "[source.columns] does not apply"),
        (
            GOOD.replace("[source.columns]", 'colour = "red"\n[source.columns]'),
            "unknown key 'colour'",
        ),
        (GOOD.replace('"issued_at"', '"issued_on"'), "maps to 'issued_on'"),
        (GOOD.replace('"orders.csv"', '"../../etc/passwd"'), "points outside"),
        (GOOD.replace('"orders.csv"', '"missing.csv"'), "file not found"),
        (GOOD.replace('"Date" = "issued_at"', '"Date" = "title"'), "required column 'issued_at'"),
        (
            GOOD.replace("[source.columns]", 'timezone = "Mars/Olympus"\n[source.columns]'),
            "time zone",
        ),
        (GOOD.replace("[source.columns]", 'dayfirst = "yes"\n[source.columns]'), "dayfirst"),
        ("", "declares no [[source]] blocks"),
    ],
)
def test_mistakes_are_one_clear_sentence(tmp_path, toml, expected):
    with pytest.raises(InputError) as err:
        load_sources(_write(tmp_path, toml))
    message = str(err.value)
    assert expected in message
    assert "sources.toml" in message
    assert "\n" not in message.strip()


def test_missing_sources_toml(tmp_path):
    with pytest.raises(InputError, match="no sources.toml"):
        load_sources(tmp_path)


def test_defaults_satisfy_a_required_column(tmp_path):
    toml = GOOD.replace('"Date" = "issued_at"', '"Date" = "title"') + (
        '[source.defaults]\nissued_at = "2021-01-31"\n'
    )
    (source,) = load_sources(_write(tmp_path, toml))
    assert source.defaults == {"issued_at": "2021-01-31"}


# --- issue 20: a workbook's sheets, values of the wrong shape, odd paths ----------------------

SHEET = """
[[source]]
path = "book.xlsx"
kind = "orders"
sheet = "{sheet}"
timezone = "{tz}"
[source.columns]
"Date" = "issued_at"
"""


def test_two_sheets_of_one_workbook_are_two_sources(tmp_path):
    toml = SHEET.format(sheet="2021", tz="Asia/Kolkata") + SHEET.format(
        sheet="2022", tz="Asia/Kolkata"
    )
    sources = load_sources(_write(tmp_path, toml, files=("book.xlsx",)))
    assert [s.sheet for s in sources] == ["2021", "2022"]


def test_one_sheet_declared_twice_is_refused(tmp_path):
    # In two time zones, every order would be counted twice, shifted by the difference.
    toml = SHEET.format(sheet="Data", tz="Asia/Kolkata") + SHEET.format(
        sheet="Data", tz="America/Los_Angeles"
    )
    with pytest.raises(InputError) as err:
        load_sources(_write(tmp_path, toml, files=("book.xlsx",)))
    message = str(err.value)
    assert "source 2 declares 'book.xlsx' sheet 'Data' again (first in source 1)" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('kind = "orders"', 'kind = ["orders"]'), "kind must be text"),
        (('path = "orders.csv"', 'path = ["orders.csv"]'), "has no 'path'"),
        (("[source.columns]", 'timezone = ["UTC"]\n[source.columns]'), "timezone must be text"),
        (("[source.columns]", 'encoding = ["utf-8"]\n[source.columns]'), "encoding must be text"),
        (("[source.columns]", 'unmapped = ["notes"]\n[source.columns]'), "unmapped must be"),
        (('"Date" = "issued_at"', '"Date" = ["issued_at"]'), "must map to one column name"),
        (("[source.columns]", 'encoding = "punycode"\n[source.columns]'), "not an encoding"),
        (("[source.columns]", 'encoding = "rot13"\n[source.columns]'), "not an encoding"),
        (("[source.columns]", 'encoding = "base64"\n[source.columns]'), "not an encoding"),
    ],
)
def test_values_of_the_wrong_kind_are_one_sentence(tmp_path, change, expected):
    with pytest.raises(InputError) as err:
        load_sources(_write(tmp_path, GOOD.replace(*change)))
    message = str(err.value)
    assert expected in message
    assert "sources.toml" in message
    assert "\n" not in message


def test_an_ordinary_encoding_is_still_accepted(tmp_path):
    toml = GOOD.replace("[source.columns]", 'encoding = "cp1252"\n[source.columns]')
    assert load_sources(_write(tmp_path, toml))[0].encoding == "cp1252"


@pytest.mark.parametrize("loop", ["self", "pair"])
def test_a_symlink_loop_is_one_sentence(tmp_path, loop):
    raw = _write(tmp_path, GOOD, files=())
    if loop == "self":
        (raw / "orders.csv").symlink_to("orders.csv")
    else:
        (raw / "a.csv").symlink_to("orders.csv")
        (raw / "orders.csv").symlink_to("a.csv")
    with pytest.raises(InputError, match="symbolic link that loops") as err:
        load_sources(raw)
    assert "orders.csv" in str(err.value)


def test_a_fifo_is_not_a_file(tmp_path):
    raw = _write(tmp_path, GOOD, files=())
    os.mkfifo(raw / "orders.csv")
    with pytest.raises(InputError, match="not a regular file"):
        load_sources(raw)
