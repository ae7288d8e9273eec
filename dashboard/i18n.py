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
