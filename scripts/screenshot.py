"""Screenshots of the dashboard in headless Chromium, as the README shows it.

    python scripts/screenshot.py --out docs/big-screen-1920.png
    python scripts/screenshot.py --size 3840x2160 --out docs/big-screen-3840.jpg
    python scripts/screenshot.py --size 3840x2160 --out /tmp/wall.png --lang en

Without --url it starts `python app.py serve` on DATABASE_URL (the default
SQLite file, seeded with the demo city on first run) and stops it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.app_process import app_process
from scripts.chromium import launch, wait_for_map


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--size", default="1920x1080", help="viewport WIDTHxHEIGHT")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--path", default="/", help="page to open")
    parser.add_argument("--url", help="base URL of a running server")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    from playwright.sync_api import sync_playwright

    server = (
        contextlib.nullcontext(args.url.rstrip("/"))
        if args.url
        else app_process({"DATABASE_URL": os.environ.get("DATABASE_URL", "")}, timeout=600)
    )
    with server as base, sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{base}{args.path}?lang={args.lang}")
        if args.path == "/":  # the big screen: wait until its map is drawn
            state, seconds = wait_for_map(page)
            drawn = (f"map drawn in {seconds:.1f} s, {state['grids']} grids, "
                     f"{state['incidentPoints']} incidents, {state['cadrePoints']} cadres")  # fmt: skip
        else:  # another screen: wait until it stops loading
            page.wait_for_load_state("networkidle")
            drawn = "loaded"
        page.wait_for_timeout(1500)  # let the clock tick and fonts settle
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        jpeg = args.out.lower().endswith((".jpg", ".jpeg"))  # a 4K PNG is over 2 MB
        page.screenshot(path=args.out, **({"type": "jpeg", "quality": 85} if jpeg else {}))
        browser.close()
    print(f"{args.out}: {width}x{height}, {drawn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
