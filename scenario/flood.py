"""The June flood in 胶西 and the potato harvest, replayed through the public APIs.

Storms waterlog streets and some 30,000 mu of potato fields in 胶西. The
command centre declares a wartime event over 胶西 (harvest help, level III).
Residents, sensors and grid patrols report waterlogging over Open311; villages
ask for hands to harvest before the crop rots, and each field becomes a task
of the event with the helpers it needs (about 150 in all) and its mu and
tonnes as targets. Every half hour the centre plans and confirms dispatch for
the streets, and confirms the event's mobilisation proposal for the fields
(paired departments first, then neighbours). Cadres drive to the fields,
each on their own phone: the desk invites the phone of every cadre it sends
(once), and the phone signs in by the link and then acts only through the
field app's endpoints, as the page at /field does (``scenario.phone``). The
cadres accept, report their positions on the way in batches, arrive, check
in, harvest and report the mu, tonnes and sales, and say when they are done;
a street is resolved by its cadre's "done" with the arrival on the spot as
proof, a field by the desk with the harvest and the potatoes the cadres
helped sell; each is verified by someone else and closed. At the end the centre ends the event and reads its after-action report,
and the replay prints its outcome: reports first contacted within an hour,
hands met within a day, the median time to resolve and what the optimal plan
gained over nearest-first dispatch (``scenario.flood_model``).

Reports come in bursts at the peaks of the rain and fields ask for hands
several at once, so each planning round chooses between needs competing for
the same cadres. Fieldwork pauses at night (06:00–19:00 China time).

Everything goes through the HTTP APIs a real client would use
(``scenario.client``): nothing is written to the database directly.

The clock runs ``speed`` times faster than real time (60: one simulated hour a
minute), and never skips a planning round: when the server or the machine is
slower than ``speed`` asks, the replay slows down, so its outcome measures the
response, not the machine.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

from scenario.client import ApiError, GridCommandClient
from scenario.flood_model import (
    HOUR,
    JIAOXI,
    MU_PER_CADRE_HOUR,
    YIELD_T_PER_MU,
    YUAN_PER_TONNE,
    Batch,
    DaylightClock,
    Report,
    helped_sales_t,
    outcome,
    outcome_lines,
    timeline,
)
from scenario.flood_tasks import Tally, Task, Trip, harvest_report
from scenario.phone import Phones

DISPATCHER, WORKER, VERIFIER = (
    "指挥中心值班员（演练）",
    "胶西街道处置组（演练）",
    "指挥中心核查员（演练）",
)
PLAN_EVERY = 0.25 * HOUR  # in a storm the duty officer plans every quarter hour
POSITIONS_EVERY = 300.0
POSITIONS_PER_BATCH = 3  # a phone on the way sends its positions every quarter hour
PROGRESS_EVERY = 2 * HOUR  # a field reports what it harvested this often
CHECKIN_EVERY_REAL_S = 600.0  # cadres check in every 10 real minutes (the event asks 30)
MAX_TRAVEL_MIN = 90
STREET_WORK_S = 1.2 * HOUR  # pumping a street or getting people out, at any hour
EVENT_NAME = "胶西六月洪涝·土豆抢收（演练）"


class FloodRun:
    """Plays the timeline against a server, ``speed`` times faster than real time."""

    def __init__(
        self,
        client: GridCommandClient,
        *,
        speed: float = 60.0,
        hours: float = 96.0,
        fields: int = 10,
        water: int = 40,
        seed: int = 2024,
        event_id: int | None = None,
        say: Callable[[str], None] = print,
    ):
        if speed <= 0 or hours <= 0:
            raise ValueError("speed and hours must be positive")
        self.client, self.speed, self.hours, self.say = client, speed, hours, say
        self.rng = random.Random(seed)
        towns = client.towns()
        if JIAOXI not in towns:
            raise ValueError(f"the city has no {JIAOXI}: the flood scenario needs the demo county")
        jiaoxi = client.grids(towns[JIAOXI])
        city = [p for p in client.grids() if p.town_code != towns[JIAOXI]]
        self.pending = timeline(jiaoxi, city, self.rng, fields=fields, water=water)
        self.jiaoxi = [p.code for p in jiaoxi]
        self.event_id = event_id  # given: the commander declared it and will end it
        self.own_event = event_id is None
        self.checked_in: dict[int, float] = {}  # cadre -> real time of the last check-in
        self.phones = Phones(client)  # the cadres' phones, each signed in once
        self.area = client.area()  # a phone's fix outside every grid is refused: not sent
        self.tasks: dict[str, Task] = {}
        self.tally = Tally()
        self.sim_s = 0.0
        self._last_work_s = 0.0
        self.clock = DaylightClock()

    # ------------------------------------------------------------- the clock

    def run(self) -> Tally:
        if self.own_event:
            event = self.client.declare_event(EVENT_NAME, "harvest_help", self.jiaoxi)
            self.event_id = event["id"]
            self.say(
                f"[{self._clock()}] 宣布进入战时状态: {event['name']}（{event['severity_name']}）"
            )
        started = time.monotonic()
        next_plan = next_positions = 0.0
        while self.sim_s < self.hours * HOUR:
            self.sim_s = (time.monotonic() - started) * self.speed
            if self.sim_s > next_plan:  # behind: slow the clock rather than skip a round
                started += (self.sim_s - next_plan) / self.speed
                self.sim_s = next_plan
            while self.pending and self.pending[0].at_s <= self.sim_s:
                self._post(self.pending.pop(0))
            if self.sim_s >= next_positions:
                self._move()
                next_positions = self.sim_s + POSITIONS_EVERY
            self._work()
            if self.sim_s >= next_plan:
                self._dispatch()
                next_plan = self.sim_s + PLAN_EVERY
            if not self.pending and self.tasks and all(t.closed for t in self.tasks.values()):
                break
            time.sleep(0.05)
        if self.own_event:
            self.client.end_event(self.event_id, DISPATCHER)
        self.tally.report = self.client.event_report(self.event_id)
        self.say(f"[{self._clock()}] 演练结束: {self._summary()}")
        self.say(f"[{self._clock()}] 复盘: {self._review()}")
        result = outcome([t.followed() for t in self.tasks.values()], self.tally.batches)
        for line in outcome_lines(result):
            self.say(f"结果 Outcome | {line}")
        return self.tally

    def _review(self) -> str:
        r = self.tally.report or {}
        m, tasks = r.get("mobilisation", {}), r.get("tasks", {})
        done = {f["measure"]: f["done"] for f in r.get("figures", [])}
        return (
            f"出动干部 {m.get('cadres', 0)} 人, 完成任务 {tasks.get('done', 0)}/"
            f"{tasks.get('total', 0)} 项, 抢收 {done.get('area_mu', 0):,.0f} 亩, "
            f"{done.get('tonnes', 0):,.0f} 吨, 销售 {done.get('sales_yuan', 0):,.0f} 元, "
            f"报到 {r.get('checkins', {}).get('received', 0)} 次"
        )

    def _clock(self, at_s: float | None = None) -> str:
        """China time of the replay, ``第N天 HH:MM``."""
        return self.clock.label(self.sim_s if at_s is None else at_s)

    def _summary(self) -> str:
        t = self.tally
        return (
            f"{t.reports} 件上报, {t.dispatched} 人次派遣, {t.closed} 件办结, "
            f"抢收 {t.harvested_mu:,.0f} 亩, 助销土豆 {t.sold_t:,.0f} 吨 "
            f"{t.sales_yuan:,.0f} 元"
        )

    # ------------------------------------------------------------ the steps

    def _post(self, report: Report) -> None:
        p = report.place
        if report.kind == "field":  # the village's call becomes a task of the event
            task = self.client.add_task(
                self.event_id,
                report.description,
                p.lon,
                p.lat,
                int(report.attributes["helpers_needed"]),
                {
                    "area_mu": round(report.area_mu),
                    "tonnes": round(report.area_mu * YIELD_T_PER_MU),
                },
                DISPATCHER,
            )
            public_id = task["public_id"]
            self.tasks[public_id] = Task(public_id, report, task_id=task["id"])
            self.tally.reports += 1
            self.say(f"[{self._clock()}] 新增战时任务 {public_id}: {report.description}")
            return
        public_id = self.client.report(
            report.service_code,
            p.lon,
            p.lat,
            report.description,
            channel=report.channel,
            attributes=report.attributes,
        )
        self.tasks[public_id] = Task(public_id, report)
        self.tally.reports += 1
        self.say(f"[{self._clock()}] 上报 {public_id}: {report.description}")

    def _dispatch(self) -> None:
        """The streets through the dispatch plan; the fields through the event's
        mobilisation (paired departments first, then neighbours). Each plans the
        whole batch of open work at once, so needs compete for the same cadres."""
        short = [t for t in self.tasks.values() if not t.closed and t.is_short()]
        streets = [t.public_id for t in short if t.task_id is None]
        fields = sum(1 for t in short if t.task_id is not None)
        if streets:
            self._send(
                lambda: self.client.plan(incidents=streets, max_travel_min=MAX_TRAVEL_MIN),
                lambda rows: self.client.confirm(rows, DISPATCHER),
                len(streets),
            )
        if fields:
            self._send(
                lambda: self.client.mobilisation(self.event_id, MAX_TRAVEL_MIN),
                lambda rows: self.client.mobilise(self.event_id, rows, DISPATCHER),
                fields,
            )

    def _send(self, propose, confirm, competing: int) -> None:
        try:
            plan = propose()
            if not plan["assignments"]:
                return
            confirm(
                [
                    {k: a[k] for k in ("incident", "cadre_id", "eta_s", "position_at")}
                    for a in plan["assignments"]
                ]
            )
        except ApiError as error:  # taken or moved meanwhile: plan again next round
            self.tally.refused += 1
            self.say(f"[{self._clock()}] 方案未执行，下一轮重排: {error}")
            return
        for a in plan["assignments"]:
            # The task reaches the cadre's phone (invited and signed in the
            # first time), which finds it among its work and accepts it.
            phone = self.phones.of(a["cadre_id"], a.get("cadre_phone"))
            dispatch_id = phone.task(a["incident"])["dispatch_id"]
            phone.accept(dispatch_id)
            self.tasks[a["incident"]].trips[a["cadre_id"]] = Trip(
                a["cadre_id"],
                tuple(a["from"]),
                tuple(a["to"]),
                max(60.0, a["eta_s"]),
                self.sim_s,
                dispatch_id,
            )
        sent = len(plan["assignments"])
        self.tally.dispatched += sent
        best, greedy = plan["optimal"], plan["greedy"]
        self.tally.batches.append(
            Batch(
                competing,
                best["total_weighted_s"],
                greedy["total_weighted_s"],
                best["filled"],
                greedy["filled"],
            )
        )
        if competing == 1:
            compared = "本批仅 1 件，最优即就近"
        else:
            compared = (
                f"本批 {competing} 件争用人手，比手工就近派遣少用时 {plan['gain_vs_greedy_pct']}%"
            )
            extra = best["filled"] - greedy["filled"]
            if extra:
                compared += f"，多补 {extra} 人"
        if "tiers" in plan:
            self.say(
                f"[{self._clock()}] 战时调派 {sent} 人: 对口部门 {plan['tiers']['paired']}, "
                f"邻近镇街 {plan['tiers']['neighbour']}; {compared}"
            )
        else:
            self.say(f"[{self._clock()}] 派遣 {sent} 人; {compared}")

    def _move(self) -> None:
        """The phones on the way take their positions and send them in batches;
        those at the place say they have arrived, with their position."""
        now = dt.datetime.now(dt.UTC)
        arrivals = []
        for task in self.tasks.values():
            for trip in task.trips.values():
                if trip.arrived:
                    continue
                f = min(1.0, (self.sim_s - trip.sent_s) / trip.eta_s)
                lon = trip.start[0] + (trip.end[0] - trip.start[0]) * f
                lat = trip.start[1] + (trip.end[1] - trip.start[1]) * f
                if self.area.covers(lon, lat):  # a way may cross a bay or another county
                    self.phones[trip.cadre_id].track(lon, lat, now)
                if f >= 1.0:
                    arrivals.append(trip)
        for phone in self.phones:
            if len(phone.queue) >= POSITIONS_PER_BATCH:
                phone.send_positions()
        for trip in arrivals:
            phone = self.phones[trip.cadre_id]
            phone.send_positions()
            phone.arrive(trip.dispatch_id, *trip.end)
            trip.arrived = True
        self._check_in()

    def _check_in(self) -> None:
        """Cadres on the event's fields check in on arrival and then every so often."""
        real = time.monotonic()
        for task in self.tasks.values():
            if task.task_id is None or task.closed:
                continue
            for trip in task.trips.values():
                last = self.checked_in.get(trip.cadre_id)
                if trip.arrived and (last is None or real - last >= CHECKIN_EVERY_REAL_S):
                    self.phones[trip.cadre_id].check_in(*trip.end)
                    self.checked_in[trip.cadre_id] = real
                    self.tally.checkins += 1

    def _work(self) -> None:
        """Work done since the last step: fields in daylight only, streets at any hour."""
        last, now = self._last_work_s, self.sim_s
        for task in self.tasks.values():
            on_site = sum(t.arrived for t in task.trips.values())
            if task.closed or not on_site:
                continue
            if task.report.kind == "field":
                rate = on_site * MU_PER_CADRE_HOUR / HOUR  # mu per second of daylight
                left = task.report.area_mu - task.done_mu
                worked = self.clock.work_seconds(last, now)
                finished_s = (
                    self.clock.after_work(last, left / rate) if worked * rate >= left else None
                )
                task.done_mu = min(task.report.area_mu, task.done_mu + worked * rate)
            else:
                left = STREET_WORK_S - task.on_site_s
                finished_s = last + left if now - last >= left else None
                task.on_site_s += now - last
            if task.task_id is not None and now - task.reported_at_s >= PROGRESS_EVERY:
                self._report_harvest(task, task.done_mu)
            if (
                (finished_s is not None or task.resolved_s is not None)
                and not task.is_short()
                and all(t.arrived for t in task.trips.values())
            ):
                task.resolved_s = task.resolved_s if task.resolved_s is not None else finished_s
                self._close(task)
            elif finished_s is not None:  # done, but hands still to come: close when they have
                task.resolved_s = finished_s
        self._last_work_s = now

    def _report_harvest(self, task: Task, mu: float, sold_t: float = 0.0) -> None:
        """The field's figures, from the phone of the first cadre on site."""
        done = harvest_report(task, mu, sold_t)
        task.reported_at_s = self.sim_s
        lead = next((t for t in task.trips.values() if t.arrived), None)
        if not done or lead is None:
            return
        self.phones[lead.cadre_id].progress(lead.dispatch_id, done)
        task.reported_mu = mu

    def _close(self, task: Task) -> None:
        point = task.report.place
        if task.report.kind == "field":
            mu = task.report.area_mu
            # Sold through the helpers' channels, not the whole crop (see flood_model).
            sold = helped_sales_t(len(task.trips), mu * YIELD_T_PER_MU, self.rng)
            note = (
                f"抢收土豆 {mu:.0f} 亩，产量约 {mu * YIELD_T_PER_MU:.0f} 吨，干部帮销 "
                f"{sold:.0f} 吨、{sold * YUAN_PER_TONNE:,.0f} 元"
            )
            self.tally.harvested_mu += mu
            self.tally.sold_t += sold
            self.tally.sales_yuan += round(sold * YUAN_PER_TONNE)
            self._report_harvest(task, mu, sold_t=sold)
            proof = {"callback": f"已回访村委：{note}"}
        else:
            note = "积水已排除，道路恢复通行"
            proof = {"checkin": [point.lon, point.lat]}
        # Each cadre says on the phone that their part is done. A street's
        # first "done" resolves it, the arrival on the spot its proof, and
        # releases the others; an event's task is resolved by the desk.
        resolved = False
        for trip in task.trips.values():
            resolved = self.phones[trip.cadre_id].done(trip.dispatch_id, note)["resolved"]
            if resolved:
                break
        if not resolved:
            self.client.act(task.public_id, "resolve", WORKER, note=note, **proof)
        self.client.act(task.public_id, "verify", VERIFIER)
        self.client.act(task.public_id, "close", VERIFIER)
        task.closed = True
        self.tally.closed += 1
        self.say(f"[{self._clock(task.resolved_s)}] 办结 {task.public_id}: {note}")
