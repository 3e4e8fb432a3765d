"""Opening a published page in the test browser with the network blocked, and measuring what a
reader sees there: overlapping chart labels, horizontal scroll, chart text size, and whether
every chart has its title, source, data link and alt text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

#: The two screens the pages are judged on: a laptop and a phone.
WIDTHS = (1366, 390)
#: No chart text may be drawn smaller than this on screen (pixels).
MIN_CHART_TEXT_PX = 11.0
#: Overlaps smaller than this (pixels, both ways) are rounding, not collisions.
OVERLAP_TOLERANCE_PX = 1.0
#: Words that belong to running a notebook, not to a page a reader reads.
NOTEBOOK_SPEAK = re.compile(r"notebook|output_dir|nbconvert|papermill|\.ipynb|नोटबुक", re.I)


def open_offline(browser, page_path: Path, width: int | None = None):
    """Open a local page with the network blocked; returns the context, the page, the network
    requests it tried and the console errors it logged. ``width`` sets the window's width in
    CSS pixels (a phone is 390)."""
    options = {"offline": True}
    if width is not None:
        options["viewport"] = {"width": width, "height": 900}
        options["device_scale_factor"] = 1
    context = browser.new_context(**options)
    requests, problems = [], []
    context.route(
        re.compile(r"^(https?|wss?)://"),
        lambda route: (requests.append(route.request.url), route.abort()),
    )
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(page_path.as_uri(), wait_until="load")
    page.evaluate("document.fonts.ready")
    return context, page, requests, problems


# Runs in the page: every visible chart, its furniture, and each of its texts (the lines of one
# label are one text: matplotlib writes each label as a <g> of <text> lines).
_MEASURE = """
(tol) => {
  const out = {scrollWidth: document.documentElement.scrollWidth,
               clientWidth: document.documentElement.clientWidth,
               bodyScrollWidth: document.body.scrollWidth, charts: []};
  for (const fig of document.querySelectorAll('figure.tk-chart')) {
    const svgs = [...fig.querySelectorAll('svg')].filter(s => s.getBoundingClientRect().width > 0);
    const chart = {
      id: fig.id,
      title: (fig.querySelector('.tk-chart-title') || {}).textContent || '',
      source: (fig.querySelector('.tk-source') || {}).textContent || '',
      dataLinks: [...fig.querySelectorAll('a.tk-get-data')].map(a => a.getAttribute('href')),
      visibleSvgs: svgs.length, svgs: []};
    for (const svg of svgs) {
      const ids = (svg.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
      const named = ids.map(id => document.getElementById(id)).filter(Boolean);
      const info = {
        role: svg.getAttribute('role'),
        svgTitle: (svg.querySelector(':scope > title') || {}).textContent || '',
        svgDesc: (svg.querySelector(':scope > desc') || {}).textContent || '',
        labelledBy: named.map(e => e.tagName.toLowerCase()),
        width: svg.getBoundingClientRect().width,
        minFont: Infinity, smallest: '', labels: 0, overlaps: []};
      const groups = new Map();
      for (const t of svg.querySelectorAll('text')) {
        const text = t.textContent.trim();
        const r = t.getBoundingClientRect();
        if (!text || r.width <= 0 || r.height <= 0) continue;
        const m = t.getScreenCTM();
        const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
        if (px < info.minFont) { info.minFont = px; info.smallest = text; }
        const key = t.parentNode;
        const g = groups.get(key)
          || {text: '', x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity};
        g.text += (g.text ? ' / ' : '') + text;
        g.x0 = Math.min(g.x0, r.left); g.y0 = Math.min(g.y0, r.top);
        g.x1 = Math.max(g.x1, r.right); g.y1 = Math.max(g.y1, r.bottom);
        groups.set(key, g);
      }
      const boxes = [...groups.values()];
      info.labels = boxes.length;
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i], b = boxes[j];
          const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
          const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
          if (w > tol && h > tol) {
            info.overlaps.push([a.text, b.text, +w.toFixed(1), +h.toFixed(1)]);
          }
        }
      }
      chart.svgs.push(info);
    }
    out.charts.push(chart);
  }
  return out;
}
"""


@dataclass
class PageCheck:
    """What :func:`check_page` found on one page at one width; ``problems`` is empty when the
    page passes."""

    name: str
    width: int
    charts: int = 0
    problems: list[str] = field(default_factory=list)


def check_page(browser, page_path: Path, width: int) -> PageCheck:
    """Open ``page_path`` at ``width`` CSS pixels and check what a reader sees: nothing fetched
    from the network, no script errors, no horizontal scroll, no notebook-speak, and for every
    chart one visible drawing with a title, a source line, a link to its CSV, alt text
    (``role="img"`` with ``<title>`` and ``<desc>``), no two texts overlapping and no text under
    :data:`MIN_CHART_TEXT_PX`."""
    result = PageCheck(page_path.name, width)
    context, page, requests, errors = open_offline(browser, page_path, width)
    try:
        measured = page.evaluate(_MEASURE, OVERLAP_TOLERANCE_PX)
        text = page.inner_text("body")
    finally:
        context.close()
    problems = result.problems
    if requests:
        problems.append(f"network requests: {requests}")
    if errors:
        problems.append(f"console errors: {errors}")
    if measured["scrollWidth"] > measured["clientWidth"]:
        problems.append(
            f"horizontal scroll: {measured['scrollWidth']} px wide in {measured['clientWidth']}"
        )
    speak = sorted({m.group(0) for m in NOTEBOOK_SPEAK.finditer(text)})
    if speak:
        problems.append(f"notebook-speak on the page: {speak}")
    result.charts = len(measured["charts"])
    for chart in measured["charts"]:
        where = f"chart {chart['id']}"
        if not chart["title"].strip():
            problems.append(f"{where}: no title")
        if not chart["source"].strip():
            problems.append(f"{where}: no source line")
        if not any(h and h.endswith(".csv") for h in chart["dataLinks"]):
            problems.append(f"{where}: no link to its data (CSV)")
        if chart["visibleSvgs"] != 1:
            problems.append(f"{where}: {chart['visibleSvgs']} drawings visible, not 1")
        for svg in chart["svgs"]:
            if svg["role"] != "img" or svg["labelledBy"] != ["title", "desc"]:
                problems.append(f"{where}: SVG not labelled by its <title> and <desc>")
            if not svg["svgTitle"].strip() or not svg["svgDesc"].strip():
                problems.append(f"{where}: empty <title> or <desc>")
            if svg["labels"] and svg["minFont"] < MIN_CHART_TEXT_PX - 0.05:
                problems.append(
                    f"{where}: text {svg['smallest']!r} drawn at {svg['minFont']:.1f} px"
                )
            for a, b, w, h in svg["overlaps"]:
                problems.append(f"{where}: {a!r} overlaps {b!r} ({w} x {h} px)")
    return result


def check_reports(browser, folder: Path, stems: list[str]) -> list[PageCheck]:
    """:func:`check_page` for ``index.html`` and every report page, at both :data:`WIDTHS`."""
    checks = []
    for stem in ["index", *stems]:
        for width in WIDTHS:
            checks.append(check_page(browser, folder / f"{stem}.html", width))
    return checks


def failures(checks: list[PageCheck]) -> list[str]:
    """One line per problem: page, width, what is wrong."""
    return [f"{c.name} at {c.width} px: {p}" for c in checks for p in c.problems]
