"""What a report notebook shows: headings that state findings, sentences, tables and charts.

Notebooks call these instead of formatting anything themselves; :func:`start` is how every
report notebook begins. Text that comes from the data (order ids, titles, notes) is escaped before
it reaches Markdown or HTML (:func:`markdown_text`), so a ``<script>`` or a
``[link](javascript:...)`` in a spreadsheet cell is shown, never run.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from analysis.core import paths
from analysis.core.errors import InputError
from analysis.core.times import DEFAULT_TZ
from analysis.report import charts, questions
from analysis.report.wording import PAGES, fmt_date, phrase
from analysis.store.export import safe_csv

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
    "lang",
    "redact_handles",
    "engine",
    "source",
    "output_dir",
)

#: Table headers per language for the columns the reports show.
COLUMN_LABELS = {
    "en": {},
    "hi": {
        "order_id": "आदेश",
        "issued_at": "जारी",
        "items": "आइटम",
        "actioned": "कार्रवाई हुई",
        "censored": "सेंसर्ड",
        "share_actioned": "कार्रवाई का हिस्सा",
        "km_median": "मध्य समय",
        "unit": "इकाई",
        "share_within_deadline": "समय-सीमा में",
        "items_withheld": "रोके गए",
        "items_reversed": "बहाल",
        "median_time_to_reversal": "बहाली का मध्य समय",
        "reblocked": "फिर रोके गए",
        "period": "अवधि",
        "orders": "आदेश",
        "cumulative_items": "कुल आइटम",
    },
}


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


@dataclass
class Page:
    """A report notebook after :func:`start`: what its later cells need."""

    notebook: str  # the notebook's name, e.g. "01-volume"
    lang: str
    tables: questions.Tables  # every processed table (handles redacted when asked)
    scope: questions.Tables  # the same, limited to the orders the parameters choose
    out: Path  # where its charts and tables go
    as_of: pd.Timestamp  # the date the data describe (UTC): the as_of parameter or the latest

    def intro(self) -> None:
        """The page's title and introduction in its language (nothing for English: the
        notebook's own introduction is the page's). The cell tagged ``title`` calls it."""
        page_intro(self.notebook, self.lang)

    def data_as_of(self) -> None:
        """ "Data as of <date>". The cell tagged ``as-of`` calls it."""
        data_as_of(self.as_of, self.lang)


def start(notebook: str, parameters: Mapping[str, object]) -> Page:
    """Begin a report notebook: the house style, the processed tables, the chosen orders, the
    output folder and the data date, from the notebook's ``parameters`` (its ``globals()``,
    which hold every name in :data:`PARAMETERS` once the parameters cell has run).

    The title and the data date are shown by the two cells after it, tagged ``title`` and
    ``as-of``: the report runner reads each from its own cell (:mod:`analysis.report.render`).
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
    return Page(notebook, lang, tables, scope, out, questions.as_of_time(scope, p["as_of"]))


def heading(text: str, level: int = 2) -> None:
    """A heading that states a finding (its plain text is what the report index quotes)."""
    _display("#" * level + " " + markdown_text(text), text)


def page_intro(notebook: str, lang: str = "en") -> None:
    """For a report in another language: its title and introduction, in that language.

    English pages use the notebook's own markdown introduction, which the report runner leaves
    out of pages in other languages (cells tagged ``lang-en``).
    """
    if lang == "en":
        return
    title, intro = PAGES[lang][notebook]
    _display(f"# {markdown_text(title)}\n\n{markdown_text(intro)}", title)


def data_as_of(as_of: pd.Timestamp, lang: str = "en", tz: str = DEFAULT_TZ) -> None:
    """ "Data as of <date>" on the page; its plain text is the ISO date the report index shows."""
    local = as_of.tz_convert(tz)
    text = phrase("data_as_of", lang, date=fmt_date(as_of, lang, tz))
    _display(f"*{markdown_text(text)}*", local.date().isoformat())


def sentences(texts: list[str]) -> None:
    """One paragraph per finding, each a sentence a story can quote."""
    for text in texts:
        _display(markdown_text(text), text)


def links(pages: list[tuple[str, str]]) -> None:
    """A list of links to the other reports, each with its finding as the link text."""
    items = "\n".join(f"- [{markdown_text(text)}](<{quote(href)}>)" for href, text in pages)
    _display(items, "\n".join(f"{text} ({href})" for href, text in pages))


def subtitle(n: int, method: str, lang: str = "en") -> str:
    """The chart subtitle: N and the method."""
    return f"{phrase('n_equals', lang, n=f'{n:,}')}; {method}"


def source_line(source: str, lang: str = "en") -> str:
    return source or phrase("source_default", lang)


def table(
    frame: pd.DataFrame,
    columns: list[str],
    out: Path,
    name: str,
    lang: str = "en",
    tz: str = DEFAULT_TZ,
) -> None:
    """Show ``columns`` of ``frame`` as an escaped HTML table (dates as local dates in ``tz``)
    and write all of it as CSV."""
    from IPython.display import HTML, display

    (out / f"{name}.csv").write_text(safe_csv(frame), encoding="utf-8")
    shown = frame[[c for c in columns if c in frame.columns]].copy()
    for column in shown.columns:
        if isinstance(shown[column].dtype, pd.DatetimeTZDtype):
            shown[column] = shown[column].dt.tz_convert(tz).dt.strftime("%Y-%m-%d")
        elif column.startswith("share"):
            shown[column] = shown[column].map(lambda v: "-" if pd.isna(v) else f"{v:.0%}")
        elif pd.api.types.is_float_dtype(shown[column]):
            values = shown[column].dropna()
            if (values == values.round()).all():  # counts held as floats: show 250, not 250.0
                shown[column] = shown[column].astype("Int64")
    shown = shown.astype(object).where(shown.notna(), "-")
    shown = shown.rename(columns=COLUMN_LABELS.get(lang, {}))
    display(HTML(shown.to_html(index=False, escape=True, na_rep="-", border=0)))


def chart(result: charts.Chart, out: Path, name: str) -> None:
    """Save a chart's PNG and its data CSV in ``out`` and show it."""
    from IPython.display import display

    result.save(out, name)
    display(result)
