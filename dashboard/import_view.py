"""What the /admin/data page shows of an import: the column choices, the
preview, the problems, what importing would change, the progress, the log.

Builders of components and rows from the service's results; no callbacks.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard import ids
from dashboard.i18n import t
from domain.errors import InvalidInput
from services.imports import TABLE_KINDS, fields_of

# Aligned by hand: this table reads better laid out as a table.
KIND_NAMES = {"towns": ("镇街边界", "Towns"), "communities": ("社区（村）边界", "Communities"),
              "grids": ("网格边界", "Grids"), "cadres": ("干部花名册", "Cadre roster"),
              "pairings": ("部门包联关系", "Department pairings")}  # fmt: skip
# Aligned by hand: this table reads better laid out as a table.
FIELD_NAMES = {"code": ("编码", "code"), "name": ("名称", "name"),
               "parent_code": ("上级编码", "parent code"), "population": ("人口", "population"),
               "households": ("户数", "households"), "name_en": ("英文名", "English name"),
               "phone": ("手机", "phone"),
               "role": ("人员类别", "role"), "department": ("部门", "department"),
               "town": ("镇街", "town"), "grid": ("网格", "grid"), "skills": ("专长", "skills")}  # fmt: skip
# Aligned by hand: this table reads better laid out as a table.
PROBLEM_NAMES = {"repaired": ("已修复的图形", "repaired shape"),
                 "unrepairable": ("无法修复的图形", "unrepairable shape"),
                 "not_polygon": ("不是面", "not a polygon"),
                 "duplicate_code": ("编码重复", "duplicate code"),
                 "missing_code": ("缺少编码", "missing code"),
                 "overlap": ("相互重叠", "overlap"), "gap": ("覆盖空隙", "gap"),
                 "outside_parent": ("超出上级范围", "outside its parent"),
                 "unknown_parent": ("上级不存在", "unknown parent"),
                 "bad_number": ("数字列含文字", "text in a number column")}  # fmt: skip
# Aligned by hand: this table reads better laid out as a table.
COUNT_NAMES = {"added": ("新增", "added"), "updated": ("更新", "updated"),
               "unchanged": ("不变", "unchanged"), "removed": ("删除", "removed"),
               "kept_other_towns": ("保留（文件未涉及的镇街）", "kept (towns not in the file)"),
               "incidents_moved": ("事件改归新网格", "incidents moved"),
               "incidents_without_grid": ("事件不在任何网格内", "incidents left without a grid"),
               "workers_unassigned": ("网格员失去网格", "grid workers without a grid"),
               "grids_moved_town": ("网格随社区改属镇街", "grids moved with their community"),
               "not_in_file": ("花名册外的人员（保留）", "people not in the file (kept)"),
               "departments_created": ("新建部门", "departments created"),
               "pairs": ("包联关系", "pairs"), "restored": ("恢复", "restored")}  # fmt: skip


def name_of(names: dict, key: str, lang: str) -> str:
    pair = names.get(key)
    return key if pair is None else pair[0 if lang == "zh" else 1]


def kind_options(lang: str) -> list[dict]:
    return [{"label": name_of(KIND_NAMES, k, lang), "value": k} for k in KIND_NAMES]


def field_pickers(kind: str, columns: list[str], mapping: dict, lang: str) -> list:
    """One dropdown per field the kind can map, set to the guess."""
    options = [{"label": c, "value": c} for c in columns]
    return [
        html.Label(
            [
                html.Span(name_of(FIELD_NAMES, f, lang), className="gc-field-name"),
                dcc.Dropdown(
                    id={"type": ids.IMPORT_FIELD, "field": f},
                    options=options,
                    value=mapping.get(f),
                    placeholder=t("data.no_column", lang),
                    className="gc-dropdown gc-field-pick",
                ),
            ],
            className="gc-field",
        )
        for f in fields_of(kind)
    ]


def chosen_mapping(values: list, pickers: list[dict]) -> dict[str, str]:
    """Field -> column from the dropdowns' values and ids."""
    return {p["field"]: v for p, v in zip(pickers, values, strict=False) if v}


def gcj02_choice(ticked: list | None) -> bool | None:
    """The GCJ-02 boxes as ``check_file`` takes them: True undo the offset,
    False the file is not GCJ-02, None not said."""
    ticked = set(ticked or [])
    if {"gcj02", "not_gcj02"} <= ticked:
        raise InvalidInput(
            "tick 'undo GCJ-02' or 'not GCJ-02', not both",
            zh="“GCJ-02 纠偏”与“不是 GCJ-02”只能勾选一个",
        )
    return True if "gcj02" in ticked else False if "not_gcj02" in ticked else None


def crs_options(peek, lang: str) -> list[dict]:
    """The CRS choices: the file's own, else the likely ones, nearest first."""
    if peek.crs:
        return [{"label": t("data.file_crs", lang).format(crs=peek.crs), "value": ""}]
    return [
        {"label": f"EPSG:{g.epsg} {g.name}（{g.distance_km:,.0f} km）", "value": f"EPSG:{g.epsg}"}
        for g in peek.guesses[:6]
    ]


def problem_rows(found, lang: str) -> list[dict]:
    """Every problem, a row each, for the list beside the map."""
    if found.__class__.__name__ == "TableCheck":
        return [
            {
                "kind": p.kind,
                "where": str(p.row or ""),
                "area": "",
                "message": p.text(lang),
                "blocking": "是" if p.blocking else "",
            }
            for p in found.check.problems
        ]
    if found.result is None:
        return [
            {
                "kind": name_of(REFUSAL_NAMES, r.kind, lang),
                "where": "",
                "area": "",
                "message": r.text(lang),
                "blocking": t("data.blocks", lang),
            }
            for r in found.refusals
        ]
    blocking = found.result.BLOCKING
    return [
        {
            "kind": name_of(PROBLEM_NAMES, p.kind, lang),
            "where": " / ".join(p.codes),
            "area": "" if p.area_m2 is None else f"{p.area_m2:,.0f}",
            "message": problem_text(p, lang, found.kind),
            "blocking": t("data.blocks", lang) if p.kind in blocking else "",
        }
        for p in found.result.problems
    ]


# The checks' findings in Chinese; their English messages come with them.
# Aligned by hand: this table reads better laid out as a table.
PROBLEM_ZH = {"repaired": "{a} 的边界自相交，已自动修复，请核对",
              "unrepairable": "{a} 的边界无效且无法安全修复",
              "not_polygon": "{a} 不是面（点或线）", "duplicate_code": "编码 {a} 重复出现",
              "missing_code": "有要素缺少编码", "overlap": "{a} 与 {b} 重叠 {area} 平方米",
              "gap": "{a} 内有 {area} 平方米不属于任何{unit}",
              "outside_parent": "{a} 有 {area} 平方米超出上级 {b}",
              "unknown_parent": "{a} 的上级编码不存在",
              "bad_number": "人口或户数须为整数：{a} 等 {n} 条含文字"}  # fmt: skip


UNIT_ZH = {"towns": "镇街", "communities": "社区（村）", "grids": "网格"}
# Aligned by hand: this table reads better laid out as a table.
REFUSAL_NAMES = {"unmapped": ("未指定的列", "unmapped column"),
                 "no_crs": ("缺少坐标系", "no CRS"), "wrong_crs": ("坐标系不符", "wrong CRS"),
                 "gcj02": ("疑似 GCJ-02 偏移", "GCJ-02 offset?")}  # fmt: skip


def problem_text(problem, lang: str, kind: str = "grids") -> str:
    """A boundary problem of a file of ``kind`` in the page's language."""
    if lang != "zh" or problem.kind not in PROBLEM_ZH:
        return problem.message
    codes = [*problem.codes, "", ""]
    area = "" if problem.area_m2 is None else f"{problem.area_m2:,.0f}"
    return PROBLEM_ZH[problem.kind].format(
        a=codes[0], b=codes[1], area=area, n=len(problem.codes), unit=UNIT_ZH.get(kind, "")
    )


def summary(found, preview: dict | None, lang: str) -> list:
    """The check in a few lines: what was read, what blocks, what would change."""
    if found.__class__.__name__ == "TableCheck":
        lines = [
            t("data.read_rows", lang).format(
                n=found.rows, kind=name_of(KIND_NAMES, found.kind, lang)
            )
        ]
        if found.check.new_departments:
            lines.append(
                t("data.new_departments", lang).format(names="、".join(found.check.new_departments))
            )
        blocking = sum(p.blocking for p in found.check.problems)
    else:
        lines = [
            t("data.read_rows", lang).format(
                n=found.rows, kind=name_of(KIND_NAMES, found.kind, lang)
            )
        ]
        lines += [en if lang != "zh" else zh for en, zh in found.notes]
        if found.result is None:
            out = [html.P(line) for line in lines]
            out += [html.P(r.text(lang), className="gc-error") for r in found.refusals]
            if any(r.kind == "gcj02" for r in found.refusals):
                out.append(html.P(t("data.gcj02_confirm", lang), className="gc-error"))
            elif any(r.kind == "no_crs" for r in found.refusals):
                out.append(html.P(t("data.pick_crs", lang), className="gc-error"))
            return out
        blocking = len(found.result.blocking)
    out = [html.P(line) for line in lines]
    if blocking:
        out.append(html.P(t("data.blocked", lang).format(n=blocking), className="gc-error"))
    elif preview and preview.get("blocked"):
        out.append(html.P(preview["blocked"], className="gc-error"))
    elif preview:
        out.append(html.P(t("data.would", lang) + counts_text(preview, lang), className="gc-ok"))
    else:
        out.append(html.P(t("data.ready", lang), className="gc-ok"))
    return out


def counts_text(counts: dict, lang: str) -> str:
    sep = "，" if lang == "zh" else ", "
    return sep.join(
        f"{name_of(COUNT_NAMES, k, lang)} {v:,}"
        for k, v in counts.items()
        if k in COUNT_NAMES and (v or k in ("added", "updated", "removed"))
    )


def can_import(found, preview: dict | None) -> bool:
    if found.__class__.__name__ == "TableCheck":
        return not found.blocking
    return found.ok and not (preview or {}).get("blocked")


def progress_view(state: dict, lang: str) -> list:
    """A progress bar with counts, or the outcome."""
    if state.get("state") == "done":
        counts = state.get("counts", {})
        return [
            html.P(
                t("data.done", lang).format(id=counts.get("import_id", ""))
                + counts_text(counts, lang),
                className="gc-ok",
            )
        ]
    if state.get("state") == "failed":
        return [html.P(state.get("zh" if lang == "zh" else "en", ""), className="gc-error")]
    done, total = state.get("done", 0), state.get("total", 0)
    stage = t(f"data.stage_{state.get('stage', 'check')}", lang)
    share = 0 if not total else min(100, round(100 * done / total))
    return [
        html.Div(
            html.Div(className="gc-progress-fill", style={"width": f"{share}%"}),
            className="gc-progress",
            role="progressbar",
            **{"aria-valuenow": str(share), "aria-valuemin": "0", "aria-valuemax": "100"},
        ),
        html.P(f"{stage} {done:,} / {total:,}" if total else stage, className="gc-progress-text"),
    ]


def history_rows(imports, lang: str) -> list[dict]:
    """The import log: newest first, with what each changed."""
    return [
        {
            "row_id": str(r.id),
            "id": int(r.id),
            "at": f"{r.at:%Y-%m-%d %H:%M}",
            "kind": name_of(KIND_NAMES, r.kind, lang),
            "source": r.source,
            "actor": r.actor,
            "counts": counts_text(r.counts, lang),
            "state": (t("data.undone", lang) if r.undone_by else ""),
        }
        for r in imports.itertuples()
    ]


def is_table(kind: str | None) -> bool:
    return kind in TABLE_KINDS
