"""The words of the UI in Simplified Chinese (default) and English."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "city": "胶州市",
        "title": "网格化服务管理指挥中心",
        "switch": "EN",
        "kpi.reported_today": "今日上报",
        "kpi.open": "未办结",
        "kpi.urgent": "紧急待办",
        "kpi.overdue": "超期",
        "kpi.cadres_out": "外出处置干部",
        "kpi.cadres_available": "待命干部",
        "kpi.grids": "网格",
        "kpi.towns": "镇街",
        "unit.items": "件",
        "unit.people": "人",
        "unit.count": "个",
        "panel.situation": "今日态势",
        "panel.towns": "镇街未办结排名",
        "panel.layers": "图层",
        "panel.legend": "图例",
        "legend.grids": "网格未办结事件",
        "legend.incidents": "事件状态",
        "legend.cadres": "干部状态",
        "map.loading": "地图加载中…",
        "updated": "数据更新",
        "empty.city": "尚无城市数据：运行 python app.py seed 生成示范城市",
        "not_found": "页面不存在",
        "home": "返回指挥大屏",
        "console.queue": "事件队列",
        "console.open": "未办结",
        "console.week": "近7天全部",
        "console.operator": "值班员姓名",
        "console.pick": "在左侧选择一件事件",
        "console.number": "编号",
        "console.priority": "优先级",
        "console.grid": "网格",
        "console.address": "地址",
        "console.reporter": "上报人",
        "console.timeline": "办理经过",
        "console.no_moves": "尚无办理记录",
        "console.moves": "办理",
        "console.note": "办理意见（上报、挂账、退回、办结等须填写）",
        "console.proof": "办结凭证：照片链接或回访结果",
        "console.extra": "评分 1–5，或合并到的事件编号",
        "console.final": "该事件已办结，无可用操作",
        "console.who": "请先填写值班员姓名",
        "console.done": "已完成",
        "nav.map": "指挥大屏",
        "nav.console": "调度台",
    },
    "en": {
        "city": "Jiaozhou",
        "title": "Grid Governance Command Centre",
        "switch": "中文",
        "kpi.reported_today": "Reported today",
        "kpi.open": "Open",
        "kpi.urgent": "Urgent open",
        "kpi.overdue": "Overdue",
        "kpi.cadres_out": "Cadres out",
        "kpi.cadres_available": "Cadres available",
        "kpi.grids": "Grids",
        "kpi.towns": "Towns",
        "unit.items": "",
        "unit.people": "",
        "unit.count": "",
        "panel.situation": "Today",
        "panel.towns": "Open incidents by town",
        "panel.layers": "Layers",
        "panel.legend": "Legend",
        "legend.grids": "Open incidents per grid",
        "legend.incidents": "Incident status",
        "legend.cadres": "Cadre status",
        "map.loading": "Loading the map…",
        "updated": "Updated",
        "empty.city": "No city yet: run python app.py seed to make the demo city",
        "not_found": "No such page",
        "home": "Back to the big screen",
        "console.queue": "Incident queue",
        "console.open": "Open",
        "console.week": "All of the last 7 days",
        "console.operator": "Operator name",
        "console.pick": "Pick an incident on the left",
        "console.number": "No.",
        "console.priority": "Priority",
        "console.grid": "Grid",
        "console.address": "Address",
        "console.reporter": "Reported by",
        "console.timeline": "History",
        "console.no_moves": "No moves yet",
        "console.moves": "Moves",
        "console.note": "Note (needed to escalate, park, send back, resolve …)",
        "console.proof": "Proof of the fix: photo URL or call-back result",
        "console.extra": "Rating 1–5, or the number to merge into",
        "console.final": "This incident is finished: no moves left",
        "console.who": "Enter the operator's name first",
        "console.done": "Done",
        "nav.map": "Big screen",
        "nav.console": "Dispatch",
    },
}
LANGUAGES = tuple(TEXT)


def t(key: str, lang: str) -> str:
    """The text of ``key`` in ``lang``; falls back to Chinese, then to the key.

    An empty text is a real answer (English needs no unit after a count).
    """
    texts = TEXT.get(lang, TEXT["zh"])
    return texts[key] if key in texts else TEXT["zh"].get(key, key)


def pick_language(query_value: str | None, default: str) -> str:
    """The language asked for in the URL if we speak it, else ``default``."""
    return query_value if query_value in TEXT else default
