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
    order_id = _with_default(cells, "order_id")
    source_url = _with_default(cells, "source_url")
    country = _tracked_country(cells)
    author, author_state, author_countries = _x_authors(cells, state)
    checks = [
        _check_frame(
            cells,
            items,
            order_id,
            checked,
            state,
            listed.where(state == "withheld"),
            source_url,
            country,
        ),
        _check_frame(
            cells, author, order_id, checked, author_state, author_countries, source_url, country
        ),
    ]
    return {"checks": pd.concat(checks, ignore_index=True)}


def _x_authors(cells: Cells, state: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The second observation a tweet lookup carries: its author's own state, a check of
    ``@author`` (withheld where the author object lists countries, else visible); only where
    the tweet was read and the object says (see :mod:`analysis.ingest.readers.x_api`). A name
    that is not a handle gives no author check (the tweet's stays)."""
    frame = cells.frame
    said = cell_text(frame["author"]).notna() & frame["author_countries"].notna()
    said &= state.notna()
    parsed = parse_items("@" + cell_text(frame["author"]).where(said))
    unreadable = said & parsed["item_type"].ne("account")
    if unreadable.any():
        cells.log.messages.append(
            f"{int(unreadable.sum())} tweet authors not checked: their names are not handles"
        )
    said &= ~unreadable
    listed = country_lists(frame["author_countries"].where(said))
    bad = said & listed["reason"].notna()
    if bad.any():
        cells.log.messages.append(
            f"{int(bad.sum())} tweet authors not checked: their withholding lists an unknown "
            "country"
        )
    said &= ~bad
    author_state = pd.Series(
        np.where(listed["value"].notna(), "withheld", "visible"), index=cells.index, dtype="str"
    ).where(said)
    return parsed["item_id"].where(said), author_state, listed["value"].where(said)


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


# What X shows in place of a post or profile it does not serve. Any other text on a page (the
# post's own words) means the page showed the item: visible.
_NOTICE = (
    r"^(?:this\s+(?:tweet|post|account|media|video|image|page)\b|@?[a-z0-9_]+['’]s?\s+account\b"
    r"|account\s+(?:suspended|withheld)|(?:tweet|post)\s+(?:withheld|unavailable|removed)"
    r"|withheld\b|hmm|sorry,|code\s*\d+\b|page\s+not\s+found|not\s+found\b)"
)
_PAGE_GONE = (
    _NOT_FOUND + r"|no\s+longer\s+available|has\s+been\s+removed|violated\s+(?:the\s+)?"
    r"(?:twitter|x)\s+rules"
)


def page_states(text: pd.Series) -> pd.DataFrame:
    """What an item's page showed -> ``state``, ``countries`` (names as written) and ``reason``.

    X's notices: ``This Tweet from @x has been withheld in India in response to a legal
    demand.`` -> ``withheld`` (countries ``India``); ``This Tweet is from a suspended account.``
    / ``Account suspended`` -> ``suspended``; ``This Tweet was deleted by the Tweet author.``,
    ``Hmm...this page doesn't exist.``, ``This Tweet violated the Twitter Rules.`` ->
    ``not_found``; a status word (``active``, ``Code 63``...) as :func:`status_states` reads it.
    Any other text is what the page showed in place of a notice (the post's own words):
    ``visible``. A notice saying none of these (``This Tweet is unavailable.``: deleted or
    protected?) gets a reason. Blank gets nothing.
    """
    shown = cell_text(text)
    low = shown.str.lower().str.strip(" .")
    words = status_states(text)
    notice = flag(low.str.contains(_NOTICE, regex=True))
    withheld = notice & flag(low.str.contains(r"withheld|withhold", regex=True))
    suspended = notice & ~withheld & flag(low.str.contains(r"suspend|code\s*63\b", regex=True))
    gone = notice & ~withheld & ~suspended & flag(low.str.contains(_PAGE_GONE, regex=True))
    state = pd.Series(
        np.select(
            [withheld.to_numpy(), suspended.to_numpy(), gone.to_numpy(), notice.to_numpy()],
            ["withheld", "suspended", "not_found", None],
            "visible",
        ),
        index=text.index,
        dtype="str",
    )
    # A bare status word (a sheet using this column for "active"/"Code 50") reads as one.
    state = words["state"].where(words["state"].notna() & ~notice, state).where(low.notna())
    where = extract_groups(shown.where(state == "withheld"), _WITHHELD_IN)["where"]
    unknown = low.notna() & state.isna()
    reason = (
        'page text "' + shown + '" is a notice that says neither withheld, suspended nor '
        'gone; map it under [source.values] visible_text (e.g. to "not found")'
    ).where(unknown)
    return pd.DataFrame({"state": state, "countries": where.astype("str"), "reason": reason})


def build_handle_list(cells: Cells) -> dict[str, pd.DataFrame]:
    """A researcher's list: one URL per row, its notice (order), the date the notice was
    received and, optionally, what was seen -> items, implied orders and status checks.

    ``status`` alone, or ``visible_text`` alone, is the state of the row's item. A list giving
    both keeps them as two observations: ``visible_text`` (what the post's page showed) is the
    check of the row's item and ``status`` (``active``, ``Code 63``, ``Code 50``: the account's
    state) is a check of the account, the post's author; neither overrides the other. On a row
    naming an account both describe that account, so it gets one check: the page's notice
    where it shows one (withheld, suspended, gone), else the status.
    """
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

    observed = _observations(cells, items)
    if observed:
        if not cells.has("checked_at"):
            raise InputError(
                f"{cells.source.path}: a status column is mapped but nothing says when the "
                "status was seen; add a 'Checked at' column or [source.defaults] checked_at"
            )
        seen = pd.concat([o["state"] for _, o in observed], axis=1).notna().any(axis=1)
        checked = _checked_at(cells, "the date the status was seen", seen)
        tables["checks"] = pd.concat(
            [
                _check_frame(
                    cells,
                    item_id,
                    order_id,
                    checked,
                    found["state"],
                    found["countries"],
                    cells.text("source_url"),
                    _tracked_country(cells),
                )
                for item_id, found in observed
            ],
            ignore_index=True,
        )
    return tables


def _observations(cells: Cells, items: pd.DataFrame) -> list[tuple[pd.Series, pd.DataFrame]]:
    """(item ids, ``state``/``countries`` codes) for each observation the list's status
    columns give; unreadable statuses are rejected. See :func:`build_handle_list`."""
    has_status, has_page = cells.has("status"), cells.has("visible_text")
    if not has_status and not has_page:
        return []
    status = _read_states(cells, "status", status_states) if has_status else None
    page = _read_states(cells, "visible_text", page_states) if has_page else None
    if status is None or page is None:
        return [(items["item_id"], status if page is None else page)]
    account_row = items["item_type"] == "account"
    notice = page["state"].isin(["withheld", "suspended", "not_found"])
    # An account row: one check, the page's notice where it shows one, else the status.
    use_page = ~account_row | notice | status["state"].isna()
    own = page.where(use_page, status)
    author = ("@" + items["handle"]).where(items["item_type"] == "tweet")
    lost = status["state"].notna() & (items["item_type"] == "tweet") & author.isna()
    if lost.any():
        cells.log.messages.append(
            f"{int(lost.sum())} account statuses not used: their post links name no author "
            "(twitter.com/i/web/status/...), so there is no account to check"
        )
    return [(items["item_id"], own), (author, status.where(author.notna()))]


def _read_states(cells: Cells, column: str, read) -> pd.DataFrame:
    """A status column read by ``read``; unreadable cells (and unknown countries) are
    rejected; ``countries`` become codes."""
    text = cells.text(column)
    states = read(text)
    countries = country_lists(states["countries"], names=True)
    reason = states["reason"].fillna(countries["reason"])
    cells.log.reject(reason.notna(), cells.header(column), text, reason)
    return pd.DataFrame({"state": states["state"], "countries": countries["value"]})


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
