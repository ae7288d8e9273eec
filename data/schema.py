"""The database schema (SQLAlchemy 2 Core), the same on SQLite and PostgreSQL.

Geometry is stored as WKB in WGS84 (EPSG:4326) with its bounding box in plain
columns, so that both backends need no spatial extension and a bbox filter is an
ordinary indexed range query. Times are timezone-aware UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from data.column_types import Id, UTCDateTime

# Bump with every change to the tables below and add a step to data.migrations.
SCHEMA_VERSION = 7

metadata = MetaData()
UTC = UTCDateTime()  # the type of every time column below


def _outline_columns() -> list[Column]:
    """A place's label point (inside its polygon), its polygon's bounding box
    and the polygon itself as WKB, all WGS84."""
    return [
        Column("lon", Float, nullable=False),
        Column("lat", Float, nullable=False),
        *(Column(name, Float, nullable=False) for name in ("minx", "miny", "maxx", "maxy")),
        Column("geometry", LargeBinary, nullable=False),
    ]


schema_info = Table(
    "schema_info",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

towns = Table(
    "towns",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(60), nullable=False),
    Column("name_en", String(80), nullable=False),
    Column("kind", String(16), nullable=False),  # subdistrict 街道 | town 镇
    Column("population", Integer, nullable=False),
    Column("households", Integer, nullable=False),
    Column("area_km2", Float, nullable=False),
    *_outline_columns(),
    CheckConstraint("kind IN ('subdistrict', 'town')", name="towns_kind"),
)

communities = Table(
    "communities",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("town_code", String(16), ForeignKey("towns.code"), nullable=False, index=True),
    Column("name", String(60), nullable=False),
    Column("kind", String(16), nullable=False),  # community 社区 | village 村
    Column("population", Integer, nullable=False),
    Column("households", Integer, nullable=False),
    *_outline_columns(),
    CheckConstraint("kind IN ('community', 'village')", name="communities_kind"),
)

departments = Table(
    "departments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False, unique=True),
    Column("name_en", String(120), nullable=False),
)

pairings = Table(
    "pairings",
    metadata,
    Column("department_id", Integer, ForeignKey("departments.id"), primary_key=True),
    Column("town_code", String(16), ForeignKey("towns.code"), primary_key=True),
)

cadres = Table(
    "cadres",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("role", String(20), nullable=False),
    Column("department_id", Integer, ForeignKey("departments.id"), index=True),
    Column("town_code", String(16), ForeignKey("towns.code"), index=True),
    Column("skills", String(200), nullable=False, server_default=""),  # comma-separated
    Column("status", String(16), nullable=False, index=True),
    Column("lon", Float),
    Column("lat", Float),
    Column("position_at", UTC),
    CheckConstraint(
        "role IN ('grid_worker', 'dept_cadre', 'town_cadre', 'volunteer')", name="cadres_role"
    ),
    CheckConstraint(
        "status IN ('available', 'en_route', 'on_site', 'off_duty')", name="cadres_status"
    ),
)

grids = Table(
    "grids",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("town_code", String(16), ForeignKey("towns.code"), nullable=False, index=True),
    Column(
        "community_code", String(20), ForeignKey("communities.code"), nullable=False, index=True
    ),
    Column("name", String(80), nullable=False),
    Column("population", Integer, nullable=False),
    Column("households", Integer, nullable=False),
    Column("area_km2", Float, nullable=False),
    Column("worker_id", Integer, ForeignKey("cadres.id")),  # full-time grid worker
    Column("secretary", String(40)),  # party branch secretary
    *_outline_columns(),
)

cadre_positions = Table(
    "cadre_positions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("cadre_id", Integer, ForeignKey("cadres.id"), nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("recorded_at", UTC, nullable=False),
    Index("cadre_positions_cadre_time", "cadre_id", "recorded_at"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("severity", Integer, nullable=False),
    Column("started_at", UTC, nullable=False),
    Column("ended_at", UTC),
    Column("area", LargeBinary),  # WKB polygon, WGS84
    Column("created_by", String(60), nullable=False),
    # Version 3: mobilised cadres check in at least this often (minutes).
    Column("checkin_minutes", Integer, nullable=False, server_default="30"),
    CheckConstraint(
        "kind IN ('flood', 'fire', 'epidemic', 'harvest_help', 'other')", name="events_kind"
    ),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("public_id", String(24), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),
    Column("category", String(24), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("address", String(200)),
    Column("lon", Float, nullable=False),  # WGS84
    Column("lat", Float, nullable=False),
    Column("orig_lon", Float),  # as sent by the client, in orig_crs
    Column("orig_lat", Float),
    Column("orig_crs", String(8), nullable=False, server_default="wgs84"),
    Column("grid_code", String(32), ForeignKey("grids.code"), index=True),
    Column("town_code", String(16), ForeignKey("towns.code"), index=True),
    Column("priority", Integer, nullable=False),
    Column("headcount", Integer, nullable=False, server_default="1"),
    Column("event_id", Integer, ForeignKey("events.id")),
    Column("status", String(16), nullable=False),
    Column("reporter_name", String(40)),
    Column("reporter_phone", String(20)),
    Column("reported_at", UTC, nullable=False, index=True),
    Column("registered_at", UTC),
    Column("first_contact_at", UTC),
    Column("dispatched_at", UTC),
    Column("resolved_at", UTC),
    Column("closed_at", UTC),
    Column("due_contact_at", UTC),
    Column("due_resolve_at", UTC),
    Column("satisfaction", Integer),  # the reporter's rating, 1 (worst) to 5 (best)
    Column("updated_at", UTC, nullable=False),
    Column("reporter_email", String(120)),
    Column("media_url", String(500)),
    Column("attributes", Text),  # JSON object of service attribute code -> value
    # Plain ids, not foreign keys: SQLite cannot add or drop a referencing
    # column in place, and both are set only by the store.
    Column("client_id", Integer),  # the Open311 client (api_keys.id)
    Column("merged_into", BigInteger),  # a duplicate of this incident id
    Column("resolved_by", String(60)),  # verification must be by someone else
    Column("resolution", Text),  # JSON: note and proof of the fix
    Column("pauses", Text),  # JSON: [[start, end or null], ...] while parked (挂账)
    Column("rated_at", UTC),
    CheckConstraint("priority BETWEEN 1 AND 4", name="incidents_priority"),
    CheckConstraint("headcount >= 1", name="incidents_headcount"),
    # Version 6: 'proactive', a case the desk opened from a recurring trouble spot.
    CheckConstraint(
        "channel IN ('app', 'hotline', 'patrol', 'plaza', 'sensor', 'proactive')",
        name="incidents_channel",
    ),
    CheckConstraint(
        "status IN ('reported', 'registered', 'dispatched', 'in_progress', 'parked',"
        " 'resolved', 'verified', 'closed', 'rejected', 'duplicate', 'escalated')",
        name="incidents_status",
    ),
    CheckConstraint(
        "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="incidents_satisfaction"
    ),
    Index("incidents_status_grid", "status", "grid_code"),
    Index("incidents_lonlat", "lon", "lat"),
)

# Version 3: the figures of an event's task (an incident), e.g. mu harvested,
# tonnes, yuan sold; ``done`` only grows, by the field's reports.
task_measures = Table(
    "task_measures",
    metadata,
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), primary_key=True),
    Column("measure", String(24), primary_key=True),
    Column("target", Float),
    Column("done", Float, nullable=False, server_default="0"),
    Column("updated_at", UTC, nullable=False),
    CheckConstraint("done >= 0", name="task_measures_done"),
)

# Version 3: a mobilised cadre's "I am here and well" during an event.
checkins = Table(
    "checkins",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("cadre_id", Integer, ForeignKey("cadres.id"), nullable=False),
    Column("at", UTC, nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Index("checkins_event_cadre_at", "event_id", "cadre_id", "at"),
)

# Version 4: each applied import of a layer (issue 9), with what it replaced,
# so that it can be undone: ``snapshot`` is the layer's rows before the
# import and the incidents it moved (zlib-compressed JSON, geometry as WKB hex).
imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # towns | communities | grids | cadres | pairings
    Column("source", String(200), nullable=False),  # the file's name
    Column("actor", String(60), nullable=False),
    Column("at", UTC, nullable=False),
    Column("counts", Text, nullable=False),  # JSON: added, updated, removed, moved, ...
    Column("snapshot", LargeBinary, nullable=False),
    Column("undone_at", UTC),
    Column("undone_by", String(60)),
)

dispatches = Table(
    "dispatches",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("cadre_id", Integer, ForeignKey("cadres.id"), nullable=False),
    Column("sent_by", String(60), nullable=False),
    Column("sent_at", UTC, nullable=False),
    Column("eta_s", Float),
    Column("arrived_at", UTC),
    Column("released_at", UTC),
    # Version 5: what the cadre's phone said (issue 19's field app).
    Column("seen_at", UTC),  # the task first reached the cadre's phone
    Column("accepted_at", UTC),
    Column("declined_at", UTC),
    Column("decline_reason", String(200)),
    Column("arrived_lon", Float),  # the phone's position on arrival
    Column("arrived_lat", Float),
    Column("arrived_note", String(500)),  # needed when the arrival is far from the place
    # The real guard against double booking: one active assignment per cadre.
    Index(
        "dispatches_one_active_per_cadre",
        "cadre_id",
        unique=True,
        sqlite_where=text("released_at IS NULL"),
        postgresql_where=text("released_at IS NULL"),
    ),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(60), nullable=False, unique=True),
    Column("display_name", String(60), nullable=False),
    Column("password_hash", String(255)),
    Column("role", String(20), nullable=False),
    Column("town_code", String(16), ForeignKey("towns.code")),  # scope of a town leader
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UTC, nullable=False),
    # Version 2: wrong passwords in a row, and the end of a lock-out.
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTC),
    CheckConstraint(
        "role IN ('operator', 'commander', 'town_leader', 'city_leader', 'admin')",
        name="users_role",
    ),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTC, nullable=False, index=True),
    Column("actor", String(60), nullable=False),
    Column("action", String(40), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("entity_id", String(40)),
    Column("before", Text),  # JSON
    Column("after", Text),  # JSON
)

# Keys of Open311 clients and field apps; only a hash of the key is stored.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 hex
    Column("prefix", String(12), nullable=False),  # shown to people, never the key
    Column("created_at", UTC, nullable=False),
    Column("revoked_at", UTC),
    # Comma list of domain.access.KEY_SCOPES; keys made before scopes existed
    # got the three that every key could do then.
    Column("scopes", String(80), nullable=False, server_default="open311,field,dispatch"),
    Column("town_code", String(12)),  # a display key of one town; NULL for the city
)

# Signed-in sessions: the cookie carries the token, the table only its hash,
# so signing out (or disabling a user) ends a session on every worker at once.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", UTC, nullable=False),
    Column("expires_at", UTC, nullable=False),
    Column("client", String(80)),  # address and browser, for the audit log
)

# Idempotency-Key records: a retried POST gets the first answer, stored once.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("client_id", Integer, ForeignKey("api_keys.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(12), nullable=False),  # in_flight | done
    Column("response_status", Integer),
    Column("response_body", Text),
    Column("response_type", String(80)),
    Column("created_at", UTC, nullable=False),
    Column("completed_at", UTC),
    Index("idempotency_client_key", "client_id", "key", unique=True),
    CheckConstraint("state IN ('in_flight', 'done')", name="idempotency_state"),
)

change_feed = Table(
    "change_feed",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("at", UTC, nullable=False),
    Column("entity", String(30), nullable=False),
    Column("entity_id", String(40)),
    Column("op", String(16), nullable=False),  # insert | update | delete | reload
    Column("payload", Text),  # JSON: the new state a live screen needs
    Index("change_feed_entity_seq", "entity", "seq"),
)


# Version 5: the cadres' field app (issue 19). A one-time invite becomes a
# long-lived session on one phone; both are kept as sha256 hashes only. A
# session ends when revoked or when its cadre leaves the roster (no cadre of
# that id and phone any more).
field_invites = Table(
    "field_invites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("cadre_id", Integer, nullable=False, index=True),
    Column("phone", String(20), nullable=False),
    Column("created_by", String(60), nullable=False),
    Column("created_at", UTC, nullable=False),
    Column("expires_at", UTC, nullable=False),
    Column("used_at", UTC),
)

field_sessions = Table(
    "field_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("cadre_id", Integer, nullable=False, index=True),
    Column("phone", String(20), nullable=False),
    Column("invite_id", Integer, ForeignKey("field_invites.id"), nullable=False),
    Column("created_at", UTC, nullable=False),
    Column("last_seen_at", UTC),
    Column("device", String(120)),  # the phone's browser, for the administrator
    Column("revoked_at", UTC),
    Column("revoked_by", String(60)),
)

# An action from a phone carries an idempotency key: a retry (the offline
# queue sends again when unsure) gets the first answer and changes nothing.
field_actions = Table(
    "field_actions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("cadre_id", Integer, nullable=False),
    Column("key", String(100), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response_status", Integer, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("created_at", UTC, nullable=False),
    Index("field_actions_cadre_key", "cadre_id", "key", unique=True),
)

# Photos as evidence: the bytes live in the media store (content-addressed by
# sha256); this row says whose incident they belong to and what the EXIF said.
photos = Table(
    "photos",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("thumb_sha256", String(64), nullable=False),
    Column("content_type", String(20), nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("exif_lon", Float),  # where the camera said it was, kept as evidence
    Column("exif_lat", Float),
    Column("taken_at", UTC),
    Column("uploaded_by", String(60), nullable=False),
    Column("uploaded_at", UTC, nullable=False),
)

# Notifications, written in the transaction of what causes them and sent by a
# delivery worker with retries (services.notifications).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_at", UTC, nullable=False),
    Column("kind", String(24), nullable=False),  # dispatch, reassign, decline, checkin_overdue…
    Column("recipient_kind", String(12), nullable=False),  # cadre | desk | reporter
    Column("recipient", String(40)),  # a cadre id, a phone, or None for the desk
    Column("incident_id", BigInteger),
    Column("payload", Text, nullable=False),  # JSON: what the message says, zh and en
    Column("state", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTC, nullable=False),
    Column("sent_at", UTC),
    Column("read_at", UTC),
    Column("transport", String(16)),  # the one that delivered it
    Column("last_error", String(300)),
    Index("outbox_state_next", "state", "next_attempt_at"),
    Index("outbox_recipient", "recipient_kind", "recipient"),
    CheckConstraint("state IN ('pending', 'sent', 'failed', 'read')", name="outbox_state"),
)

# Version 6 (issue 20): each training of a model from the store's history. What
# is needed to predict is kept as plain JSON (no pickle), so any worker can
# rebuild the model from the newest run; a run on too thin a history is kept
# with status 'thin' and says why, and no model is shown.
model_runs = Table(
    "model_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("trained_at", UTC, nullable=False),
    Column("trained_by", String(60), nullable=False),
    Column("rows", Integer, nullable=False),  # history rows it learned from
    Column("params", Text, nullable=False),  # JSON: everything needed to predict
    Column("metrics", Text, nullable=False),  # JSON: backtest figures against the baseline
    Column("status", String(8), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Index("model_runs_kind_id", "kind", "id"),
    CheckConstraint("kind IN ('breach_risk', 'surge')", name="model_runs_kind"),
    CheckConstraint("status IN ('ok', 'thin')", name="model_runs_status"),
    CheckConstraint("rows >= 0", name="model_runs_rows"),
)

# Version 6 (issue 20): what the desk decided about a recurring trouble spot, so
# that a spot is not proposed again until new reports come. ``report_ids`` are
# the incidents that made the spot (JSON list); an opened spot names the
# proactive case it became.
spot_decisions = Table(
    "spot_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("category", String(24), nullable=False),
    Column("lon", Float, nullable=False),  # the spot's centre, WGS84
    Column("lat", Float, nullable=False),
    Column("radius_m", Float, nullable=False),
    Column("first_reported_at", UTC, nullable=False),
    Column("last_reported_at", UTC, nullable=False),
    Column("report_ids", Text, nullable=False),
    Column("decision", String(12), nullable=False),
    Column("incident_id", BigInteger, ForeignKey("incidents.id")),
    Column("decided_at", UTC, nullable=False),
    Column("decided_by", String(60), nullable=False),
    Index("spot_decisions_category", "category", "last_reported_at"),
    CheckConstraint("decision IN ('opened', 'dismissed')", name="spot_decisions_decision"),
    CheckConstraint(
        "(decision = 'opened') = (incident_id IS NOT NULL)", name="spot_decisions_incident"
    ),
    CheckConstraint("radius_m > 0", name="spot_decisions_radius"),
)

# Residents who follow a case from the reporting page (issue 21): its first
# reporter, or a neighbour who said "me too". The follow link's token is never
# stored, only its SHA-256.
resident_follows = Table(
    "resident_follows",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("kind", String(12), nullable=False),
    Column("device", String(64)),
    Column("created_at", UTC, nullable=False),
    CheckConstraint("kind IN ('reporter', 'me_too')", name="resident_follows_kind"),
)
