"""Component ids, in one place so that a typo fails at import, not at run time."""

URL = "url"
PAGE = "page"
LANG = "lang"
SCREEN = "screen"
CLOCK = "clock"
CLOCK_TICK = "clock-tick"
REFRESH = "refresh"
MAP = "command-map"
LAYER_TOGGLES = "layer-toggles"
KPIS = "kpis"
TOWN_RANKING = "town-ranking"
UPDATED = "updated"

# The dispatch console
QUEUE = "queue"
QUEUE_SCOPE = "queue-scope"
QUEUE_REFRESH = "queue-refresh"
OPERATOR = "operator"
DETAIL = "incident-detail"
ACTION_NOTE = "action-note"
ACTION_PROOF = "action-proof"
ACTION_EXTRA = "action-extra"
ACTION_BUTTON = "action-button"  # pattern-matching: {"type": ACTION_BUTTON, "action": name}
ACTION_RESULT = "action-result"
MOVED = "moved"

# Recommendations and the plan for all open work, on the console
CONSOLE_SCREEN = "console-screen"
DISPATCH_MAP = "dispatch-map"
RECOMMENDED = "recommended"  # dcc.Store: the recommendations shown, with what a dispatch needs
RECOMMENDATIONS = "recommendations"
SEND_BUTTON = "send-button"  # pattern-matching: {"type": SEND_BUTTON, "cadre": cadre id}
SEND_RESULT = "send-result"
PLAN_BUTTON = "plan-button"
PLAN_MINUTES = "plan-minutes"
PLAN_TOWN = "plan-town"
PLAN_GRID = "plan-grid"
PLAN_SUMMARY = "plan-summary"
PLAN_CONFIRM = "plan-confirm"
PLAN_RESULT = "plan-result"
