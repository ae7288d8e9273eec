"""What the flood replay follows (``scenario.flood``): each incident or field
task it reported, the cadres' trips to it, the harvest each field has
reported so far, and the tally the replay prints at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scenario.flood_model import YIELD_T_PER_MU, YUAN_PER_TONNE, Batch, Followed, Report


@dataclass
class Trip:
    """A cadre sent to a task: where from, where to, how long the way takes,
    and the assignment as the cadre's phone knows it."""

    cadre_id: int
    start: tuple[float, float]
    end: tuple[float, float]
    eta_s: float
    sent_s: float
    dispatch_id: int | None = None  # the task on the cadre's phone
    arrived: bool = False


@dataclass
class Task:
    """One of the scenario's incidents, as the scenario follows it."""

    public_id: str
    report: Report
    trips: dict[int, Trip] = field(default_factory=dict)
    done_mu: float = 0.0
    on_site_s: float = 0.0
    closed: bool = False
    task_id: int | None = None  # the event's task (fields only)
    reported_mu: float = 0.0  # harvest already reported to the event
    reported_at_s: float = 0.0
    resolved_s: float | None = None

    def wanted(self) -> int:
        """The hands the report asked for (one unless it said)."""
        return int(self.report.attributes.get("helpers_needed", 1))

    def is_short(self) -> bool:
        """Whether fewer cadres were sent than it asked for."""
        return len(self.trips) < self.wanted()

    def followed(self) -> Followed:
        arrivals = tuple(t.sent_s + t.eta_s for t in self.trips.values())
        return Followed(self.report.at_s, self.wanted(), arrivals, self.resolved_s)


@dataclass
class Tally:
    """What the replay counted, for its summary and the outcome."""

    reports: int = 0
    dispatched: int = 0
    closed: int = 0
    harvested_mu: float = 0.0
    sold_t: float = 0.0
    refused: int = 0
    sales_yuan: float = 0.0
    checkins: int = 0
    report: dict | None = None  # the event's after-action report
    batches: list[Batch] = field(default_factory=list)  # the planning rounds


def harvest_report(task: Task, mu: float, sold_t: float) -> dict:
    """What a field reports: the mu and tonnes since its last report, and sales."""
    added = max(0.0, mu - task.reported_mu)
    done = {"area_mu": round(added, 1), "tonnes": round(added * YIELD_T_PER_MU, 1)}
    if sold_t:
        done["sales_yuan"] = round(sold_t * YUAN_PER_TONNE)
    return {k: v for k, v in done.items() if v > 0}
