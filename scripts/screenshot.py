"""Screenshots of the dashboard in headless Chromium, as the README shows it.

    python scripts/screenshot.py --out docs/big-screen-1920.png
    python scripts/screenshot.py --size 3840x2160 --out docs/big-screen-3840.jpg
    python scripts/screenshot.py --size 3840x2160 --out /tmp/wall.png --lang en
    python scripts/screenshot.py --url http://wall-server:8050 --key gc_... --out /tmp/wall.png
    python scripts/screenshot.py --path /dispatch --user zhao --out /tmp/desk.png

Every page needs a caller the server knows (README, "Security model"):

- Without --url it starts `python app.py serve` on DATABASE_URL (the default
  SQLite file, seeded with the demo city on first run), issues a display key
  there named "screenshot", opens the page as a video wall does (``?key=``
  once, then the session cookie), revokes the key and stops the server.
- With --url (a running server) give --key, an existing display key
  (`python app.py apikey create NAME --scopes display`), and the browser opens
  the page as that wall; a town-bound key shows that town only.
- Either way, --user signs in through the /login form instead, as that person
  (needed for pages a wall may not see, e.g. the dispatch console). The
  password comes from --password, else from GC_SCREENSHOT_PASSWORD, else it
  is asked for. Sign-in is rate-limited (GC_SIGNIN_RATE) and five wrong
  passwords lock the account for 15 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.app_process import app_process
from scripts.chromium import launch, wait_for_map

KEY_NAME = "screenshot"


@contextlib.contextmanager
def own_display_key(database_url: str):
    """A display key in ``database_url`` for this run; revoked afterwards."""
    from data.store import Store

    store = Store.open(database_url)
    try:
        key = store.create_api_key(KEY_NAME, actor="scripts/screenshot.py", scopes="display")
    finally:
        store.close()
    try:
        yield key
    finally:
        store = Store.open(database_url)
        try:
            store.revoke_api_keys(key[:10], actor="scripts/screenshot.py")
        finally:
            store.close()


def sign_in(page, base: str, user: str, password: str, then: str) -> None:
    """Sign ``page`` in through the /login form; it ends on ``then``."""
    page.goto(f"{base}/login?next={quote(then)}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    try:
        page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
    except Exception as exc:
        raise SystemExit(
            f"sign-in as {user} failed (wrong password, locked or rate-limited)"
        ) from exc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="PNG (or .jpg) file to write")
    parser.add_argument("--size", default="1920x1080", help="viewport WIDTHxHEIGHT")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--path", default="/", help="page to open")
    parser.add_argument("--url", help="base URL of a running server (needs --key or --user)")
    parser.add_argument("--key", help="display key of a wall (with --url)")
    parser.add_argument("--user", help="sign in as this user through /login instead")
    parser.add_argument("--password", help="the user's password (else GC_SCREENSHOT_PASSWORD)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    if args.url and not (args.key or args.user):
        parser.error("--url needs --key (a display key) or --user (to sign in)")
    password = None
    if args.user:
        password = (
            args.password
            or os.environ.get("GC_SCREENSHOT_PASSWORD")
            or getpass.getpass(f"password of {args.user}: ")
        )

    from playwright.sync_api import sync_playwright

    from settings import Settings

    with contextlib.ExitStack() as stack:
        if args.url:
            base, key = args.url.rstrip("/"), args.key
        else:
            env = {"DATABASE_URL": os.environ.get("DATABASE_URL", "")}
            base = stack.enter_context(app_process(env, timeout=600))
            key = None
            if not args.user:  # after the server started: it seeds an empty database first
                database_url = Settings.from_env(dict(os.environ)).database_url
                key = stack.enter_context(own_display_key(database_url))
        playwright = stack.enter_context(sync_playwright())
        browser = launch(playwright)
        stack.callback(browser.close)
        page = browser.new_page(viewport={"width": width, "height": height})
        target = f"{args.path}?{urlencode({'lang': args.lang})}"
        if args.user:
            sign_in(page, base, args.user, password, target)
        else:  # a wall: the server swaps the key for a cookie and drops it from the URL
            answer = page.goto(f"{base}{target}&{urlencode({'key': key})}")
            if answer is None or answer.status >= 400 or "/login" in page.url:
                status = answer.status if answer else "no answer"
                raise SystemExit(f"the display key was refused (HTTP {status})")
        if args.path == "/":  # the big screen: wait until its map is drawn
            state, seconds = wait_for_map(page)
            drawn = (
                f"map drawn in {seconds:.1f} s, {state['grids']} grids, "
                f"{state['incidentPoints']} incidents, {state['cadrePoints']} cadres"
            )
        else:  # another screen: wait until it stops loading
            page.wait_for_load_state("networkidle")
            drawn = "loaded"
        page.wait_for_timeout(1500)  # let the clock tick and fonts settle
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        jpeg = args.out.lower().endswith((".jpg", ".jpeg"))  # a 4K PNG is over 2 MB
        page.screenshot(path=args.out, **({"type": "jpeg", "quality": 85} if jpeg else {}))
    print(f"{args.out}: {width}x{height}, {drawn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
