"""Mobilising cadres for a running event (力量调派), for the JSON API and the
/events screen: propose who to send to the event's tasks (paired departments
first, then neighbouring towns; ``domain.mobilisation``), show the proposal,
and send the ones the commander confirmed, all or none.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from domain.dispatch_work import remaining_need
from domain.errors import Conflict, InvalidInput
from domain.event_frames import text_or_none
from domain.lifecycle import OPEN_STATUSES
from domain.mobilisation import TIERS, Mobilisation, neighbour_towns, propose_mobilisation
from services.dispatch import assignments_from, iso_time
from services.events import affected_towns, city, is_active


@dataclass(frozen=True)
class Proposal:
    """A mobilisation proposal with what it was computed on."""

    mobilisation: Mobilisation
    work: pd.DataFrame  # the tasks still short of hands
    cadres: pd.DataFrame
    affected: list[str]
    neighbours: list[str]


def propose(
    store, event_id: int, *, include_rest: bool = False, max_travel_s: float = 2 * 3600
) -> Proposal:
    """Who to send to the event's tasks: paired departments, then neighbours."""
    event = store.event(event_id)
    if not is_active(event):
        raise Conflict(
            "the event has ended: nobody is mobilised for it any more",
            zh="该事件已经结束，不能再调派",
        )
    here = city(store)
    tasks = store.event_tasks(event_id)
    tasks = tasks[tasks["status"].isin(sorted(OPEN_STATUSES))]
    work = remaining_need(tasks, store.active_dispatches(tasks["id"].tolist()))
    cadres = store.cadres()
    affected = affected_towns(event, here.towns)
    neighbours = neighbour_towns(here.towns, affected)
    plan = propose_mobilisation(
        work,
        cadres,
        store.pairings(),
        affected=affected,
        neighbours=neighbours,
        include_rest=include_rest,
        max_travel_s=max_travel_s,
    )
    return Proposal(plan, work, cadres, affected, neighbours)


def proposal_payload(proposal: Proposal, store, lang: str = "zh", *, phones: bool = False) -> dict:
    """The proposal as JSON: rows to confirm, counts, arrivals, unmet, left thin.

    With ``phones`` (a caller who may see contacts and dispatch) each row has
    the cadre's mobile number, for the invite of their phone."""
    plan, work = proposal.mobilisation, proposal.work.set_index("id")
    people = proposal.cadres.set_index("id")
    names = dict(zip(store.departments()["id"], store.departments()["name"], strict=True))
    town_names = dict(zip(city(store).towns["code"], city(store).towns["name"], strict=True))
    rows = []
    for a in plan.assignments.itertuples(index=False):
        task, cadre = work.loc[a.incident_id], people.loc[a.cadre_id]
        rows.append(
            {
                "incident": task["public_id"],
                "incident_id": int(a.incident_id),
                "task": task["description"],
                "cadre_id": int(a.cadre_id),
                "cadre_name": cadre["name"],
                "role": cadre["role"],
                "department": text_or_none(cadre.get("department")),
                "town": town_names.get(text_or_none(cadre.get("town_code"))),
                "tier": a.tier,
                "tier_name": TIERS[a.tier][0 if lang == "zh" else 1],
                "eta_s": round(float(a.eta_s), 1),
                "distance_m": round(float(a.distance_m)),
                "position_at": iso_time(cadre["position_at"]),
                "from": [float(cadre["lon"]), float(cadre["lat"])],
                "to": [float(task["lon"]), float(task["lat"])],
            }
        )
        if phones:
            rows[-1]["cadre_phone"] = text_or_none(cadre.get("phone"))
    eta = plan.assignments["eta_s"].astype(float) if len(plan.assignments) else pd.Series([0.0])
    thin = []
    for r in plan.thin.to_dict("records"):
        name = names.get(r["code"]) if r["unit"] == "department" else town_names.get(r["code"])
        thin.append(
            {**{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}, "name": name}
        )
    town_cadres = "（镇街干部）" if lang == "zh" else " (town)"
    sent_from = [
        text_or_none(people.loc[c].get("department"))
        or f"{town_names.get(text_or_none(people.loc[c].get('town_code')), '—')}{town_cadres}"
        for c in plan.assignments["cadre_id"]
    ]
    by_department = pd.Series(sent_from, dtype=object).value_counts()
    unmet = [
        {"incident": work.loc[k, "public_id"], "task": work.loc[k, "description"], "missing": v}
        for k, v in sorted(plan.unmet.items())
    ]
    return {
        "assignments": rows,
        "needed": plan.needed,
        "filled": plan.filled,
        "unmet": unmet,
        "tiers": plan.tiers,
        "by_department": [{"department": k, "cadres": int(v)} for k, v in by_department.items()],
        "eta_p50_s": round(float(eta.median()), 1),
        "eta_max_s": round(float(eta.max()), 1),
        "affected_towns": [{"code": c, "name": town_names.get(c)} for c in proposal.affected],
        "neighbour_towns": [{"code": c, "name": town_names.get(c)} for c in proposal.neighbours],
        "left_thin": thin,
        **_versus_greedy(plan),
    }


def _versus_greedy(plan: Mobilisation) -> dict:
    """The proposal beside the same tiers filled nearest-first by hand."""
    best, hand = plan.total_weighted_s, plan.greedy_weighted_s
    return {
        "optimal": {"filled": plan.filled, "total_weighted_s": round(best, 1)},
        "greedy": {"filled": plan.greedy_filled, "total_weighted_s": round(hand, 1)},
        "gain_vs_greedy_pct": round((hand - best) / hand * 100, 1) if hand else 0.0,
    }


def mobilise(store, event_id: int, items: object, *, actor: str) -> list[int]:
    """Send the confirmed cadres to the event's tasks, all or none.

    Every assignment must be to a task of this active event; a cadre already
    on an assignment makes the whole confirmation fail (409), nothing sent.
    Each cadre sent is told ("mobilise") in the same transaction.
    """
    event = store.event(event_id)
    if not is_active(event):
        raise Conflict(
            "the event has ended: nobody is mobilised for it any more",
            zh="该事件已经结束，不能再调派",
        )
    assignments = assignments_from(items, store)
    own = set(store.event_tasks(event_id)["id"].astype(int))
    stray = [a.incident_id for a in assignments if int(a.incident_id) not in own]
    if stray:
        raise InvalidInput(
            f"incident {stray[0]} is not a task of event {event_id}",
            zh="所选事项不属于该事件的任务",
        )
    return store.dispatch(assignments, actor=actor, notice="mobilise")
