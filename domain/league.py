"""The league table of department–town pairs (结对单位), ranked on the 三率.

Each town is paired with a few city departments, and the city ranks each pair
on how the town's residents were served in the matters that department takes
on. An incident counts for the paired department whose cadres bring the
category's skills (most cadres with those skills; ties to the lower id); a
category none of the pairs covers stays with the town itself and counts for
no pair. Pure: frames in, frames out.
"""

from __future__ import annotations

import pandas as pd

from domain.categories import CATEGORIES
from domain.review_metrics import LEAGUE_METRICS, unit_metrics, zero_counts


def department_skills(cadres: pd.DataFrame) -> pd.DataFrame:
    """Cadres per department and skill: columns department_id, skill, cadres."""
    with_dept = cadres.dropna(subset=["department_id"])
    skills = with_dept.assign(skill=with_dept["skills"].fillna("").str.split(","))
    skills = skills.explode("skill")
    skills = skills[skills["skill"].astype(str).str.len() > 0]
    counted = skills.groupby(["department_id", "skill"]).size().rename("cadres").reset_index()
    counted["department_id"] = counted["department_id"].astype(int)
    return counted


def responsible_pairs(pairings: pd.DataFrame, skills: pd.DataFrame) -> pd.DataFrame:
    """For each town and category, the paired department that answers for it.

    Returns columns town_code, category, department_id (only where one exists).
    """
    rows = []
    by_town = pairings.groupby("town_code")["department_id"].agg(sorted)
    per_dept = skills.groupby("department_id")
    strength = {d: dict(zip(g["skill"], g["cadres"], strict=True)) for d, g in per_dept}
    for town, departments in by_town.items():
        for category in CATEGORIES:
            best, best_score = None, 0
            for dept in departments:
                have = strength.get(int(dept), {})
                score = sum(have.get(s, 0) for s in category.skills)
                if score > best_score:
                    best, best_score = int(dept), score
            if best is not None:
                rows.append((town, category.code, best))
    return pd.DataFrame(rows, columns=["town_code", "category", "department_id"])


def league_table(
    incidents: pd.DataFrame, flags: pd.DataFrame, pairings: pd.DataFrame, responsible: pd.DataFrame
) -> pd.DataFrame:
    """Every pair of ``pairings`` with its figures, best first.

    Ranked on the mean of the four rates (response, closure, satisfaction,
    on-time) that it has; pairs with nothing in the period are listed last
    with empty rates.
    Returns pairing columns plus FIGURES, ``score`` and ``rank``.
    """
    attributed = incidents[["town_code", "category"]].merge(
        responsible, on=["town_code", "category"], how="left"
    )
    attributed.index = incidents.index
    figures = unit_metrics(
        attributed.dropna(subset=["department_id"]).astype({"department_id": int}),
        flags,
        ["department_id", "town_code"],
    )
    table = pairings.merge(figures.reset_index(), on=["department_id", "town_code"], how="left")
    zero_counts(table)
    # The mean of the rates there are: a pair whose reports are not yet rated
    # is still ranked on the others; a pair with nothing has no score.
    table["score"] = table[list(LEAGUE_METRICS)].mean(axis=1, skipna=True)
    table.loc[table["incidents"] == 0, "score"] = float("nan")
    table = table.sort_values(
        ["score", "incidents"], ascending=[False, False], na_position="last", kind="stable"
    ).reset_index(drop=True)
    table.insert(0, "rank", pd.array(range(1, len(table) + 1), dtype="Int64"))
    table.loc[table["score"].isna(), "rank"] = pd.NA
    return table
