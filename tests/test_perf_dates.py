"""The fixed-layout fast path of parse_datetimes reads exactly what the regex families read.

Big sheets are mostly one layout (``31/01/2021 10:30``), which the parser reads straight from
the bytes; every such value, valid or not, must come out as the general path would give it:
same instant, same precision, same reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.ingest.normalize import dates
from analysis.ingest.normalize.dates import parse_datetimes

EDGE = [
    "31/01/2021 10:30",
    "01/02/2021 00:00",
    "04/02/2021",
    "31/02/2021 10:30",  # no such day
    "29/02/2024 23:59",
    "29/02/2023",
    "12/13/2021 10:30",  # month 13 when day-first; 13 December when not
    "31/01/2021 24:00",
    "31/01/2021 23:60",
    "31/01/2021 10:30:59",
    "31/01/2021 10:30:60",
    "31.01.2021 10:30",
    "31-01-2021",
    "31/01-2021",
    "31/01/2021T10:30",
    "31/01/2021t10:30",
    "00/00/0000",
    "31/12/1999 23:59",  # before 2000
    "01/01/2040 00:00",  # after 2039
    "2021-01-31",
    "2021-01-31 10:30",
    "2021-01-31T10:30:15",
    "2021/01/31 10:30",
    "2021.13.01",
    "2021-02-30",
    "28/03/2021 01:30",  # skipped in Europe/London
    "31/10/2021 01:30",  # repeated in Europe/London
    # near misses the families read differently: never taken by the fast path
    "31/01/2021 10.30",
    "31/01/21 10:30",
    "1/2/2021 10:30",
    " 31/01/2021 10:30",
    "31/01/2021 10:30 ",
    "31/01/2021 10:30Z",
    "31/01/2021 10:30 pm",
    "३१/०१/२०२१ 10:30",
    "2021-01-31 10:30+05:30",
    "31 Jan 2021",
    "20210131",
    "44227",
    "",
    None,
]


def _general(values: pd.Series, **kwargs) -> pd.DataFrame:
    original = dates._fixed_layouts
    try:
        dates._fixed_layouts = lambda text: None
        return parse_datetimes(values, **kwargs)
    finally:
        dates._fixed_layouts = original


def _random_values(seed: int, n: int) -> list[str | None]:
    rng = np.random.default_rng(seed)
    out: list[str | None] = []
    for _ in range(n):
        d, m, y = rng.integers(0, 33), rng.integers(0, 14), rng.integers(1998, 2042)
        h, mi, s = rng.integers(0, 26), rng.integers(0, 62), rng.integers(0, 62)
        sep = "/-."[rng.integers(0, 3)]
        form = rng.integers(0, 7)
        if form == 0:
            out.append(f"{d:02d}{sep}{m:02d}{sep}{y:04d}")
        elif form == 1:
            out.append(f"{d:02d}{sep}{m:02d}{sep}{y:04d} {h:02d}:{mi:02d}")
        elif form == 2:
            out.append(f"{d:02d}{sep}{m:02d}{sep}{y:04d} {h:02d}:{mi:02d}:{s:02d}")
        elif form == 3:
            out.append(f"{y:04d}{sep}{m:02d}{sep}{d:02d}T{h:02d}:{mi:02d}")
        elif form == 4:
            out.append(f"{y:04d}-{m:02d}-{d:02d}")
        elif form == 5:
            out.append(None)
        else:
            out.append(f"{d}/{m}/{y} {h}:{mi:02d}")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("dayfirst", [True, False])
@pytest.mark.parametrize("timezone", ["Asia/Kolkata", "Europe/London", "UTC"])
def test_fixed_layouts_match_the_general_path(dayfirst, timezone):
    values = pd.Series(EDGE * 3 + _random_values(7, 3000), dtype=object)
    fast = parse_datetimes(values, timezone=timezone, dayfirst=dayfirst)
    assert dates._fixed_layouts(values.astype("str")) is not None  # the fast path ran
    pd.testing.assert_frame_equal(fast, _general(values, timezone=timezone, dayfirst=dayfirst))


@pytest.mark.parametrize("dtype", ["str", object])
def test_repeated_values_and_index_are_kept(dtype):
    # parse_distinct runs the parser once per distinct value of a long repetitive column.
    values = pd.Series(_random_values(11, 400) * 10, dtype=dtype)
    values.index = np.arange(len(values))[::-1] * 3
    fast = parse_datetimes(values, timezone="Asia/Kolkata", dayfirst=True)
    pd.testing.assert_frame_equal(fast, _general(values, timezone="Asia/Kolkata", dayfirst=True))
    assert list(fast.index) == list(values.index)
