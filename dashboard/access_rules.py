"""Who may run each Dash callback, by the component its first output updates.

Dash runs the callback named by the ``output`` key of a request and maps the
inputs by position, so the output key is what must be authorised: a request
cannot relabel its way into another callback's rule. A callback whose output
is not listed here is refused (a test walks ``app.callback_map``).
"""

from __future__ import annotations

from dashboard import ids
from domain.access import ADMIN, DISPATCH, EVENTS, VIEW
from web.route_rules import CLIENTSIDE, Rule, needs

_DISPATCH = needs(DISPATCH, city_wide=True)
_EVENTS = needs(EVENTS, city_wide=True)

CALLBACK_RULES: dict[str, Rule] = {
    ids.PAGE: needs(VIEW),  # the router: page shells; the wall with its first picture
    ids.MAP: needs(VIEW),  # the wall; a town leader's is cut to their town
    # The dispatch console: residents' reports with contacts, and every move.
    ids.QUEUE: _DISPATCH,
    ids.DETAIL: _DISPATCH,
    ids.RECOMMENDED: _DISPATCH,
    ids.SEND_RESULT: _DISPATCH,
    ids.DISPATCH_MAP: _DISPATCH,
    ids.PLAN_GRID: _DISPATCH,
    ids.PLAN_RESULT: _DISPATCH,
    ids.ACTION_RESULT: _DISPATCH,
    # Proactive cases: the spots proposed, their small map, opening or dismissing one.
    ids.PROACTIVE: _DISPATCH,
    ids.PROACTIVE_MAP: _DISPATCH,
    ids.PROACTIVE_RESULT: _DISPATCH,
    # The town review: figures of the caller's town, or of every town.
    ids.REVIEW_MAP: needs(VIEW),
    ids.REVIEW_AREA: needs(VIEW),
    ids.REVIEW_FORECAST: needs(VIEW),  # the forecast and the work at risk, of that town too
    ids.REVIEW_PROACTIVE: needs(VIEW),  # recurring spots and proactive cases, read only
    # The wartime desk: anyone who may view watches; commanders act.
    ids.EVENT_BANNER: needs(VIEW),
    ids.EVENT_MAP: needs(VIEW),
    ids.EVENT_PICKED: needs(VIEW),
    ids.TASK_PLACE: needs(VIEW),
    ids.EVENT_REPORT: needs(VIEW),
    ids.EVENT_REPLAY_TIME: needs(VIEW),
    ids.EVENT_RESULT: _EVENTS,
    ids.EVENT_END_RESULT: _EVENTS,
    ids.TASK_RESULT: _EVENTS,
    ids.EVENT_PROPOSAL: _EVENTS,
    ids.EVENT_MOBILISE_RESULT: _EVENTS,
    # Administration: users and keys.
    ids.ADMIN_USERS: needs(ADMIN, city_wide=True),
    ids.ADMIN_USER_RESULT: needs(ADMIN, city_wide=True),
    ids.ADMIN_KEY_RESULT: needs(ADMIN, city_wide=True),
    # Field app invites: the desk and the administrator (only they sign phones out).
    ids.FIELD_INVITE_RESULT: needs(ADMIN, DISPATCH, city_wide=True),
    # A city's own data: import, undo, export (every town's data: the city's admin).
    ids.IMPORT_JOB: needs(ADMIN, city_wide=True),
    ids.IMPORT_SUMMARY: needs(ADMIN, city_wide=True),
    ids.IMPORT_PROGRESS: needs(ADMIN, city_wide=True),
    ids.IMPORT_LOG: needs(ADMIN, city_wide=True),
    ids.IMPORT_DOWNLOAD: needs(ADMIN, city_wide=True),
}


def first_output_id(output_key: str) -> str:
    """The component id of the first output in a callback_map key.

    ``..command-map.figure...kpis.children..`` → ``command-map``;
    ``command-map.figure@3f2a…`` → ``command-map``.
    """
    first = output_key.strip(".").split("...")[0].split("@")[0]
    return first.rsplit(".", 1)[0]


def rules_for(app):
    """``output_key -> Rule`` for the guard: CLIENTSIDE for browser-only
    callbacks, None for keys the app does not have or has no rule for."""

    def rule(output_key: str) -> Rule | None:
        entry = app.callback_map.get(output_key)
        if entry is None:
            return None
        if "callback" not in entry:
            return CLIENTSIDE
        return CALLBACK_RULES.get(first_output_id(output_key))

    return rule
