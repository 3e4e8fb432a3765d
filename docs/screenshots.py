"""Screenshots of the rendered report pages, as a reader sees them, for the docs.

``make screenshots`` renders the reports (English into reports/, Hindi into reports/hi/) and runs
this script, which opens every page in Debian's Chromium (through Playwright, offline) at 1366 px
(a laptop) and 390 px (a phone) and writes one full-page PNG per page, width and language into
docs/img/: ``<lang>-<page>-<width>.png``. The PNGs are reduced to 256 colours, which text and flat
charts survive unchanged to the eye, so the docs stay small.

    python docs/screenshots.py [--reports reports] [--out docs/img]
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
WIDTHS = {1366: 900, 390: 844}  # width: window height (CSS pixels)
PAGES = ("index", "00-overview", "01-volume", "02-compliance-lag", "03-reversals")


def shoot(reports: Path, out: Path) -> list[Path]:
    """Every page of ``reports`` (English) and ``reports/hi`` (Hindi, when rendered), at each
    width; returns the files written."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        sys.exit(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    folders = {"en": reports, "hi": reports / "hi"}
    written = []
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for lang, folder in folders.items():
                if not (folder / "index.html").is_file():
                    print(f"{folder}/index.html not found; skipped ({lang})", file=sys.stderr)
                    continue
                for width, height in WIDTHS.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        device_scale_factor=1,
                        offline=True,
                    )
                    page = context.new_page()
                    for name in PAGES:
                        path = folder / f"{name}.html"
                        if not path.is_file():
                            continue
                        page.goto(path.as_uri(), wait_until="load")
                        page.evaluate("document.fonts.ready")
                        target = out / f"{lang}-{name}-{width}.png"
                        target.write_bytes(_small_png(page.screenshot(full_page=True)))
                        written.append(target)
                    context.close()
        finally:
            browser.close()
    return written


def _small_png(png: bytes) -> bytes:
    """The screenshot with 256 colours, optimised."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    reduced = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    reduced.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args(argv)
    written = shoot(args.reports, args.out)
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
