"""The pure parts of the flood replay: when reports come, when fields can be
worked, what the cadres helped sell, and how the response went.

The seed (June, 胶西): after a downpour some 30,000 mu of potato fields were
waterlogged; 150+ cadres went down to help harvest and nearly ¥300,000 of
potatoes were sold through them within a week.

* Reports do not wait their turn: at each peak of the rain tens of them come
  within minutes (``burst_schedule``), and villages ask for hands several
  fields at once (``field_schedule``), so a dispatch plan has to choose
  between needs that compete for the same cadres.
* Fieldwork is done in daylight, 06:00 to 19:00 China time, and pauses at
  night (``DaylightClock``); streets are pumped and people rescued at any hour.
* The sales are the potatoes the cadres helped sell (消费帮扶: their units'
  canteens, colleagues, the live streams they set up), not the whole crop,
  which goes to the usual buyers and is not counted (``helped_sales_t``).

``timeline`` puts these together into the replay's reports. No I/O: numbers
and places in, numbers out; ``scenario.flood`` plays them over HTTP.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from scenario.client import Place

HOUR = 3600.0
DAY = 24 * HOUR

JIAOXI = "胶西街道"
MU_PER_FIELD = 3_000  # ten fields: the 30,000 mu of the June flood
# The harvest: potatoes in 胶西 yield about 4,000 jin a mu.
YIELD_T_PER_MU = 2.0
MU_PER_CADRE_HOUR = 6.0  # with the machines the co-operatives bring
# What the cadres helped sell: each helper's channels take 1.3–1.9 t in the
# week, at ¥0.6 a jin for potatoes that must go fast: 150 helpers, ≈ ¥290,000.
HELPED_T_PER_CADRE = (1.3, 1.9)
YUAN_PER_TONNE = 1_200.0


@dataclass(frozen=True)
class Burst:
    """A peak of the rain: ``share`` of the reports within ``spread_min`` of ``at_h``."""

    at_h: float  # hours after the replay starts
    share: float
    spread_min: float


# The replay starts at 02:00; the rain peaks before dawn and again in the morning.
RAIN_PEAKS = (Burst(1.5, 0.4, 10.0), Burst(5.0, 0.4, 12.0))
RAIN_HOURS = 8.0  # the rest of the reports come over the first 8 hours
FIELD_WAVES_H = (3.0, 11.0, 26.0)  # 05:00, 13:00 and 04:00 the next day
FIELDS_PER_WAVE = 4
FIELD_WAVE_SPREAD_MIN = 10.0  # villages call within minutes of each other


def burst_schedule(
    n: int, rng: random.Random, *, peaks: Sequence[Burst] = RAIN_PEAKS, hours: float = RAIN_HOURS
) -> list[float]:
    """When ``n`` waterlogging reports come, seconds after the start, in order.

    Each peak takes ``round(share × n)`` reports, spread evenly at random
    within ``spread_min`` minutes after ``at_h``; the others come at random
    over the first ``hours``. Raises ``ValueError`` if the shares exceed 1.
    """
    if n < 0 or hours <= 0:
        raise ValueError("n must be >= 0 and hours positive")
    if sum(p.share for p in peaks) > 1 + 1e-9:
        raise ValueError("the peaks' shares add up to more than 1")
    times = []
    for peak in peaks:
        k = min(round(peak.share * n), n - len(times))
        times += [peak.at_h * HOUR + rng.uniform(0, peak.spread_min * 60) for _ in range(k)]
    times += [rng.uniform(0, hours * HOUR) for _ in range(n - len(times))]
    return sorted(times)


def field_schedule(
    fields: int,
    rng: random.Random,
    *,
    waves_h: Sequence[float] = FIELD_WAVES_H,
    per_wave: int = FIELDS_PER_WAVE,
    spread_min: float = FIELD_WAVE_SPREAD_MIN,
) -> list[float]:
    """When ``fields`` villages ask for hands: up to ``per_wave`` fields within
    ``spread_min`` minutes of each wave, seconds after the start, in order;
    fields beyond the last wave come a day after the one before."""
    if fields < 0 or per_wave < 1 or not waves_h:
        raise ValueError("fields must be >= 0, per_wave >= 1 and there must be a wave")
    times = []
    for n in range(fields):
        wave = n // per_wave
        at_h = (
            waves_h[wave] if wave < len(waves_h) else waves_h[-1] + 24 * (wave - len(waves_h) + 1)
        )
        times.append(at_h * HOUR + rng.uniform(0, spread_min * 60))
    return sorted(times)


_STREET_WATER = (
    "{name}路口积水，车辆无法通行",
    "{name}小区地下车库进水",
    "{name}低洼处积水没过膝盖",
    "{name}排水口堵塞，积水严重",
)
_TRAPPED = "{name}积水严重，有老人被困家中，请尽快救援"
_FIELD = "{name}土豆地被淹约{mu:.0f}亩，土豆再泡就要烂在地里，急需人手抢收"


@dataclass(frozen=True)
class Report:
    """A report the scenario will post at ``at_s`` simulated seconds."""

    at_s: float
    kind: str  # "water" or "field"
    service_code: str
    place: Place
    description: str
    channel: str
    attributes: dict = field(default_factory=dict)
    area_mu: float = 0.0


def timeline(
    jiaoxi: list[Place], city: list[Place], rng: random.Random, *, fields: int = 10, water: int = 40
) -> list[Report]:
    """The reports of the flood, in time order.

    ``water`` waterlogging reports over the first 8 hours, most of them in
    bursts of minutes at the two peaks of the rain (``burst_schedule``), most
    in 胶西, a few of them urgent (someone trapped); ``fields`` potato fields in
    胶西 asking for hands, up to four at once (``field_schedule``), 3,000 mu
    each on average (ten fields: the 30,000 mu of the June flood, and about
    150 helpers).
    """
    if not jiaoxi:
        raise ValueError(f"no grids in {JIAOXI}: the flood scenario needs the demo county")
    reports = []
    for n, at in enumerate(burst_schedule(water, rng)):
        place = rng.choice(jiaoxi if rng.random() < 0.7 else city)
        trapped = n % 9 == 4
        text = (_TRAPPED if trapped else rng.choice(_STREET_WATER)).format(name=place.name)
        attributes = {
            "depth": "waist" if trapped else rng.choice(["ankle", "knee", "knee"]),
            "people_trapped": "yes" if trapped else "no",
        }
        reports.append(
            Report(
                at,
                "water",
                "waterlogging",
                place,
                text,
                rng.choice(["app", "sensor", "hotline", "patrol"]),
                attributes,
            )
        )
    villages = [p for p in jiaoxi if "村" in p.name] or jiaoxi
    shares = [rng.uniform(0.6, 1.4) for _ in range(fields)]
    places = rng.sample(villages, min(fields, len(villages)))
    for n, (place, at) in enumerate(zip(places, field_schedule(len(places), rng), strict=True)):
        mu = MU_PER_FIELD * fields * shares[n] / sum(shares)
        helpers = max(8, min(20, round(mu / 200)))
        reports.append(
            Report(
                at,
                "field",
                "farm_help",
                place,
                _FIELD.format(name=place.name, mu=mu),
                "patrol",
                {"crop": "土豆", "area_mu": round(mu), "helpers_needed": helpers},
                area_mu=mu,
            )
        )
    return sorted(reports, key=lambda r: r.at_s)


@dataclass(frozen=True)
class DaylightClock:
    """The replay's clock in China time: ``start_hour`` local when it starts,
    fieldwork from ``day_start`` to ``day_end`` (hours, local)."""

    start_hour: float = 2.0
    day_start: float = 6.0
    day_end: float = 19.0

    def __post_init__(self) -> None:
        if not (0 <= self.start_hour < 24 and 0 <= self.day_start < self.day_end <= 24):
            raise ValueError("hours must lie within a day and the working day must not be empty")

    def _local_s(self, sim_s: float) -> float:
        """Seconds since midnight of day 1, local time."""
        return self.start_hour * HOUR + sim_s

    def label(self, sim_s: float) -> str:
        """``第N天 HH:MM``, local time."""
        local = self._local_s(sim_s)
        day, rest = divmod(int(local), int(DAY))
        return f"第{day + 1}天 {rest // 3600:02d}:{rest % 3600 // 60:02d}"

    def is_daylight(self, sim_s: float) -> bool:
        hour = self._local_s(sim_s) % DAY / HOUR
        return self.day_start <= hour < self.day_end

    def work_seconds(self, a_s: float, b_s: float) -> float:
        """Seconds of working daylight between simulated times ``a_s`` and ``b_s``."""
        if b_s <= a_s:
            return 0.0
        a, b = self._local_s(a_s), self._local_s(b_s)
        total = 0.0
        for day in range(int(a // DAY), int(b // DAY) + 1):
            lo, hi = day * DAY + self.day_start * HOUR, day * DAY + self.day_end * HOUR
            total += max(0.0, min(b, hi) - max(a, lo))
        return total

    def after_work(self, a_s: float, work_s: float) -> float:
        """The simulated time when ``work_s`` seconds of daylight work begun at
        ``a_s`` are done (nights skipped)."""
        if work_s < 0 or not math.isfinite(work_s):
            raise ValueError("work_s must be a finite number >= 0")
        local = self._local_s(a_s)
        left = work_s
        day = int(local // DAY)
        while True:
            lo, hi = day * DAY + self.day_start * HOUR, day * DAY + self.day_end * HOUR
            start = max(local, lo)
            if start < hi:
                if start + left <= hi:
                    return start + left - self.start_hour * HOUR
                left -= hi - start
            day += 1


def helped_sales_t(helpers: int, harvest_t: float, rng: random.Random) -> float:
    """Tonnes the cadres helped sell from one field: each helper's channels
    take ``HELPED_T_PER_CADRE`` tonnes in the week, never more than the harvest."""
    if helpers < 0 or harvest_t < 0:
        raise ValueError("helpers and harvest_t must be >= 0")
    return min(harvest_t, sum(rng.uniform(*HELPED_T_PER_CADRE) for _ in range(helpers)))


# ------------------------------------------------------------------ outcome


@dataclass(frozen=True)
class Followed:
    """One report as the replay followed it (simulated seconds)."""

    reported_s: float
    needed: int  # hands asked for
    arrivals_s: tuple[float, ...]  # when each cadre sent to it arrived
    resolved_s: float | None  # None: not resolved when the replay ended


@dataclass(frozen=True)
class Batch:
    """One planning round: how many incidents competed, and both plans' totals."""

    incidents: int
    optimal_s: float  # total priority-weighted arrival time, s
    greedy_s: float
    optimal_filled: int
    greedy_filled: int


@dataclass(frozen=True)
class Outcome:
    reports: int
    contacted_1h: int  # first cadre on site within an hour of the report
    hands_needed: int
    hands_24h: int  # cadres on site within 24 h of the report, at most those asked for
    resolved: int
    median_resolve_h: float | None
    batches: int
    contested: int  # batches with more than one incident
    gained: int  # batches where the optimal plan used less weighted time than greedy
    gain_pct: float | None  # over the batches where both filled as many slots
    extra_filled: int  # slots the optimal plan filled beyond greedy's, in all


def outcome(reports: Sequence[Followed], batches: Sequence[Batch]) -> Outcome:
    """The response's figures: contact, hands, time to resolve, the plan's gain."""
    contacted = sum(1 for r in reports if r.arrivals_s and min(r.arrivals_s) - r.reported_s <= HOUR)
    needed = sum(r.needed for r in reports)
    met = sum(
        min(r.needed, sum(1 for a in r.arrivals_s if a - r.reported_s <= DAY)) for r in reports
    )
    spans = [(r.resolved_s - r.reported_s) / HOUR for r in reports if r.resolved_s is not None]
    same = [b for b in batches if b.optimal_filled == b.greedy_filled]
    greedy = sum(b.greedy_s for b in same)
    return Outcome(
        reports=len(reports),
        contacted_1h=contacted,
        hands_needed=needed,
        hands_24h=met,
        resolved=len(spans),
        median_resolve_h=statistics.median(spans) if spans else None,
        batches=len(batches),
        contested=sum(1 for b in batches if b.incidents > 1),
        gained=sum(1 for b in batches if b.optimal_s < b.greedy_s - 1e-6),
        gain_pct=(greedy - sum(b.optimal_s for b in same)) / greedy * 100 if greedy else None,
        extra_filled=sum(b.optimal_filled - b.greedy_filled for b in batches),
    )


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole * 100:.1f}%)" if whole else "0/0 (—)"


def outcome_lines(o: Outcome) -> list[str]:
    """The outcome as the replay prints it at the end, Chinese first."""
    median = f"{o.median_resolve_h:.1f} 小时 h" if o.median_resolve_h is not None else "— (无办结)"
    gain = "无可比批次 no comparable batch" if o.gain_pct is None else f"{o.gain_pct:.1f}%"
    zero = o.batches - o.gained
    return [
        f"1小时内首次联系（首位干部到场） contacted within 1 h: {_pct(o.contacted_1h, o.reports)}",
        f"24小时内到位人手 headcount met within 24 h: {_pct(o.hands_24h, o.hands_needed)}",
        f"办结用时中位数 median time to resolve: {median}（{o.resolved} 件办结 resolved）",
        f"最优方案比就近派遣少用时 optimal plan's gain over greedy: {gain}"
        f"（同等补人批次合计 over batches filling alike; {o.batches} 批 batches, "
        f"{o.contested} 批多件竞争 contested, {o.gained} 批有收益 gained, "
        f"{zero} 批无收益 no gain; 多补人手 extra hands {o.extra_filled}）",
    ]
