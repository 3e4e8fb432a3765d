"""A synthetic raw folder of many orders over ten years, in the layouts reporters hold.

Made in the tests (seeded, so every run is the same): ``n_orders`` government orders to Twitter
between 2013 and 2023, and for them

* ``handles.csv``, a researcher's handle list built from notices (``handle_list``): one row
  per URL named in an order, with the status seen at ONE check (1 Jul 2021 for notices
  before then, 15 Mar 2024 after), as the real lists are: active, withheld in India, suspended,
  not found;
* ``sheet.csv``, a wide handle sheet (``wide_handles``) for the orders after 2021, with dates
  withheld, restored and withheld again, several restored within the day;
* ``events.csv``, aggregate reports ("126 of the 257 were blocked") for a few orders.

It is what tests of the pages use to see a report hold up on data the size of a real list:
hundreds of orders would stack labels, thousands of items squeeze a timeline.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

SOURCES = """\
[[source]]
path = "orders.csv"
kind = "orders"
dayfirst = true
[source.defaults]
country = "IN"
platform = "twitter"
[source.columns]
"Order" = "order_id"
"Date" = "issued_at"
"Authority" = "authority"
"Basis" = "legal_basis"
"Items listed" = "items_listed"

[[source]]
path = "handles.csv"
kind = "handle_list"
[source.defaults]
country = "IN"
platform = "twitter"

[[source]]
path = "sheet.csv"
kind = "wide_handles"
dayfirst = true
[source.defaults]
country = "IN"
[source.columns]
"Handle" = "item"
"Order" = "order_id"
"Withheld on" = "withheld"
"Restored on" = "restored"
"Withheld again on" = "withheld"

[[source]]
path = "events.csv"
kind = "events"
dayfirst = true
[source.defaults]
country = "IN"
[source.columns]
"Date" = "at"
"Event" = "event"
"Order" = "order_id"
"Items" = "n_items"
"""

STATUSES = [
    ("active", 0.45),
    ("This account has been withheld in India in response to a legal demand.", 0.25),
    ("Code 63: User has been suspended.", 0.1),
    ("Code 50: User not found.", 0.2),
]


def _day(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def write_raw(folder: Path, n_orders: int = 120, seed: int = 20210131) -> Path:
    """Write the raw folder (``sources.toml`` and four CSVs) and return it."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start, span = dt.date(2013, 1, 1), (dt.date(2023, 12, 31) - dt.date(2013, 1, 1)).days
    dates = sorted(start + dt.timedelta(days=rng.randrange(span)) for _ in range(n_orders))
    orders, handles, sheet, events = [], [], [], []
    n_handle = 0
    for i, issued in enumerate(dates):
        order = f"IN-{issued:%Y}-{i + 1:03d}"
        listed = rng.choice([3, 5, 8, 12, 20, 40, 257] if i % 17 else [1178])
        orders.append(
            [order, _day(issued), rng.choice(["MeitY", "MeitY", "Court"]), "IT Act s.69A", listed]
        )
        named = min(listed, rng.randint(2, 14))
        for _ in range(named):
            n_handle += 1
            handle = f"Account_{n_handle:04d}"
            if issued.year < 2021 or i % 3:
                check = (
                    dt.date(2021, 7, 1) if issued < dt.date(2021, 7, 1) else dt.date(2024, 3, 15)
                )
                status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
                handles.append(
                    [f"https://twitter.com/{handle}", order, _day(issued), status, _day(check)]
                )
            else:
                withheld = issued + dt.timedelta(days=rng.randint(0, 6))
                restored = (
                    withheld + dt.timedelta(days=rng.choice([0, 0, 1, 30]))
                    if rng.random() < 0.4
                    else None
                )
                again = (
                    restored + dt.timedelta(days=rng.randint(1, 90))
                    if restored and rng.random() < 0.3
                    else None
                )
                sheet.append(
                    [
                        f"@{handle}",
                        order,
                        _day(withheld),
                        _day(restored) if restored else "",
                        _day(again) if again else "",
                    ]
                )
        if listed > 40:
            tally = rng.randint(listed // 3, listed - 1)
            events.append(
                [_day(issued + dt.timedelta(days=rng.randint(1, 10))), "withheld", order, tally]
            )
    (folder / "sources.toml").write_text(SOURCES, encoding="utf-8")
    for name, header, rows in (
        ("orders.csv", ["Order", "Date", "Authority", "Basis", "Items listed"], orders),
        ("handles.csv", ["URL", "Notice", "Date received", "Status", "Checked at"], handles),
        (
            "sheet.csv",
            ["Handle", "Order", "Withheld on", "Restored on", "Withheld again on"],
            sheet,
        ),
        ("events.csv", ["Date", "Event", "Order", "Items"], events),
    ):
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    return folder
