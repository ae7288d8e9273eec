"""Breach risk on the dispatch console: the queue's column, its notice, the detail's words.

The figures come from ``services.predictions`` (the model trained from the
store's history); here they become what an operator reads: a percentage, a
notice saying why there is none, and the two or three factors that drive
one incident's risk in plain words of either language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from dash import html

from dashboard.i18n import t
from domain.categories import CHANNELS, PRIORITIES, category_name
from domain.lifecycle import OPEN_STATUSES
from layers.timefmt import local_text
from services import predictions

HIGH = 50.0  # per cent: marked as the alarm in the queue (the wall counts these as at risk)
MID = 30.0  # per cent: marked as a warning
_DAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_DAY_CODES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def queue_risk(store, frame: pd.DataFrame, now, lang: str) -> tuple[pd.DataFrame, html.Span]:
    """The risk of each open incident of ``frame`` and the notice above the queue.

    Returns
    -------
    (DataFrame indexed like ``frame``, str)
        ``risk`` in per cent (None where there is no figure: no model, a
        closed or parked incident) and ``risk_why`` (its factors in words, for
        the cell's hover card); the notice says which model gave the figures,
        or why there are none.
    """
    state = predictions.model_state(store)
    out = pd.DataFrame({"risk": None, "risk_why": ""}, index=frame.index, dtype=object)
    open_rows = frame[frame["status"].isin(OPEN_STATUSES)]
    risks = predictions.risk_of_open(store, open_rows, now) if len(open_rows) else None
    if risks is None:
        return out, risk_note_view(state, lang)
    names = town_names(store, lang)
    for index, row in risks.iterrows():
        out.at[index, "risk"] = percent(row["risk"])
        out.at[index, "risk_why"] = " · ".join(
            factor_text(f, lang, names) for f in row["factors"] or []
        )
    return out, risk_note_view(state, lang)


def percent(risk) -> float | None:
    """A risk 0..1 as a percentage with one decimal; None for no figure."""
    if risk is None or pd.isna(risk) or not math.isfinite(float(risk)):
        return None
    return round(float(risk) * 100, 1)


def risk_note(state: Mapping | None, lang: str) -> str:
    """The line above the queue: which model fills the risk column, or why it is empty.

    ``state`` is ``services.predictions.model_state``: status None when no
    model was ever trained, 'thin' when the history was too thin to learn
    from or the model did not beat its baseline (``note`` says which).
    """
    status = (state or {}).get("status")
    if not status:
        return t("risk.none", lang)
    if status != "ok":
        return t("risk.thin", lang)
    at = local_text(pd.Series([state.get("trained_at")]), "%m-%d %H:%M").iloc[0]
    return t("risk.model", lang).format(at=at)


def risk_note_view(state: Mapping | None, lang: str) -> html.Span:
    """``risk_note`` with the model run's own note (its figures, or why it was
    not kept) as the hover text."""
    note = (state or {}).get("note") or None
    return html.Span(risk_note(state, lang), title=note)


def town_names(store, lang: str) -> dict[str, str]:
    """Town code → name in ``lang``."""
    towns = store.towns()
    names = towns["name"] if lang == "zh" or "name_en" not in towns else towns["name_en"]
    return dict(zip(towns["code"].astype(str), names.astype(str), strict=True))


def factor_text(factor: Mapping, lang: str, towns: Mapping[str, str] | None = None) -> str:
    """One factor of a risk in plain words, with ↑ when it raises the risk
    and ↓ when it lowers it: "类别：违章搭建 ↑", "已用时限 62% ↑"."""
    key, value, weight = factor.get("key"), factor.get("value"), factor.get("weight")
    i = 0 if lang == "zh" else 1
    if key == "category":
        shown = category_name(str(value), lang)
    elif key == "priority":
        shown = PRIORITIES.get(int(value), (str(value), str(value)))[i]
    elif key == "town":
        shown = (towns or {}).get(str(value), str(value))
    elif key == "channel":
        shown = CHANNELS.get(str(value), (str(value), str(value)))[i]
    elif key == "reported":
        shown = report_time(str(value), lang)
    elif key == "used":
        shown = f"{math.floor(round(float(value) * 100, 6))}%"  # 99.6 % used is not all
    elif key in ("overdue", "new_reports"):
        shown = f"{round(float(value), 1):g}"
    else:
        shown = str(value)
    words = t(f"risk.f.{key}", lang) if key else ""
    text = words.format(value=shown) if "{value}" in words else f"{key}: {shown}"
    if weight is None:
        return text
    return f"{text} {'↑' if float(weight) > 0 else '↓'}"


def report_time(value: str, lang: str) -> str:
    """A report time band ("Fri 15-18") in words: "周五 15–18 时" / "Fri 15–18 h"."""
    day, _, hours = value.partition(" ")
    if day in _DAY_CODES:
        day = _DAYS["zh" if lang == "zh" else "en"][_DAY_CODES.index(day)]
    hours = hours.replace("-", "–")
    return f"{day} {hours} {'时' if lang == 'zh' else 'h'}".strip()


def incident_risk(store, row: Mapping, now, lang: str) -> dict | None:
    """One incident's risk for its detail: ``figure`` (per cent, or None with
    a ``note`` saying why), ``factors`` [(words, raises)]; None when closed."""
    if row.get("status") not in OPEN_STATUSES:
        return None
    risks = predictions.risk_of_open(store, pd.DataFrame([dict(row)]), now)
    if risks is None:
        return {"figure": None, "note": risk_note(predictions.model_state(store), lang)}
    figure = percent(risks["risk"].iloc[0])
    if figure is None:
        return {"figure": None, "note": t("risk.no_figure", lang)}
    names = town_names(store, lang)
    factors = [
        (factor_text(f, lang, names), f.get("weight") is None or float(f["weight"]) > 0)
        for f in risks["factors"].iloc[0] or []
    ]
    return {"figure": figure, "factors": factors}


def risk_section(risk: Mapping | None, lang: str) -> list:
    """The detail's risk: the figure and the factors that drive it, or the
    line saying why there is none (never a guess); nothing for closed work."""
    if risk is None:
        return []
    head = html.H3(t("risk.title", lang))
    if risk["figure"] is None:
        return [head, html.P(risk["note"], className="gc-muted")]
    factors = [
        html.Li(words, className="up" if raises else "down")
        for words, raises in risk.get("factors") or []
    ]
    figure = html.Span(
        f"{risk['figure']:.0f}%", className=f"gc-risk-figure {risk_class(risk['figure'])}"
    )
    drivers = (
        [
            html.Span(
                t("risk.drivers", lang) + ("：" if lang == "zh" else ": "), className="gc-muted"
            ),
            html.Ul(factors, className="gc-risk-factors"),
        ]
        if factors
        else []
    )
    return [head, html.Div([figure, *drivers], className="gc-risk")]


def risk_class(figure: float | None) -> str:
    """The class that marks a risk figure: alarm, warning or none."""
    if figure is None:
        return ""
    return "gc-risk-high" if figure >= HIGH else "gc-risk-mid" if figure >= MID else ""
