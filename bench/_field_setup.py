"""What the field benchmark (``bench/field.py``) does before its window:
work for the desk to send, phones signed in, and the big screens' sessions.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from urllib.parse import urlencode, urlsplit

from bench._field_load import Answer, KeptAlive, Record, fetch

JOIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WALL_SCREEN = {"width": 1920, "height": 1080}


async def _bounded(jobs, concurrency: int) -> list:
    gate = asyncio.Semaphore(concurrency)

    async def run(job):
        async with gate:
            return await job

    return await asyncio.gather(*(run(j) for j in jobs))


def report_incidents(base: str, key: str, points: list, count: int, concurrency: int = 16):
    """``count`` Open311 reports at ``points`` (the real intake); their public ids."""

    async def one(n: int) -> str:
        lon, lat = points[(n * 7919) % len(points)]
        form = urlencode(
            {
                "api_key": key,
                "service_code": "garbage",
                "lat": f"{lat:.6f}",
                "long": f"{lon:.6f}",
                "description": f"压测：垃圾未清运，待派干部 {n}",
            }
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        answer = await fetch(base, "POST", "/open311/v2/requests.json", headers=headers, body=form)
        if answer.status != 200:
            raise RuntimeError(f"a report was refused: {answer.status} {answer.body[:200]!r}")
        return str(json.loads(answer.body)[0]["service_request_id"])

    return asyncio.run(_bounded([one(n) for n in range(count)], concurrency))


def sign_in_http(base: str, dispatch_key: str, phones: list[str], concurrency: int) -> dict:
    """Sign each phone in as a cadre does: the desk's invite (POST
    /api/v1/field/invites), then GET and POST /field/join/<token> with the
    form's CSRF token. Returns {"cookies": phone -> gc_field, "record": ...}."""
    rec = Record(0.0, float("inf"))

    async def timed(endpoint: str, *args, **kwargs) -> Answer:
        began = time.monotonic()
        answer = await fetch(base, *args, **kwargs)
        rec.add(endpoint, began, time.monotonic(), answer.status, ok=(200, 201, 303))
        return answer

    async def one(phone: str) -> str:
        invite = await timed(
            "invite",
            "POST",
            "/api/v1/field/invites",
            headers={"X-API-Key": dispatch_key, "Content-Type": "application/json"},
            body=json.dumps({"phone": phone}).encode(),
        )
        if invite.status != 201:
            raise RuntimeError(f"invite for {phone}: {invite.status} {invite.body[:200]!r}")
        path = urlsplit(json.loads(invite.body)["url"]).path
        page = await timed("join GET", "GET", path, headers={"User-Agent": "gc-bench-phone"})
        found = JOIN_CSRF.search(page.body.decode("utf-8", "replace"))
        if page.status != 200 or not found:
            raise RuntimeError(f"join page for {phone}: {page.status}")
        cookie = "; ".join(f"{k}={v}" for k, v in page.cookies().items())
        joined = await timed(
            "join POST",
            "POST",
            path,
            headers={
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": base,
                "User-Agent": "gc-bench-phone",
            },
            body=urlencode({"csrf_token": found.group(1)}).encode(),
        )
        token = joined.cookies().get("gc_field")
        if joined.status != 303 or not token:
            raise RuntimeError(f"join for {phone}: {joined.status} {joined.body[:200]!r}")
        return token

    tokens = asyncio.run(_bounded([one(p) for p in phones], concurrency))
    return {"cookies": dict(zip(phones, tokens, strict=True)), "record": rec.as_dict()}


def sign_in_store(url: str, phones: list[str]) -> dict:
    """Sign each phone in through the store (create_field_invite, then
    redeem_field_invite): what the HTTP flow does, without HTTP."""
    from data.store import Store

    store = Store.open(url)
    try:
        cookies = {}
        for phone in phones:
            token, _ = store.create_field_invite(phone, actor="bench")
            cookies[phone], _ = store.redeem_field_invite(token, device="gc-bench-phone")
    finally:
        store.close()
    return {"cookies": cookies, "record": {"latencies": {}, "statuses": {}}}


class Wall:
    """A big screen without a browser: its own session (display key, then
    cookies), posting the page's refresh tick (the Dash callback the wall's
    ``dcc.Interval`` fires, built from /_dash-dependencies) with the CSRF
    header, and carrying its live state from answer to answer as the page
    does, so each tick is answered with only what changed."""

    def __init__(self, base: str, key: str):
        from bench.screens import csrf_token, wall_opener

        opener = wall_opener(base, key)
        self.base, self.csrf = base, csrf_token(opener) or ""
        jar = next(h.cookiejar for h in opener.handlers if hasattr(h, "cookiejar"))
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        with opener.open(f"{base}/_dash-dependencies", timeout=60) as answer:
            deps = json.loads(answer.read())
        wanted = {"refresh.n_intervals", "screen.data"}
        tick = next(
            d
            for d in deps
            if wanted <= {f"{i['id']}.{i['property']}" for i in d["inputs"]}
            and not d.get("clientside_function")
        )
        self.output = tick["output"]
        self.outputs = [
            dict(zip(("id", "property"), o.rsplit(".", 1), strict=True))
            for o in self.output.strip(".").split("...")
        ]
        self.state = None
        self.connection = KeptAlive(base)
        self.ticks = 0
        self.bytes: list[int] = []

    def body(self) -> bytes:
        self.ticks += 1
        return json.dumps(
            {
                "output": self.output,
                "outputs": self.outputs,
                "inputs": [
                    {"id": "screen", "property": "data", "value": WALL_SCREEN},
                    {"id": "refresh", "property": "n_intervals", "value": self.ticks},
                ],
                "changedPropIds": ["refresh.n_intervals"],
                "state": [
                    {"id": "live-state", "property": "data", "value": self.state},
                    {
                        "id": "kiosk-options",
                        "property": "data",
                        "value": {"town": None, "tour_s": None},
                    },
                    {"id": "lang", "property": "data", "value": "zh"},
                ],
            }
        ).encode()

    async def tick(self, rec: Record) -> None:
        headers = {
            "Content-Type": "application/json",
            "Cookie": self.cookie,
            "Origin": self.base,
            "X-CSRFToken": self.csrf,
        }
        began = time.monotonic()
        answer = await self.connection.fetch(
            "POST", "/_dash-update-component", headers=headers, body=self.body()
        )
        rec.add("wall tick", began, time.monotonic(), answer.status, ok=(200, 204))
        if answer.status == 200 and answer.body:
            self.bytes.append(len(answer.body))
            reply = json.loads(answer.body).get("response", {})
            self.state = reply.get("live-state", {}).get("data", self.state)

    async def run(self, rec: Record, every: float, warm_at: float, stop_at: float) -> None:
        import random

        at = warm_at + random.uniform(0, every)
        while True:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if time.monotonic() >= stop_at:
                break
            await self.tick(rec)
            at = max(at + every, time.monotonic())  # an Interval does not queue ticks
        await self.connection.close()
