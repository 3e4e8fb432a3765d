"""The kinds that give status checks: ``x_snapshots`` and ``handle_list`` -> ``checks`` rows.

A check says what one item looked like at one time: ``item_id``, ``order_id`` (when known),
``checked_at``, ``state`` (``visible``, ``withheld``, ``suspended``, ``not_found``) and the
``countries`` it was withheld in; :mod:`analysis.clean.combine` turns checks into events.

``x_snapshots``: one row per record :mod:`analysis.ingest.readers.x_api` read from saved X API
responses (a user or tweet object, an error, a withheld notice), keyed by its target.
``handle_list``: a researcher's list, one URL per row with its notice (order), the date the
notice was received and optionally a status text (``active``, ``Code 63``, ``This Tweet ... has
been withheld in India``) -> items, the orders the list implies, and checks.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.core.errors import InputError
from analysis.ingest.canonical.cells import Cells, cell_text, extract_groups, flag, join_notes
from analysis.ingest.canonical.items import item_frame
from analysis.ingest.canonical.lumen import LUMEN_NOTICE_URL
from analysis.ingest.normalize.dates import parse_datetimes
from analysis.ingest.normalize.handles import parse_items
from analysis.ingest.normalize.platforms import normalize_country, normalize_platform

# --- shared by the kinds that give status checks -----------------------------------------------


def country_lists(values: pd.Series, *, names: bool = False) -> pd.DataFrame:
    """Lists of countries -> ``value`` (ISO alpha-2 codes joined by commas) and ``reason``.

    Codes (``IN, DE``, ``["IN"]`` already joined) split on commas, semicolons and spaces; with
    ``names`` (``India and Pakistan``) on commas, semicolons and ``and``. ``XX`` (all countries)
    and ``XY`` (withheld on a copyright complaint) are X's special codes and are kept. Each
    distinct value is worked out once.
    """
    text = cell_text(values)
    codes, uniques = pd.factorize(text)
    split = r"\s*(?:[,;]|\band\b)\s*" if names else r"[,;\s]+"
    tokens = [[t for t in re.split(split, u.strip()) if t] for u in uniques]
    distinct = sorted({t for ts in tokens for t in ts if t.upper() not in ("XX", "XY")})
    codes_of = normalize_country(pd.Series(distinct, dtype="str"))["value"]
    known = dict(zip(distinct, codes_of, strict=True))
    value, reason = [], []
    for ts in tokens:
        bad = [t for t in ts if t.upper() not in ("XX", "XY") and pd.isna(known[t])]
        value.append(
            None
            if bad
            else ",".join(t.upper() if t.upper() in ("XX", "XY") else known[t] for t in ts)
        )
        reason.append(
            f'country "{bad[0]}" is not a known country name or ISO code' if bad else None
        )
    value_lut = np.array([*value, None], dtype=object)
    reason_lut = np.array([*reason, None], dtype=object)
    return pd.DataFrame(
        {
            "value": pd.array(value_lut[codes], dtype="str"),
            "reason": pd.array(reason_lut[codes], dtype="str"),
        },
        index=values.index,
    )


def _check_frame(
    cells: Cells,
    item_id: pd.Series,
    order_id: pd.Series,
    checked: pd.DataFrame,
    state: pd.Series,
    countries: pd.Series,
    source_url: pd.Series,
    country: str,
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "item_id": item_id,
            "order_id": order_id,
            "checked_at": checked["at"],
            "time_precision": checked["time_precision"],
            "state": state,
            "countries": countries,
            "source_url": source_url,
            **cells.provenance(),
            "_country": country,
        }
    )
    return frame[state.notna().to_numpy()]


def _tracked_country(cells: Cells) -> str:
    """The country whose withholding a status source tracks (``[source.defaults] country``)."""
    given = cells.source.defaults.get("country", "IN")
    code = normalize_country(pd.Series([given], dtype="str"))["value"].iloc[0]
    if pd.isna(code):
        raise InputError(
            f"{cells.source.path}: [source.defaults] country {given!r} is not a known country"
        )
    return str(code)


def _checked_at(cells: Cells, what: str, needed: pd.Series | None = None) -> pd.DataFrame:
    """``checked_at`` of each row (its cell, else ``[source.defaults] checked_at``), parsed;
    rows in ``needed`` (default: all) without one are rejected."""
    when = _with_default(cells, "checked_at")
    checked = parse_datetimes(when, timezone=cells.source.timezone, dayfirst=cells.source.dayfirst)
    header = cells.header("checked_at")
    cells.log.reject(checked["reason"].notna(), header, when, checked["reason"])
    needed = pd.Series(True, index=cells.index) if needed is None else needed
    cells.log.reject(needed & when.isna(), header, when, f"{what} is blank but required")
    return checked


def _with_default(cells: Cells, name: str) -> pd.Series:
    """A column, or ``[source.defaults]`` where its cell is blank (for per-record values such as
    ``checked_at`` that a file may give for some records and a default for the rest)."""
    values = cells.text(name)
    default = cells.source.defaults.get(name)
    return values if default is None else values.fillna(default)


# --- X API lookups -----------------------------------------------------------------------------

_SUSPENDED_CODES = ("63",)
# The JSON field a record's item came from, named in rejects.
_TARGET_FIELDS = {"account": "screen_name", "tweet": "id", "user_id": "user_id", "item": "item"}
_NOT_FOUND_CODES = ("8", "17", "34", "50", "144")


def build_x_snapshots(cells: Cells) -> dict[str, pd.DataFrame]:
    """X API user/tweet objects, errors and withheld notices -> status checks."""
    frame = cells.frame
    record = cell_text(frame["record"])
    kind = cell_text(frame["target_kind"])
    target = frame["target"]
    items = _x_items(cells, kind, target)

    countries = country_lists(frame["countries"])
    cells.log.reject(
        countries["reason"].notna(), "countries", frame["countries"], countries["reason"]
    )
    # A copyright (DMCA) withholding is X's special country code XY.
    listed = countries["value"]
    add_xy = frame["copyright"].isin([True, "true", "True"]) & ~flag(listed.str.contains("XY"))
    listed = listed.mask(add_xy & listed.notna(), listed + ",XY").mask(add_xy & listed.isna(), "XY")
    looked_up = record.isin(["user", "tweet"])
    withheld = listed.notna()

    code = cell_text(frame["error_code"])
    title = cell_text(frame["error_title"]).str.lower()
    detail = cell_text(frame["error_detail"])
    error = record == "error"
    suspended = error & (
        code.isin(_SUSPENDED_CODES) | flag(detail.str.contains("suspended", case=False))
    )
    not_found = (
        error
        & ~suspended
        & (
            code.isin(_NOT_FOUND_CODES)
            | (title == "not found error")
            | flag(detail.str.contains("could not find", case=False))
        )
    )
    conditions = [
        (looked_up & withheld).to_numpy(bool),
        looked_up.to_numpy(bool),
        record.isin(["status_withheld", "user_withheld"]).to_numpy(bool),
        suspended.to_numpy(bool),
        not_found.to_numpy(bool),
    ]
    state = pd.Series(
        np.select(conditions, ["withheld", "visible", "withheld", "suspended", "not_found"], None),
        index=cells.index,
        dtype="str",
    )
    unknown_error = error & state.isna()
    shown = join_notes(("code " + code), title, detail)
    cells.log.reject(
        unknown_error,
        "errors",
        shown,
        "the X API error does not say whether the item is withheld, suspended or gone",
    )
    cells.log.reject(
        record == "unknown",
        "record",
        cell_text(target),
        "record is not a user, a tweet, an error or a withheld notice",
    )
    checked = _checked_at(cells, "checked_at (when the lookup was made)")
    return {
        "checks": _check_frame(
            cells,
            items,
            _with_default(cells, "order_id"),
            checked,
            state,
            listed.where(state == "withheld"),
            _with_default(cells, "source_url"),
            _tracked_country(cells),
        )
    }


def _x_items(cells: Cells, kind: pd.Series, target: pd.Series) -> pd.Series:
    """Each record's item id: ``@name``, ``tweet:<id>``, or a user id resolved through the user
    objects seen in the source (``url:https://twitter.com/i/user/<id>`` when no object names
    it)."""
    text = cell_text(target)
    digits = text.str.fullmatch(r"\d{1,19}").fillna(False).astype(bool)
    is_id = kind.isin(["tweet", "user_id"]) & text.notna()
    floaty = text.str.contains(r"[.eE]", regex=True).fillna(False).astype(bool)
    field = kind.map(_TARGET_FIELDS).astype("str")
    cells.log.reject(
        is_id & ~digits & floaty,
        field,
        text,
        'id "' + text + '" lost precision as a float; ids must be read as text (id_str)',
    )
    cells.log.reject(is_id & ~digits & ~floaty, field, text, 'id "' + text + '" is not a number')
    users = cells.raw.users.drop_duplicates("user_id", keep="last")
    names = pd.Series(users["screen_name"].to_numpy(), index=users["user_id"].astype("str"))
    resolved = text.map(names).where(kind == "user_id")
    unresolved = (kind == "user_id") & digits & resolved.isna()
    if unresolved.any():
        cells.log.messages.append(
            f"{int(unresolved.sum())} user ids not named by any user object in the source: kept "
            "as url:https://twitter.com/i/user/<id>"
        )
    item = pd.Series(np.nan, index=cells.index, dtype="str")
    item = item.mask(kind == "account", "@" + text.str.lstrip("@"))
    item = item.mask((kind == "tweet") & digits, "tweet:" + text)
    item = item.mask(resolved.notna(), "@" + resolved.astype("str"))
    item = item.mask(unresolved, "https://twitter.com/i/user/" + text)
    item = item.mask(kind == "item", text)
    parsed = parse_items(item)
    field = kind.map(_TARGET_FIELDS).fillna("item").astype("str")
    cells.log.reject(parsed["reason"].notna(), field, text, parsed["reason"])
    cells.log.reject(
        item.isna() & ~is_id & cells.frame["record"].ne("unknown"),
        field,
        text,
        "the record does not say which account or tweet it is about (a v1.1 error needs "
        "screen_name, user_id, tweet_id or item saved beside it)",
    )
    return parsed["item_id"]


# --- handle lists as researchers publish them --------------------------------------------------

_LUMEN_URL = r"(?i)^(?:https?://)?(?:www\.)?lumendatabase\.org/notices/(?P<id>\d+)\S*$"
_VISIBLE = r"(?:active|visible|available|ok|live|online|up|exists|accessible)"
_NOT_FOUND = (
    r"code\s*(?:8|17|34|50|144)\b|not\s+found|doesn.t\s+exist|does\s+not\s+exist|"
    r"no\s+longer\s+exist|deleted|page\s+doesn.t"
)
_WITHHELD_IN = (
    r"(?i)withheld\s+in\s+(?P<where>.+?)(?:\s+in\s+response|\s+based\s+on|\s+due\s+to|"
    r"\s+on\s+the\s+basis|\s+under\s|[.(]|$)"
)


def status_states(text: pd.Series) -> pd.DataFrame:
    """What a handle list says about an item -> ``state``, ``countries`` (names as written)
    and ``reason``.

    ``active`` (and ``visible``, ``available``, ``ok``...) -> ``visible``; anything saying
    withheld (``This Tweet from @x has been withheld in India in response to a legal demand.``)
    -> ``withheld``, with the countries after "withheld in"; ``Code 63``/"suspended" ->
    ``suspended``; ``Code 50``/``Code 34``/``Code 144``/"not found"/"doesn't exist"/"deleted" ->
    ``not_found``. Other text gets a reason; blank gets nothing. Vectorised over distinct values.
    """
    low = cell_text(text).str.lower().str.strip(" .")
    withheld = low.str.contains(r"withheld|withhold|geo-?blocked", regex=True)
    suspended = low.str.contains(r"code\s*63\b|suspend", regex=True)
    not_found = low.str.contains(_NOT_FOUND, regex=True)
    visible = low.str.fullmatch(_VISIBLE)
    masks = [m.fillna(False).to_numpy(bool) for m in (withheld, suspended, not_found, visible)]
    state = np.select(masks, ["withheld", "suspended", "not_found", "visible"], None)
    state = pd.Series(state, index=text.index, dtype="str")
    where = extract_groups(cell_text(text).where(state == "withheld"), _WITHHELD_IN)["where"]
    unknown = low.notna() & state.isna()
    reason = (
        'status "' + cell_text(text) + '" is not one of: active, withheld (in ...), '
        "Code 50 (not found), Code 63 (suspended)"
    ).where(unknown)
    return pd.DataFrame({"state": state, "countries": where.astype("str"), "reason": reason})


def build_handle_list(cells: Cells) -> dict[str, pd.DataFrame]:
    """A researcher's list: one URL per row, its notice (order), the date the notice was
    received and, optionally, a status -> items, implied orders and status checks."""
    items = parse_items(cells.get("item"))
    cells.parsed("item", items)
    cells.required("item", cells.get("item"), "the handle/URL cell")
    given = cells.text("order_id")
    cells.required("order_id", given)
    lumen_id = extract_groups(given, _LUMEN_URL)["id"]
    order_id = given.where(lumen_id.isna(), "lumen:" + lumen_id).astype("str")
    tables = {"items": item_frame(cells, items, order_id)}

    if cells.has("issued_at"):
        issued = cells.dates("issued_at")
        cells.required("issued_at", cells.get("issued_at"), "the date the notice was received")
        tables["implied_orders"] = _implied_orders(cells, order_id, lumen_id, issued)
    else:
        cells.log.messages.append(
            "no received date: the orders these items name must come from another source"
        )

    status_columns = [c for c in ("status", "visible_text") if cells.has(c)]
    if status_columns:
        if not cells.has("checked_at"):
            raise InputError(
                f"{cells.source.path}: a status column is mapped but nothing says when the "
                "status was seen; add a 'Checked at' column or [source.defaults] checked_at"
            )
        text = cells.text(status_columns[0])
        header = pd.Series(cells.header(status_columns[0]), index=cells.index, dtype="str")
        for column in status_columns[1:]:
            header = header.where(text.notna(), cells.header(column))
            text = text.fillna(cells.text(column))
        states = status_states(text)
        countries = country_lists(states["countries"], names=True)
        reason = states["reason"].fillna(countries["reason"])
        cells.log.reject(reason.notna(), header, text, reason)
        checked = _checked_at(cells, "the date the status was seen", states["state"].notna())
        tables["checks"] = _check_frame(
            cells,
            items["item_id"],
            order_id,
            checked,
            states["state"],
            countries["value"],
            cells.text("source_url"),
            _tracked_country(cells),
        )
    return tables


def _implied_orders(
    cells: Cells, order_id: pd.Series, lumen_id: pd.Series, issued: pd.DataFrame
) -> pd.DataFrame:
    """One order row per list row (combine keeps one per order, and rejects rows that give the
    same order different dates); used only where no other source declares the order."""
    platform = normalize_platform(cells.get("platform"))
    cells.parsed("platform", platform)
    country = normalize_country(cells.get("country"))
    cells.parsed("country", country)
    source_url = cells.text("source_url").where(lumen_id.isna(), LUMEN_NOTICE_URL + lumen_id)
    return pd.DataFrame(
        {
            "order_id": order_id,
            "platform": platform["value"],
            "country": country["value"],
            "authority": cells.text("authority"),
            "legal_basis": cells.text("legal_basis"),
            "issued_at": issued["at"],
            "deadline_at": cells.no_times(),
            "items_listed": pd.Series(pd.NA, index=cells.index, dtype="Int64"),
            "time_precision": issued["time_precision"],
            "title": pd.Series(np.nan, index=cells.index, dtype="str"),
            "source_url": source_url.astype("str"),
            "notes": join_notes(
                pd.Series(
                    f"order implied by the handle list {cells.file}", index=cells.index, dtype="str"
                ),
                country["note"],
            ),
            **cells.provenance(),
        }
    )
