"""Opening a published page in the test browser with the network blocked."""

from __future__ import annotations

import re
from pathlib import Path


def open_offline(browser, page_path: Path):
    """Open a local page with the network blocked; returns the context, the page, the network
    requests it tried and the console errors it logged."""
    context = browser.new_context(offline=True)
    requests, problems = [], []
    context.route(
        re.compile(r"^(https?|wss?)://"),
        lambda route: (requests.append(route.request.url), route.abort()),
    )
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(page_path.as_uri(), wait_until="load")
    return context, page, requests, problems
