"""What a report page shows, in the order a reader wants it: the finding first, then the chart,
the details, and how it was made.

Notebooks call these instead of formatting anything themselves; :func:`start` is how every
report notebook begins, and the :class:`Page` it returns writes the page's furniture: a kicker
with the page's topic (:meth:`Page.intro`), the standfirst under the headline
(:meth:`Page.standfirst`), and the folded "How this was made" at the end
(:meth:`Page.how_made`). :func:`chart` shows a chart as a newsroom graphic: its title (the
finding), a dek with N and the method, the chart as inline SVG with real text (a wide drawing,
and a narrow one that CSS shows on phones), the source line and a "Get the data" link to its
CSV. :func:`table` shows a table for readers: English or Hindi headers, formatted numbers and
units, folded when long, with its CSV linked.

Text that comes from the data (order ids, titles, notes) is escaped before it reaches Markdown or
HTML (:func:`markdown_text`, :func:`html.escape`), so a ``<script>`` or a
``[link](javascript:...)`` in a spreadsheet cell is shown, never run.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from analysis import __version__
from analysis.core import paths
from analysis.core.errors import InputError
from analysis.core.times import DEFAULT_TZ
from analysis.report import charts, questions
from analysis.report.charts.frame import check_name
from analysis.report.wording import (
    COLUMNS,
    METHODS,
    PAGES,
    fmt_date,
    fmt_duration,
    fmt_int,
    fmt_share,
    phrase,
)
from analysis.store.export import safe_csv
from analysis.store.processed import read_manifest

#: The parameters every report notebook declares, in its first code cell (tagged ``parameters``;
#: the same cell in every notebook). :func:`start` reads them.
PARAMETERS = (
    "data_dir",
    "country",
    "platform",
    "start",
    "end",
    "as_of",
    "freq",
    "deadline_hours",
    "acted",
    "highlight_orders",
    "lang",
    "redact_handles",
    "engine",
    "source",
    "output_dir",
)

#: The parameters "How this was made" lists (the others are where files are, not choices).
_SHOWN_PARAMETERS = (
    "country",
    "platform",
    "start",
    "end",
    "as_of",
    "freq",
    "deadline_hours",
    "acted",
    "highlight_orders",
    "redact_handles",
    "engine",
    "lang",
)

#: Table headers per language (kept for callers of the old name).
COLUMN_LABELS = COLUMNS

#: Tables longer than this are folded (``<details>``), with their CSV linked.
FOLD_AFTER = 12

#: ASCII punctuation Markdown may read as syntax (links, emphasis, headings, lists, tables,
#: autolinks, maths); ``& < > " '`` are left to :func:`html.escape`.
_MARKDOWN_PUNCTUATION = re.compile(r"([!#$%()*+,\-./:;=?@\[\\\]^_`{|}~])")


def markdown_text(text: str) -> str:
    """``text`` as Markdown that renders as exactly that text: every ASCII punctuation mark that
    Markdown could read as syntax is backslash-escaped and ``& < > " '`` become HTML entities.

    HTML escaping alone is not enough in Markdown: an order id ``[x](javascript:alert(1))`` would
    still become a link that runs a script, and ``=HYPERLINK("http://...")`` an outside link.
    """
    return html.escape(_MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text)))


def _display(text_markdown: str, text_plain: str) -> None:
    from IPython.display import display

    display({"text/markdown": text_markdown, "text/plain": text_plain}, raw=True)


def _display_html(markup: str, text_plain: str, metadata: dict | None = None) -> None:
    from IPython.display import display

    display({"text/html": markup, "text/plain": text_plain}, raw=True, metadata=metadata or {})


def setup(lang: str = "en") -> None:
    """The house chart style and readable table defaults for a report notebook."""
    charts.use_house_style(lang)
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.precision", 3)


def output_folder(output_dir: str, notebook: str) -> Path:
    """Where a notebook writes its charts: ``output_dir``, else ``reports/<notebook>/``."""
    folder = Path(output_dir) if output_dir else paths.reports_dir() / notebook
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def order_list(text) -> list[str]:
    """``"IN-1, IN-2"`` (the ``highlight_orders`` parameter) as ``["IN-1", "IN-2"]``; blank
    items are dropped, a list is taken as it is."""
    if text is None:
        return []
    values = text if isinstance(text, list | tuple) else str(text).split(",")
    return [str(v).strip() for v in values if str(v).strip()]


@dataclass
class Page:
    """A report notebook after :func:`start`: what its later cells need."""

    notebook: str  # the notebook's name, e.g. "01-volume"
    lang: str
    tables: questions.Tables  # every processed table (handles redacted when asked)
    scope: questions.Tables  # the same, limited to the orders the parameters choose
    out: Path  # where its charts and tables go
    as_of: pd.Timestamp  # the date the data describe (UTC): the as_of parameter or the latest
    parameters: dict = field(default_factory=dict)
    manifest: dict | None = None  # the processed data's manifest: the input files

    @property
    def highlight(self) -> list[str]:
        """The order ids the ``highlight_orders`` parameter names."""
        return order_list(self.parameters.get("highlight_orders"))

    def intro(self) -> None:
        """The page's topic, in its language, above the headline; its plain text is the page
        title the report index shows. The cell tagged ``title`` calls it."""
        title = page_title(self.notebook, self.lang)
        _display_html(f'<p class="tk-kicker">{html.escape(title)}</p>', title)

    def standfirst(self) -> None:
        """One or two sentences of context under the headline, and the date the data
        describe; its plain text is the ISO date the report index shows. The cell tagged
        ``as-of`` calls it."""
        standfirst(self.notebook, self.as_of, self.lang)

    def data_as_of(self) -> None:
        """The same as :meth:`standfirst` (the name older notebooks use)."""
        self.standfirst()

    def chart(self, result: charts.Chart, name: str) -> None:
        """Save and show a chart (:func:`chart`)."""
        chart(result, self.out, name, self.lang)

    def table(self, frame: pd.DataFrame, columns: list[str], name: str, caption: str = "") -> None:
        """Save and show a table (:func:`table`)."""
        table(frame, columns, self.out, name, self.lang, caption=caption)

    def how_made(self, *answers: questions.Answer) -> None:
        """The folded "How this was made" at the end of the page: the method of each answer,
        the parameters, the input files and the package version."""
        how_made(self.notebook, answers, self.parameters, self.manifest, self.lang)


def start(notebook: str, parameters: Mapping[str, object]) -> Page:
    """Begin a report notebook: the house style, the processed tables, the chosen orders, the
    output folder and the data date, from the notebook's ``parameters`` (its ``globals()``,
    which hold every name in :data:`PARAMETERS` once the parameters cell has run).

    The title and the data date are shown by the cells tagged ``title`` and ``as-of``: the
    report runner reads each from its own cell (:mod:`analysis.report.render`).
    Raises :class:`InputError` naming the missing parameters, or, when ``processed/`` is
    missing or stale, the command to run.
    """
    missing = [name for name in PARAMETERS if name not in parameters]
    if missing:
        raise InputError(
            f"notebook {notebook}: its parameters cell does not set {', '.join(missing)}; "
            "copy the parameters cell of another report notebook"
        )
    p: dict = {name: parameters[name] for name in PARAMETERS}
    lang = p["lang"]
    setup(lang)
    try:
        tables = questions.load(
            p["data_dir"], redact_handles=p["redact_handles"], engine=p["engine"]
        )
    except InputError as err:
        # Raised afresh here, so the notebook's traceback is two frames (its cell, this line)
        # ending in the sentence that names the command to run.
        raise InputError(str(err)) from None
    scope = questions.select_orders(
        tables, country=p["country"], platform=p["platform"], start=p["start"], end=p["end"]
    )
    out = output_folder(p["output_dir"], notebook)
    base = Path(p["data_dir"]) if p["data_dir"] else paths.data_dir()
    manifest = read_manifest(base / "processed")
    as_of = questions.as_of_time(scope, p["as_of"])
    return Page(notebook, lang, tables, scope, out, as_of, p, manifest)


def page_title(notebook: str, lang: str = "en") -> str:
    """The page's title in ``lang`` (:data:`analysis.report.wording.PAGES`); the notebook's
    name when it has none."""
    return PAGES.get(lang, PAGES["en"]).get(notebook, (notebook, ""))[0]


def page_intro(notebook: str, lang: str = "en") -> None:
    """The page's title as a kicker (what :meth:`Page.intro` shows)."""
    title = page_title(notebook, lang)
    _display_html(f'<p class="tk-kicker">{html.escape(title)}</p>', title)


def standfirst(notebook: str, as_of: pd.Timestamp, lang: str = "en", tz: str = DEFAULT_TZ) -> None:
    """The page's context sentences and "Data as of <date>"; the plain text is the ISO date."""
    intro = PAGES.get(lang, PAGES["en"]).get(notebook, ("", ""))[1]
    local = as_of.tz_convert(tz)
    date = phrase("data_as_of", lang, date=fmt_date(as_of, lang, tz))
    parts = [f'<p class="tk-standfirst">{html.escape(intro)}</p>'] if intro else []
    parts.append(
        f'<p class="tk-meta"><time datetime="{local.date().isoformat()}">'
        f"{html.escape(date)}</time></p>"
    )
    _display_html("\n".join(parts), local.date().isoformat())


def data_as_of(as_of: pd.Timestamp, lang: str = "en", tz: str = DEFAULT_TZ) -> None:
    """ "Data as of <date>" on the page; its plain text is the ISO date the report index shows."""
    local = as_of.tz_convert(tz)
    text = phrase("data_as_of", lang, date=fmt_date(as_of, lang, tz))
    _display(f"*{markdown_text(text)}*", local.date().isoformat())


def heading(text: str, level: int = 2) -> None:
    """A heading that states a finding (its plain text is what the report index quotes)."""
    _display("#" * level + " " + markdown_text(text), text)


def sentences(texts: Sequence[str], lang: str = "en", *, limit: int | None = None) -> None:
    """One paragraph per finding, each a sentence a story can quote. With ``limit``, only the
    first ``limit`` are open and the rest are folded under "All N, one sentence each"."""
    texts = list(texts)
    if not texts:
        return
    shown = texts if limit is None else texts[:limit]
    rest = [] if limit is None else texts[limit:]
    body = "\n".join(f"<p>{html.escape(t)}</p>" for t in shown)
    if rest:
        summary = phrase("more_findings", lang, n=fmt_int(len(rest)))
        folded = "\n".join(f"<p>{html.escape(t)}</p>" for t in rest)
        body += (
            f'\n<details class="tk-more"><summary>{html.escape(summary)}</summary>\n'
            f"{folded}\n</details>"
        )
    _display_html(f'<div class="tk-findings">\n{body}\n</div>', "\n".join(texts))


def links(pages: list[tuple[str, str]], lang: str = "en") -> None:
    """A list of links to the other reports: each report's topic, and its finding as the link
    text."""
    items = []
    for href, text in pages:
        stem = Path(href).stem
        topic = page_title(stem, lang)
        items.append(
            f'<li><span class="tk-topic">{html.escape(topic)}</span> '
            f'<a href="{html.escape(quote(href))}">{html.escape(text)}</a></li>'
        )
    _display_html(
        '<ul class="tk-links">\n' + "\n".join(items) + "\n</ul>",
        "\n".join(f"{text} ({href})" for href, text in pages),
    )


def subtitle(n: int, method: str, lang: str = "en") -> str:
    """The chart subtitle: N and the method."""
    return f"{phrase('n_equals', lang, n=f'{n:,}')}; {method}"


def source_text(source: str, lang: str = "en") -> str:
    """The source named under each chart: the ``source`` parameter, else the built-in words."""
    return source or phrase("source_default", lang)


def source_line(source: str, lang: str = "en") -> str:
    """The same as :func:`source_text` (the name the notebooks use)."""
    return source_text(source, lang)


# --- charts ---------------------------------------------------------------------------------------

#: The CSS that switches the wide and the narrow drawing; the page's style sheet has it too, and
#: it travels with each chart so the switch also works inside JupyterLab.
CHART_SWITCH_CSS = (
    ".tk-chart .tk-narrow{display:none}"
    "@media (max-width: 759px){.tk-chart .tk-wide{display:none}.tk-chart .tk-narrow{display:block}}"
)


def chart(result: charts.Chart, out: Path, name: str, lang: str = "en") -> None:
    """Save a chart and show it as the page shows graphics.

    Writes ``<name>.png`` (the wide drawing with its title, subtitle and source, at 2x),
    ``<name>.csv`` (and the chart's other tables), and ``<name>-thumb.png`` (the wide drawing
    without its frame, for the report index). Shows a ``<figure>``: the title, the dek (N and
    method), the wide and the narrow drawing as inline SVG (CSS shows one), the source line and
    links to the CSV and the PNG.
    """
    check_name(name)
    framed = _variant(result, "wide", True, name)
    framed.save(out, name)
    wide = _variant(result, "wide", False, name)
    narrow = _variant(result, "narrow", False, name)
    thumb = out / f"{name}-thumb.png"
    thumb.write_bytes(wide.png(dpi=charts.DPI))
    folder = quote(out.name)
    markup = figure_html(framed, wide, narrow, name, folder, lang)
    metadata = {
        "takedowns": {
            "chart": name,
            "thumbnail": f"{out.name}/{thumb.name}",
            "title": framed.title,
            "description": framed.description,
        }
    }
    _display_html(markup, framed.title, metadata)


def _variant(result: charts.Chart, size: str, frame: bool, name: str) -> charts.Chart:
    if result.redraw is None:
        return result
    return result.redraw(size=size, frame=frame, data_name=name)


def figure_html(
    framed: charts.Chart,
    wide: charts.Chart,
    narrow: charts.Chart,
    name: str,
    folder: str,
    lang: str,
) -> str:
    """The ``<figure>`` of one chart (see :func:`chart`)."""
    esc = html.escape
    slug = re.sub(r"[^A-Za-z0-9_-]", "-", name) or "chart"
    csv_href = f"{folder}/{quote(name)}.csv"
    png_href = f"{folder}/{quote(name)}.png"
    get = phrase("get_the_data", lang)
    # The chart's other tables (the outcomes behind "and 110 more in survival-outcomes.csv").
    more = "".join(
        f' <a href="{esc(folder)}/{esc(quote(f"{name}-{key}.csv"))}" download>'
        f"{esc(f'{name}-{key}.csv')}</a>"
        for key in framed.extra
    )
    return (
        f'<figure class="tk-chart" id="chart-{slug}">\n'
        f"<style>{CHART_SWITCH_CSS}</style>\n"
        f'<h2 class="tk-chart-title">{esc(framed.title)}</h2>\n'
        f'<p class="tk-chart-dek">{esc(framed.subtitle)}</p>\n'
        f'<div class="tk-wide">{wide.svg(f"{slug}-wide")}</div>\n'
        f'<div class="tk-narrow">{narrow.svg(f"{slug}-narrow")}</div>\n'
        f'<figcaption class="tk-source">{esc(framed.source)} '
        f'<span class="tk-data-links"><a class="tk-get-data" href="{esc(csv_href)}" download>'
        f"{esc(get)} (CSV)</a> "
        f'<a href="{esc(png_href)}">PNG</a>{more}</span></figcaption>\n'
        "</figure>"
    )


# --- tables ---------------------------------------------------------------------------------------


def table(
    frame: pd.DataFrame,
    columns: list[str],
    out: Path,
    name: str,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
    *,
    caption: str = "",
) -> None:
    """Write all of ``frame`` as ``<name>.csv`` and show ``columns`` of it as a table for readers:
    headers in the page's language (:data:`analysis.report.wording.COLUMNS`), dates as local
    dates, counts with thousands separators, shares as percentages, times with their unit, a
    median or share known only as a range as that range. Tables longer than
    :data:`FOLD_AFTER` rows are folded under their caption. A link to the CSV follows."""
    check_name(name)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.csv").write_text(safe_csv(frame), encoding="utf-8")
    _display_html(
        table_html(frame, columns, f"{quote(out.name)}/{quote(name)}.csv", lang, tz, caption),
        caption or name,
    )


def table_html(
    frame: pd.DataFrame,
    columns: list[str],
    csv_href: str,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
    caption: str = "",
) -> str:
    """The HTML of :func:`table`: every text from the data escaped."""
    esc = html.escape
    shown = [c for c in columns if c in frame.columns]
    headers = COLUMNS.get(lang, COLUMNS["en"])
    head = "".join(
        f'<th scope="col"{_num_class(frame, c)}>{esc(headers.get(c, c))}</th>' for c in shown
    )
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<td data-label="{esc(headers.get(c, c))}"{_num_class(frame, c)}>'
            f"{esc(cell_text(row, c, lang, tz))}</td>"
            for c in shown
        )
        rows.append(f"<tr>{cells}</tr>")
    n = len(frame)
    title = caption or phrase("table_rows", lang, n=fmt_int(n))
    body = (
        f'<div class="tk-scroll"><table class="tk-table"><thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{chr(10).join(rows)}\n</tbody></table></div>"
    )
    link = (
        f'<p class="tk-data-links"><a class="tk-get-data" href="{esc(csv_href)}" download>'
        f"{esc(phrase('get_the_data', lang))} (CSV)</a></p>"
    )
    if not n:
        return (
            f'<div class="tk-table-block"><p class="tk-caption">{esc(title)}</p>\n'
            f'<p class="tk-empty">{esc(phrase("table_empty", lang))}</p></div>'
        )
    if n > FOLD_AFTER:
        summary = phrase("table_folded", lang, caption=title, n=fmt_int(n))
        return (
            f'<div class="tk-table-block"><details class="tk-fold"><summary>{esc(summary)}'
            f"</summary>\n{body}\n</details>\n{link}</div>"
        )
    return (
        f'<div class="tk-table-block"><p class="tk-caption">{esc(title)}</p>\n{body}\n{link}</div>'
    )


#: Columns holding counts of items or orders (shown with thousands separators).
_COUNTS = {
    "items",
    "actioned",
    "censored",
    "withheld",
    "suspended",
    "gone",
    "no_outcome",
    "restored",
    "orders",
    "items_withheld",
    "items_reversed",
    "reblocked",
    "cumulative_items",
    "cumulative_orders",
    "source_row",
    "n_items",
}
_DATES = {"issued_at", "at", "as_of", "acted_by", "withheld_at", "restored_at", "period_start"}


def _num_class(frame: pd.DataFrame, column: str) -> str:
    """Numbers are right-aligned, so their digits line up."""
    numeric = column in _COUNTS or column.startswith("share")
    return ' class="num"' if numeric else ""


def cell_text(row: pd.Series, column: str, lang: str = "en", tz: str = DEFAULT_TZ) -> str:
    """One table cell as a reader reads it ("1,178", "49%", "4 Feb 2021", "between 0 and 3
    days", "acted on by 1 Jul 2021"); missing values are "–"."""
    special = _FORMATTERS.get(column)
    if special is not None:
        return special(row, lang, tz)
    value = row[column]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if column in _DATES or isinstance(value, pd.Timestamp):
        ts = pd.Timestamp(value)
        if ts.tzinfo is None:
            ts = ts.tz_localize("UTC")
        return fmt_date(ts, lang, tz)
    if column.startswith("share"):
        return fmt_share(float(value))
    if column in _COUNTS:
        approx = bool(row.get("approximate", False)) if "approximate" in row else False
        return fmt_int(float(value), approximate=approx and column != "source_row")
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    return str(value)


def _median_cell(row: pd.Series, lang: str, tz: str) -> str:
    """The median time to action as the data know it: a value, a range, "acted on by <date of
    the check>" when every action was already there at the first check, or "not reached"."""
    unit = row.get("unit", "days")
    if row.get("timing_basis") == "before_first_check" and pd.notna(row.get("acted_by")):
        return phrase("cell_acted_by", lang, date=fmt_date(row["acted_by"], lang, tz))
    point = row.get("km_median")
    lo, hi = row.get("km_median_earliest"), row.get("km_median_latest")
    if point is not None and pd.notna(point):
        return fmt_duration(point, unit, lang)
    if lo is not None and hi is not None and pd.notna(lo) and pd.notna(hi):
        if lo == 0:
            return phrase("cell_within", lang, latest=fmt_duration(hi, unit, lang))
        return phrase(
            "cell_between",
            lang,
            earliest=fmt_duration(lo, unit, lang),
            latest=fmt_duration(hi, unit, lang),
        )
    if lo is not None and pd.notna(lo):
        return phrase("cell_at_least", lang, earliest=fmt_duration(lo, unit, lang))
    return phrase("not_reached", lang)


def _deadline_cell(row: pd.Series, lang: str, tz: str) -> str:
    point = row.get("share_within_deadline")
    if point is not None and pd.notna(point):
        return fmt_share(point)
    lo, hi = row.get("share_within_deadline_min"), row.get("share_within_deadline_max")
    if lo is not None and hi is not None and pd.notna(lo) and pd.notna(hi):
        return f"{fmt_share(lo)}–{fmt_share(hi)}"
    return "–"


def _reversal_time_cell(row: pd.Series, lang: str, tz: str) -> str:
    value = row.get("median_time_to_reversal")
    if value is None or pd.isna(value):
        return "–"
    return fmt_duration(value, row.get("unit", "days"), lang)


def _basis_cell(row: pd.Series, lang: str, tz: str) -> str:
    value = row.get("items_basis")
    if value is None or pd.isna(value):
        return "–"
    key = {"items_listed": "basis_listed", "named items": "basis_named", "mixed": "basis_mixed"}
    return phrase(key[value], lang) if value in key else str(value)


_FORMATTERS: dict[str, Callable[[pd.Series, str, str], str]] = {
    "km_median": _median_cell,
    "share_within_deadline": _deadline_cell,
    "median_time_to_reversal": _reversal_time_cell,
    "items_basis": _basis_cell,
}


# --- how this was made ----------------------------------------------------------------------------


def how_made(
    notebook: str,
    answers: Sequence[questions.Answer],
    parameters: Mapping[str, object],
    manifest: Mapping | None,
    lang: str = "en",
) -> None:
    """A folded section at the end of the page: what was measured and how, the parameters, the
    input files (with their rows and checksums) and the package version."""
    _display_html(how_made_html(notebook, answers, parameters, manifest, lang), "")


def how_made_html(
    notebook: str,
    answers: Sequence[questions.Answer],
    parameters: Mapping[str, object],
    manifest: Mapping | None,
    lang: str = "en",
) -> str:
    esc = html.escape
    method = METHODS.get(lang, METHODS["en"]).get(notebook, "")
    parts = [f'<details class="tk-method"><summary>{esc(phrase("how_made", lang))}</summary>']
    parts.append(f"<h3>{esc(phrase('how_method', lang))}</h3>")
    if method:
        parts.append(f"<p>{esc(method)}</p>")
    for answer in answers:
        if answer.method:
            parts.append(f"<p>{esc(answer.method)}.</p>")
    parts.append(f"<p>{esc(phrase('how_definitions', lang))}</p>")
    parts.append(f"<h3>{esc(phrase('how_parameters', lang))}</h3>")
    rows = "".join(
        f'<tr><th scope="row"><code>{esc(name)}</code></th>'
        f"<td>{esc(_parameter_text(parameters.get(name), lang))}</td></tr>"
        for name in _SHOWN_PARAMETERS
        if name in parameters
    )
    parts.append(f'<table class="tk-params"><tbody>{rows}</tbody></table>')
    if manifest:
        parts.append(f"<h3>{esc(phrase('how_inputs', lang))}</h3>")
        head = "".join(
            f'<th scope="col">{esc(phrase(key, lang))}</th>'
            for key in ("how_file", "how_kind", "how_read", "how_kept", "how_rejected", "how_sha")
        )
        body = []
        for source in manifest.get("sources", []):
            cells = [
                esc(str(source.get("path", ""))),
                esc(str(source.get("kind", ""))),
                fmt_int(source.get("rows_read", 0) or 0),
                fmt_int(source.get("rows_kept", 0) or 0),
                fmt_int(source.get("rows_rejected", 0) or 0),
                f"<code>{esc(str(source.get('sha256', ''))[:12])}</code>",
            ]
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts.append(
            f'<table class="tk-inputs"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )
    version = phrase("how_version", lang, version=__version__)
    run = (manifest or {}).get("run_id")
    if run:
        version += " " + phrase("how_run", lang, run=str(run))
    parts.append(f"<h3>{esc(phrase('how_software', lang))}</h3><p>{esc(version)}</p>")
    parts.append("</details>")
    return '<section class="tk-how">' + "\n".join(parts) + "</section>"


def _parameter_text(value, lang: str) -> str:
    if value is None or value == "":
        return phrase("how_blank", lang)
    if isinstance(value, bool):
        return phrase("yes" if value else "no", lang)
    return str(value)


__all__ = [
    "PARAMETERS",
    "Page",
    "chart",
    "heading",
    "how_made",
    "links",
    "markdown_text",
    "sentences",
    "source_line",
    "start",
    "subtitle",
    "table",
]
