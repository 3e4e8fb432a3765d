"""sources.toml: each mistake a reporter can make gives one sentence naming file and key."""

from __future__ import annotations

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
