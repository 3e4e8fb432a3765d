"""``lumen``: Lumen database notices, one row per notice -> an order and its named URLs.

A row is what :mod:`analysis.ingest.readers.lumen` gives for one notice (its id, dates sent and
received, principal and sender, recipient, jurisdictions, type, title...), with the notice's URL
entries beside it in ``raw.urls``. Each notice becomes one ``orders`` row (``lumen:<id>``) and
each named URL one ``items`` row; a URL that cannot be read is an item-level reject and the
notice is kept. URLs Lumen gives only as counts per domain add to ``items_listed`` and are said
in ``notes``.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.ingest.canonical.cells import Cells, cell_text, extract_groups, flag, join_notes
from analysis.ingest.normalize.dates import parse_datetimes
from analysis.ingest.normalize.handles import ARROW_TEXT, long_handle_notes, parse_items
from analysis.ingest.normalize.numbers import parse_counts
from analysis.ingest.normalize.platforms import normalize_country, normalize_platform

LUMEN_NOTICE_URL = "https://lumendatabase.org/notices/"
# Lumen stores a date given without a time as midnight UTC: that is a calendar date.
_LUMEN_BARE_DATE = r"^(\d{4}-\d{2}-\d{2})[T ]00:00:00(?:\.0+)?(?:Z|[+-]00:?00)?$"


def build_lumen(cells: Cells) -> dict[str, pd.DataFrame]:
    """Lumen notices -> one order per notice and one item per named URL (see docs/sources.md)."""
    ids = cells.text("id")
    cells.required("id", ids, "the notice id")
    cells.log.reject(
        ids.notna() & ~flag(ids.str.fullmatch(r"\d{1,20}")), "id", ids, "notice id is not a number"
    )
    order_id = ("lumen:" + ids).astype("str")
    timezone = cells.source.timezone
    dates = {}
    for column in ("date_sent", "date_received"):
        text = cell_text(cells.get(column)).astype(ARROW_TEXT)
        text = text.str.replace(_LUMEN_BARE_DATE, r"\1", regex=True).astype("str")
        dates[column] = parse_datetimes(text, timezone=timezone, dayfirst=False)
        cells.parsed(column, dates[column], column)
    sent, received = dates["date_sent"], dates["date_received"]
    from_received = sent["at"].isna() & received["at"].notna()
    issued_at = sent["at"].where(~from_received, received["at"])
    precision = sent["time_precision"].where(~from_received, received["time_precision"])
    blank = cells.text("date_sent").isna() & cells.text("date_received").isna()
    cells.log.reject(
        blank,
        "date_sent",
        cells.get("date_sent"),
        "the notice has neither date_sent nor date_received",
    )

    principal, sender = cells.text("principal_name"), cells.text("sender_name")
    authority = principal.fillna(sender).fillna(cells.source.defaults.get("authority"))
    jurisdictions = cells.text("jurisdictions")
    first = extract_groups(jurisdictions, r"^\s*(?P<first>[^;,]+?)\s*(?:[;,]|$)")["first"]
    country = normalize_country(first.fillna(cells.source.defaults.get("country")))
    cells.log.reject(country["reason"].notna(), "jurisdictions", jurisdictions, country["reason"])
    platform = normalize_platform(
        cells.text("recipient_name").fillna(cells.source.defaults.get("platform"))
    )
    cells.parsed("recipient_name", platform, "recipient_name")

    items, listed, unnamed = _lumen_urls(cells, order_id)
    notes = join_notes(
        "Lumen type: " + cells.text("type"),
        "action taken: " + cells.text("action_taken"),
        "language: " + cells.text("language"),
        ("sent by " + sender).where(principal.notna() & sender.notna() & (principal != sender)),
        ("jurisdictions: " + jurisdictions).where(jurisdictions.str.contains(r"[;,]", regex=True)),
        pd.Series("issued_at is the date received (no date sent)", index=cells.index).where(
            from_received
        ),
        unnamed,
        "file: " + cells.text("file"),
        "jurisdictions: " + country["note"],
    )
    orders = pd.DataFrame(
        {
            "order_id": order_id,
            "platform": platform["value"],
            "country": country["value"],
            "authority": authority,
            "legal_basis": cells.text("laws_referenced").fillna(
                cells.source.defaults.get("legal_basis")
            ),
            "issued_at": issued_at,
            "deadline_at": cells.no_times(),
            "items_listed": listed,
            "time_precision": precision,
            "title": cells.text("title"),
            "source_url": (LUMEN_NOTICE_URL + ids).astype("str"),
            "notes": notes,
            **cells.provenance(),
        }
    )
    return {"orders": orders, "items": items}


def _lumen_urls(cells: Cells, order_id: pd.Series) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The notices' URL entries -> items, ``items_listed`` per notice, and a note for notices
    whose URLs Lumen gave only as counts per domain."""
    urls = cells.raw.urls
    named = urls["url"].notna().to_numpy() | urls["fqdn"].isna().to_numpy()
    entries = urls[named]
    parsed = parse_items(entries["url"])
    blank = cell_text(entries["url"]).isna()
    reason = parsed["reason"].where(~blank, "URL is blank")
    bad = reason.notna()
    cells.log.reject_items(
        entries.loc[bad, "source_row"],
        entries.loc[bad, "column"],
        entries.loc[bad, "url"],
        reason[bad] + "; the notice is kept without this item",
    )
    good = ~bad.to_numpy()
    kept = entries[good]
    items = pd.DataFrame(
        {
            "order_id": kept["source_row"].map(order_id).astype("str"),
            "item_id": parsed["item_id"][good],
            "item_type": parsed["item_type"][good],
            "handle": parsed["handle"][good],
            "tweet_id": parsed["tweet_id"][good],
            "raw_value": cell_text(kept["url"]),
            "notes": long_handle_notes(parsed["handle"][good]),
            "source_file": cells.file,
            "source_row": kept["source_row"].astype("int64"),
        }
    )

    counted = urls[~named]
    counts = parse_counts(counted["count"])
    bad = counts["reason"].notna() | counts["value"].isna()
    cells.log.reject_items(
        counted.loc[bad, "source_row"],
        counted.loc[bad, "column"],
        counted.loc[bad, "count"],
        counts["reason"].fillna("count is blank")[bad]
        + "; the notice's items_listed leaves this domain out",
    )
    n_named = entries.groupby("source_row").size()
    n_counted = counts["value"].groupby(counted["source_row"]).sum()
    listed = n_named.add(n_counted, fill_value=0).reindex(cells.index).astype("Int64")
    by_domain = _join_by(
        counted["source_row"], cell_text(counted["fqdn"]) + " " + counts["value"].astype("str")
    )
    unnamed = ("items unnamed: Lumen gave only counts by domain (" + by_domain + ")").reindex(
        cells.index
    )
    return items, listed, unnamed.astype("str")


def _join_by(keys: pd.Series, texts: pd.Series, sep: str = ", ") -> pd.Series:
    """``texts`` joined with ``sep`` per key, in order, by Arrow (missing texts skipped);
    a Series indexed by key."""
    text = pa.array(texts.astype("str").array).cast(pa.string())
    table = pa.table({"key": keys.to_numpy(), "text": text})
    grouped = table.group_by("key", use_threads=False).aggregate([("text", "list")])
    joined = pc.binary_join(grouped["text_list"], sep)
    return pd.Series(pd.array(joined, dtype="str"), index=grouped["key"].to_numpy(), dtype="str")
