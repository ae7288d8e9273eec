"""Which cadres to send to one incident, best first, each with the reason in words.

Cadres are ranked by a score in seconds-equivalent: the estimated arrival time
(``domain.travel``) adjusted by three explicit, explainable terms:

* ``PAIRED_BONUS_S`` (5 min) off if the cadre's department is paired (结对) with
  the incident's town: paired departments know the place and are accountable
  for it, worth a few minutes more of travel;
* ``MISSING_SKILL_PENALTY_S`` (10 min) on if the category needs skills and the
  cadre has none of them (any one of the category's skills counts as a match:
  a flood needs flood control *or* drainage hands);
* ``WORKLOAD_PENALTY_S`` (2 min) on per task the cadre has already handled
  (today, or whatever window the caller counts), to share the work fairly.

So a paired cadre 4 minutes further away still ranks first, and an unskilled
cadre must be more than 10 minutes nearer to beat a skilled one. Only available
cadres with a known position are considered. Ties go to the shorter arrival
time, then the smaller cadre id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from domain.categories import BY_CODE, SKILLS
from domain.errors import InvalidInput
from domain.travel import DEFAULT_MODEL, TravelModel, modes_for_roles

PAIRED_BONUS_S = 300.0
MISSING_SKILL_PENALTY_S = 600.0
WORKLOAD_PENALTY_S = 120.0

CADRE_COLUMNS = ("id", "name", "role", "department_id", "skills", "status", "lon", "lat")
PAIRING_COLUMNS = ("department_id", "town_code")
LANGS = ("zh", "en")


@dataclass(frozen=True)
class Recommendation:
    """One cadre proposed for an incident.

    ``eta_s`` is the travel time in seconds, ``distance_m`` the estimated ground
    distance in metres, ``score`` the ranking value in seconds-equivalent (lower
    is better) and ``reason`` the explanation shown to the operator.
    """

    cadre_id: int
    name: str
    eta_s: float
    distance_m: float
    paired: bool
    skill_match: bool
    workload: int
    score: float
    reason: str

    def to_dict(self) -> dict:
        """Plain JSON-ready values."""
        return asdict(self)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise InvalidInput naming the columns ``frame`` lacks."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"{what} must be a DataFrame, not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{what} lack columns: {', '.join(missing)}")


def available_cadres(cadres: pd.DataFrame) -> pd.DataFrame:
    """The cadres with status ``available`` and a finite position (WGS84 lon, lat)."""
    lon = pd.to_numeric(cadres["lon"], errors="coerce")
    lat = pd.to_numeric(cadres["lat"], errors="coerce")
    placed = np.isfinite(lon.to_numpy(float)) & np.isfinite(lat.to_numpy(float))
    keep = (cadres["status"] == "available").to_numpy() & placed
    out = cadres.loc[keep].copy()
    out["lon"], out["lat"] = lon[keep].astype(float), lat[keep].astype(float)
    if out["id"].duplicated().any():
        raise InvalidInput("cadre ids must be unique")
    return out.reset_index(drop=True)


def pairing_set(pairings: pd.DataFrame | None) -> set[tuple[int, str]]:
    """The (department id, town code) pairs of a pairings frame; empty for None."""
    if pairings is None:
        return set()
    require_columns(pairings, PAIRING_COLUMNS, "pairings")
    return {
        (int(d), str(t))
        for d, t in zip(pairings["department_id"], pairings["town_code"], strict=True)
        if pd.notna(d) and pd.notna(t)
    }


def paired_mask(department_ids: Iterable, town_code, pairs: set[tuple[int, str]]) -> np.ndarray:
    """True where a cadre's department is paired with ``town_code``."""
    if not isinstance(department_ids, np.ndarray | pd.Series | pd.Index):
        department_ids = list(department_ids)
    departments = pd.Series(np.asarray(department_ids, dtype=object), dtype=object)
    if town_code is None or pd.isna(town_code) or not len(departments):
        return np.zeros(len(departments), dtype=bool)
    town = str(town_code)
    paired = {d for d, t in pairs if t == town}
    return pd.to_numeric(departments, errors="coerce").isin(paired).to_numpy(dtype=bool)


def skill_sets(skills: Iterable) -> list[frozenset[str]]:
    """Each cadre's skills from the comma-separated column (empty for missing)."""
    return [
        frozenset(s.strip() for s in str(value).split(",") if s.strip())
        if isinstance(value, str)
        else frozenset()
        for value in skills
    ]


def _incident_point(incident: Mapping) -> tuple[float, float]:
    try:
        lon, lat = float(incident["lon"]), float(incident["lat"])
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput("incident needs a numeric lon and lat (WGS84 degrees)") from error
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput("incident needs a finite lon and lat (WGS84 degrees)")
    return lon, lat


def _reason(rec: dict, needed: tuple[str, ...], lang: str) -> str:
    minutes = max(1, round(rec["eta_s"] / 60))
    km = f"{rec['distance_m'] / 1000:.1f} km"
    zh = lang == "zh"
    parts = []
    if rec["paired"]:
        parts.append("结对单位" if zh else "paired department")
    if needed:
        if rec["skill_match"]:
            parts.append("技能匹配" if zh else "skills match")
        else:
            names = [SKILLS.get(s, (s, s))[0 if zh else 1] for s in needed]
            parts.append("缺少技能: " + "/".join(names) if zh else "lacks " + " or ".join(names))
    parts.append(km)
    parts.append(f"约 {minutes} 分钟" if zh else f"about {minutes} min")
    parts.append(f"已处置 {rec['workload']} 件" if zh else f"{rec['workload']} handled")
    return ", ".join(parts)


def recommend(
    incident: Mapping,
    cadres: pd.DataFrame,
    pairings: pd.DataFrame | None,
    workload: Mapping[int, int] | pd.Series | None = None,
    *,
    model: TravelModel = DEFAULT_MODEL,
    limit: int = 5,
    lang: str = "zh",
) -> list[Recommendation]:
    """The best available cadres for one incident, best first.

    Parameters
    ----------
    incident : mapping
        An incident row (dict or Series) with ``category``, ``lon`` and ``lat``
        (WGS84 degrees) and, for pairing, ``town_code``.
    cadres : DataFrame
        As ``Store.cadres()``: id, name, role, department_id, skills
        (comma-separated), status, lon, lat (WGS84). Others are ignored.
    pairings : DataFrame or None
        As ``Store.pairings()``: department_id, town_code.
    workload : mapping or Series of cadre id to int, optional
        Tasks each cadre has handled already (missing ids count 0).
    model : TravelModel
        The travel model (anything with its ``matrix`` method).
    limit : int
        At most this many recommendations, >= 1.
    lang : {"zh", "en"}
        Language of the reasons.

    Returns
    -------
    list of Recommendation
        Ranked by score (see the module docstring); empty if nobody is available.

    Raises
    ------
    InvalidInput
        Missing columns, unknown category, no position, bad limit or language.
    """
    require_columns(cadres, CADRE_COLUMNS, "cadres")
    if lang not in LANGS:
        raise InvalidInput(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    if isinstance(limit, bool) or not isinstance(limit, int | np.integer) or limit < 1:
        raise InvalidInput(f"limit must be a positive integer, not {limit!r}")
    category = BY_CODE.get(incident.get("category"))
    if category is None:
        raise InvalidInput(f"unknown category {incident.get('category')!r}")
    point = _incident_point(incident)
    pairs = pairing_set(pairings)
    pool = available_cadres(cadres)
    if pool.empty:
        return []

    seconds, metres = model.matrix(
        pool[["lon", "lat"]].to_numpy(), [point], modes_for_roles(pool["role"])
    )
    eta, dist = seconds[:, 0], metres[:, 0]
    paired = paired_mask(pool["department_id"], incident.get("town_code"), pairs)
    needed = category.skills
    skilled = np.ones(len(pool), dtype=bool)
    if needed:  # per distinct skills text, not per cadre
        codes, texts = pd.factorize(pool["skills"])  # missing skills are -1: none
        match = [bool(s & set(needed)) for s in skill_sets(texts)]
        skilled = np.array([*match, False], dtype=bool)[codes]
    load = np.zeros(len(pool), dtype=int)
    if workload is not None:
        counts = pd.to_numeric(pool["id"].map(workload), errors="coerce")
        load = counts.fillna(0).to_numpy(dtype=float).astype(int)
    score = (
        eta
        - PAIRED_BONUS_S * paired
        + MISSING_SKILL_PENALTY_S * ~skilled
        + WORKLOAD_PENALTY_S * load
    )
    ids = pool["id"].to_numpy()
    order = np.lexsort((ids, eta, score))[:limit]

    out = []
    for k in order:
        rec = {
            "cadre_id": int(ids[k]),
            "name": str(pool["name"].iloc[k]),
            "eta_s": float(eta[k]),
            "distance_m": float(dist[k]),
            "paired": bool(paired[k]),
            "skill_match": bool(skilled[k]),
            "workload": int(load[k]),
            "score": float(score[k]),
        }
        out.append(Recommendation(**rec, reason=_reason(rec, needed, lang)))
    return out
