"""What an import's dry run tells the user: its findings a line each for the
terminal, ending with one verdict ("ready to import" only when nothing would
refuse the file), and every problem as a table for ``--problems FILE``.
Boundary files (``services.boundary_import``) and tables
(``services.table_import``) alike.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from services.boundary_import import ImportCheck, fit_line
from services.table_import import TableCheck

READY = "ready to import"  # the verdict line when nothing refuses the file
PROBLEM_LIMIT = 20  # problems listed on the terminal; --problems FILE takes them all


def report_lines(
    check: ImportCheck,
    lang: str = "en",
    *,
    preview: dict | None = None,
    accept_repairs: bool = True,
    limit: int = PROBLEM_LIMIT,
) -> list[str]:
    """The dry run's findings, a line each, for the terminal, ending with the
    verdict: "ready to import" only when nothing refuses the file, neither
    its checks, nor ``preview``'s ``blocked``, nor repairs not accepted."""
    lines = [
        f"{check.rows:,} {check.kind} read; columns: "
        + ", ".join(f"{k}={v}" for k, v in check.mapping.items() if v)
    ]
    lines += [en if lang != "zh" else zh for en, zh in check.notes]
    if check.refusals:
        for refusal in check.refusals:
            lines.append(refusal.text(lang))
            if refusal.kind == "no_crs":
                lines += [
                    f"  EPSG:{g.epsg}  {g.name}  ({g.distance_km:,.0f} km from the city)"
                    for g in check.guesses[:5]
                ] or ["  none fits: give --crs"]
        lines.append(f"{len(check.refusals)} problem(s) with the file: nothing can be imported")
        return lines
    if check.fit is not None and check.gcj02 is not None:
        lines.append(fit_line(check.fit, lang))
    problems = check.result.problems
    counts = Counter(p.kind for p in problems)
    lines.append(
        "problems: " + (", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none")
    )
    lines += [f"  {p.kind}: {p.message}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  … and {len(problems) - limit:,} more (--problems FILE writes them all)")
    lines.append(_verdict(check, preview, accept_repairs))
    return lines


def _verdict(check: ImportCheck, preview: dict | None, accept_repairs: bool) -> str:
    if check.result.blocking:
        return f"{len(check.result.blocking)} blocking problem(s): nothing can be imported"
    if preview and preview.get("blocked"):
        return f"{preview['blocked']}: nothing can be imported"
    repaired = check.result.count("repaired")
    if repaired and not accept_repairs:
        return (
            f"{repaired} shapes were repaired (listed above): look at them, then run "
            "again with --accept-repairs; nothing can be imported until then"
        )
    return READY


def problem_table(check) -> pd.DataFrame:
    """Every problem of a checked file or table, a row each, for --problems FILE."""
    if isinstance(check, TableCheck):
        return pd.DataFrame(
            [
                {
                    "row": p.row,
                    "kind": p.kind,
                    "blocking": p.blocking,
                    "message": p.message,
                    "message_zh": p.zh,
                }
                for p in check.check.problems
            ],
            columns=["row", "kind", "blocking", "message", "message_zh"],
        )
    if check.result is None:
        rows = [
            {
                "kind": r.kind,
                "codes": "",
                "area_m2": None,
                "blocking": True,
                "message": r.message,
                "message_zh": r.zh,
            }
            for r in check.refusals
        ]
    else:
        blocking = check.result.BLOCKING
        rows = [
            {
                "kind": p.kind,
                "codes": " / ".join(p.codes),
                "area_m2": None if p.area_m2 is None else round(p.area_m2, 1),
                "blocking": p.kind in blocking,
                "message": p.message,
                "message_zh": "",
            }
            for p in check.result.problems
        ]
    return pd.DataFrame(
        rows, columns=["kind", "codes", "area_m2", "blocking", "message", "message_zh"]
    )


def table_report_lines(
    found: TableCheck, lang: str = "en", *, limit: int = PROBLEM_LIMIT
) -> list[str]:
    """A checked table's findings, a line each, for the terminal."""
    lines = [
        f"{found.rows:,} rows of {found.kind} read; columns: "
        + ", ".join(f"{k}={v}" for k, v in found.mapping.items() if v)
    ]
    if found.check.new_departments:
        lines.append(
            "new departments (created on import): " + "、".join(found.check.new_departments)
        )
    counts = Counter(p.kind for p in found.check.problems)
    lines.append(
        "problems: " + (", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none")
    )
    problems = found.check.problems
    lines += [
        f"  row {p.row}: {p.text(lang)}" if p.row else f"  {p.text(lang)}" for p in problems[:limit]
    ]
    if len(problems) > limit:
        lines.append(f"  … and {len(problems) - limit:,} more (--problems FILE writes them all)")
    blocking = sum(p.blocking for p in problems)
    lines.append(
        f"{blocking} blocking problem(s): nothing can be imported"
        if blocking
        else "ready to import"
    )
    return lines
