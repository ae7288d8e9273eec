"""Every setting of Grid Command, read once from the environment.

Each setting is declared once in ``SETTINGS``; a test checks that each one is
documented in the README. Secrets come only from the environment.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from domain.calendar_cn import WorkCalendar
from domain.calendar_days import read_calendar_file
from domain.errors import InvalidInput
from domain.sla import SlaPolicy

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_DATABASE = PROJECT_DIR / "instance" / "gridcommand.db"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names its variable."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default and meaning."""

    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        f"sqlite:///{DEFAULT_DATABASE}",
        "SQLAlchemy URL of the database: a SQLite file (default) or "
        "postgresql+psycopg://user@host:5432/db",
    ),
    Setting("HOST", "127.0.0.1", "address the server listens on"),
    Setting("PORT", "8050", "port the server listens on"),
    Setting("SECRET_KEY", "", "key that signs sessions; random per start when unset"),
    Setting("GC_LANG", "zh", "default language of the UI: zh (Simplified Chinese) or en"),
    Setting(
        "GC_TILE_URL",
        "",
        "raster tile URL of the centre's own tile server, e.g. "
        "http://tiles.intranet/{z}/{x}/{y}.png; empty draws our own outlines only",
    ),
    Setting("GC_TILE_ATTRIBUTION", "", "attribution shown for those tiles"),
    Setting("GC_DEMO_SEED", "2022", "random seed of the demo city made on first run"),
    Setting(
        "GC_REFRESH_S", "1", "seconds between a screen's checks for changes (kiosk: ?refresh=)"
    ),
    Setting(
        "GC_SLA_POLICY",
        "",
        "path of a JSON file of SLA limits laid over the defaults, e.g. "
        '{"priorities": {"3": {"resolve": "2 working_days"}}}',
    ),
    Setting(
        "GC_CALENDAR_FILE",
        "",
        "path of a CSV file of days off and make-up working days (columns date,kind,source, "
        "name optional; kind off or work) laid over the statutory days and the notices "
        "shipped (2022–2026): add each new State Council notice here",
    ),
    Setting("GC_DEMO_SCALE", "county", "size of the demo city made on first run: county or region"),
    Setting(
        "GC_ADMIN_PASSWORD",
        "",
        "password of the first administrator (user admin), made when the database has no "
        "users; when unset a random one is printed once",
    ),
    Setting(
        "GC_SECURE_COOKIES",
        "0",
        "1 behind HTTPS: cookies are sent over HTTPS only",
    ),
    Setting(
        "GC_RATE_LIMIT_STORAGE",
        "memory://",
        "where rate-limit counters live: memory:// (per worker) or redis://host:6379 (shared)",
    ),
    Setting(
        "GC_PROXY_HOPS",
        "0",
        "reverse proxies in front whose X-Forwarded-For/-Proto are trusted (1 behind nginx)",
    ),
    Setting(
        "GC_LIVE_WAITERS",
        "10",
        "screens per worker waiting at once on the change feed's long poll (each holds a thread)",
    ),
    Setting("GC_SIGNIN_RATE", "10/minute", "sign-in attempts allowed per address"),
    Setting("GC_INTAKE_RATE", "300/minute", "Open311 reports allowed per API key and address"),
    Setting(
        "GC_RESIDENT_RATE",
        "30/minute;300/hour",
        "residents' reports, look-ups and me-toos allowed per address (/report)",
    ),
    Setting(
        "GC_RESIDENT_DEVICE_RATE",
        "5/minute;30/hour",
        "residents' reports, look-ups and me-toos allowed per phone (X-GC-Device)",
    ),
    Setting("GC_MAX_REQUEST_BYTES", "2000000", "largest request body accepted (HTTP 413 above)"),
    Setting(
        "GC_MAX_UPLOAD_BYTES",
        "200000000",
        "largest request body of a signed-in administrator (uploads at /data)",
    ),
    Setting(
        "GC_MEDIA",
        "",
        "where photos are kept: a folder (a path or file:///abs/path) or an S3-compatible "
        "bucket, s3://bucket?endpoint=http://127.0.0.1:9000&region=…&prefix=… (credentials "
        "as boto3 finds them); empty: a folder media beside the SQLite database, or "
        "instance/media with PostgreSQL",
    ),
    Setting("GC_PHOTO_MAX_BYTES", "10000000", "largest photo accepted from the field app"),
    Setting(
        "GC_PUBLIC_URL",
        "",
        "the address cadres' phones reach this server at, e.g. https://grid.example.gov.cn, "
        "used in invite links; empty: http://ADDRESS:PORT with this machine's address",
    ),
    Setting(
        "GC_NOTIFY_WEBHOOK",
        "",
        "URL of the desk's work-chat robot (WeCom or DingTalk group robot) told of declined "
        "tasks, tasks nobody acknowledged and overdue check-ins; empty: no robot",
    ),
    Setting("GC_NOTIFY_WEBHOOK_KIND", "wecom", "the robot's message format: wecom or dingtalk"),
    Setting(
        "GC_NOTIFY_WEBHOOK_SECRET", "", "a DingTalk robot's signing secret (SEC…), when it signs"
    ),
    Setting(
        "GC_SMS_URL",
        "",
        "URL of the SMS gateway (may hold {phone} and {text}); empty: no SMS",
    ),
    Setting("GC_SMS_METHOD", "POST", "HTTP method of the SMS gateway: POST, PUT or GET"),
    Setting(
        "GC_SMS_BODY",
        '{"phone": "{phone}", "text": "{text}"}',
        "body template of an SMS request with {phone} and {text}: JSON when it starts with { "
        "(values JSON-escaped), else a form (values URL-encoded)",
    ),
    Setting(
        "GC_SMS_CADRES",
        "0",
        "1: a cadre's notification the field app has not fetched within a minute goes by SMS",
    ),
    Setting(
        "GC_ACK_MINUTES",
        "10",
        "minutes within which a dispatched cadre should accept a task; later it is flagged "
        "on the console and the desk is told once",
    ),
    Setting(
        "GC_MODEL_RETRAIN_HOURS",
        "24",
        "hours after which serve trains the models again from the history (0: never on a "
        "schedule, only by python app.py model train); with no model it trains one at start",
    ),
)


@dataclass(frozen=True)
class Settings:
    """The settings in force, immutable once read (``from_env``; each default
    is written once, in ``SETTINGS``)."""

    database_url: str
    host: str
    port: int
    secret_key: str = field(repr=False)
    lang: str
    tile_url: str
    tile_attribution: str
    demo_seed: int
    demo_scale: str
    sla_policy: SlaPolicy | None  # None: SlaPolicy.default()
    refresh_s: float
    admin_password: str = field(repr=False)
    secure_cookies: bool
    rate_limit_storage: str
    proxy_hops: int
    live_waiters: int
    signin_rate: str
    intake_rate: str
    resident_rate: str
    resident_device_rate: str
    max_request_bytes: int
    max_upload_bytes: int
    media: str  # a folder or s3://… URL (data.media_store.open_media_store)
    photo_max_bytes: int
    public_url: str
    notify_webhook: str = field(repr=False)  # the robot's URL holds its key
    notify_webhook_kind: str
    notify_webhook_secret: str = field(repr=False)
    sms_url: str = field(repr=False)
    sms_method: str
    sms_body: str
    sms_cadres: bool
    ack_minutes: int
    model_retrain_hours: float
    calendar: WorkCalendar = field(default_factory=WorkCalendar)  # also in sla_policy

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``).

        Raises ``SettingsError`` (a ``ValueError``) with a message naming the variable when a value
        cannot be used.
        """
        env = os.environ if environ is None else environ
        raw = {s.env: env.get(s.env, "") or s.default for s in SETTINGS}
        port = _integer(raw["PORT"], "PORT", 1, 65535)
        lang = raw["GC_LANG"]
        if lang not in ("zh", "en"):
            raise SettingsError(f"GC_LANG must be zh or en, not {lang!r}")
        scale = raw["GC_DEMO_SCALE"]
        if scale not in ("county", "region"):
            raise SettingsError(f"GC_DEMO_SCALE must be county or region, not {scale!r}")
        values = dict(
            database_url=raw["DATABASE_URL"],
            host=raw["HOST"],
            port=port,
            secret_key=raw["SECRET_KEY"] or secrets.token_hex(32),
            lang=lang,
            tile_url=raw["GC_TILE_URL"],
            tile_attribution=raw["GC_TILE_ATTRIBUTION"],
            demo_seed=_integer(raw["GC_DEMO_SEED"], "GC_DEMO_SEED"),
            demo_scale=scale,
            sla_policy=_sla_policy(raw["GC_SLA_POLICY"]),
            refresh_s=_refresh(raw["GC_REFRESH_S"]),
            admin_password=raw["GC_ADMIN_PASSWORD"],
            secure_cookies=_flag(raw["GC_SECURE_COOKIES"], "GC_SECURE_COOKIES"),
            rate_limit_storage=raw["GC_RATE_LIMIT_STORAGE"],
            proxy_hops=_integer(raw["GC_PROXY_HOPS"], "GC_PROXY_HOPS", 0, 5),
            live_waiters=_integer(raw["GC_LIVE_WAITERS"], "GC_LIVE_WAITERS", 0, 1000),
            signin_rate=_rate(raw["GC_SIGNIN_RATE"], "GC_SIGNIN_RATE"),
            intake_rate=_rate(raw["GC_INTAKE_RATE"], "GC_INTAKE_RATE"),
            resident_rate=_rate(raw["GC_RESIDENT_RATE"], "GC_RESIDENT_RATE"),
            resident_device_rate=_rate(raw["GC_RESIDENT_DEVICE_RATE"], "GC_RESIDENT_DEVICE_RATE"),
            max_request_bytes=_integer(raw["GC_MAX_REQUEST_BYTES"], "GC_MAX_REQUEST_BYTES"),
            max_upload_bytes=_integer(raw["GC_MAX_UPLOAD_BYTES"], "GC_MAX_UPLOAD_BYTES"),
            media=raw["GC_MEDIA"] or str(_media_beside(raw["DATABASE_URL"])),
            photo_max_bytes=_integer(raw["GC_PHOTO_MAX_BYTES"], "GC_PHOTO_MAX_BYTES"),
            public_url=_public_url(raw["GC_PUBLIC_URL"]),
            model_retrain_hours=_retrain_hours(raw["GC_MODEL_RETRAIN_HOURS"]),
            **_notify_settings(raw),
        )
        calendar = _calendar(raw["GC_CALENDAR_FILE"])
        if calendar is not None:
            policy = values["sla_policy"] or SlaPolicy.default()
            values.update(calendar=calendar, sla_policy=replace(policy, calendar=calendar))
        values.update(overrides)
        return cls(**values)


def _public_url(value: str) -> str:
    """GC_PUBLIC_URL without its trailing slash; an http(s) address or empty."""
    value = value.strip().rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise SettingsError(f"GC_PUBLIC_URL must start with http:// or https://, not {value!r}")
    return value


def _media_beside(database_url: str) -> Path:
    """The default media folder: ``media`` beside a SQLite file, else the instance's."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix):
        path = database_url[len(prefix) :].split("?", 1)[0]
        if path and path != ":memory:":
            return Path(path).parent / "media"
    return DEFAULT_DATABASE.parent / "media"


def _sla_policy(path: str) -> SlaPolicy | None:
    """The SLA policy of the JSON file at ``path`` laid over the defaults; None when unset."""
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"GC_SLA_POLICY: cannot read {path} ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"GC_SLA_POLICY: {path} is not JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    try:
        return SlaPolicy.from_dict(data)
    except InvalidInput as exc:
        raise SettingsError(f"GC_SLA_POLICY: {path}: {exc}") from None


def _calendar(path: str) -> WorkCalendar | None:
    """The working calendar with the local file at ``path``; None when unset."""
    if not path:
        return None
    try:
        return WorkCalendar(local=read_calendar_file(path))
    except InvalidInput as exc:
        raise SettingsError(f"GC_CALENDAR_FILE: {exc}") from None


def _notify_settings(raw: dict[str, str]) -> dict:
    """The notification transports' settings (services.notifications), checked."""
    kind = raw["GC_NOTIFY_WEBHOOK_KIND"]
    if kind not in ("wecom", "dingtalk"):
        raise SettingsError(f"GC_NOTIFY_WEBHOOK_KIND must be wecom or dingtalk, not {kind!r}")
    for name in ("GC_NOTIFY_WEBHOOK", "GC_SMS_URL"):
        if raw[name] and not raw[name].startswith(("http://", "https://")):
            raise SettingsError(f"{name} must be an http:// or https:// URL")
    method = raw["GC_SMS_METHOD"].upper()
    if method not in ("POST", "PUT", "GET"):
        raise SettingsError(f"GC_SMS_METHOD must be POST, PUT or GET, not {method!r}")
    template = raw["GC_SMS_URL"] + (raw["GC_SMS_BODY"] if method != "GET" else "")
    if raw["GC_SMS_URL"] and not ("{phone}" in template and "{text}" in template):
        raise SettingsError("GC_SMS_URL and GC_SMS_BODY must hold {phone} and {text} between them")
    minutes = _integer(raw["GC_ACK_MINUTES"], "GC_ACK_MINUTES")
    if not 1 <= minutes <= 240:
        raise SettingsError(f"GC_ACK_MINUTES must be between 1 and 240, not {minutes}")
    return dict(
        notify_webhook=raw["GC_NOTIFY_WEBHOOK"],
        notify_webhook_kind=kind,
        notify_webhook_secret=raw["GC_NOTIFY_WEBHOOK_SECRET"],
        sms_url=raw["GC_SMS_URL"],
        sms_method=method,
        sms_body=raw["GC_SMS_BODY"],
        sms_cadres=_flag(raw["GC_SMS_CADRES"], "GC_SMS_CADRES"),
        ack_minutes=minutes,
    )


def _flag(value: str, name: str) -> bool:
    if value not in ("0", "1"):
        raise SettingsError(f"{name} must be 0 or 1, not {value!r}")
    return value == "1"


def _rate(value: str, name: str) -> str:
    """A rate such as 10/minute (checked with the rate limiter's own parser)."""
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise SettingsError(f"{name} must be a rate such as 10/minute, not {value!r}") from None
    return value


def _retrain_hours(value: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        raise SettingsError(
            f"GC_MODEL_RETRAIN_HOURS must be a number of hours, not {value!r}"
        ) from None
    if not 0 <= hours <= 8760:
        raise SettingsError(f"GC_MODEL_RETRAIN_HOURS must be between 0 and 8760, not {value}")
    return hours


def _refresh(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise SettingsError(f"GC_REFRESH_S must be a number of seconds, not {value!r}") from None
    if not 0.5 <= seconds <= 600:
        raise SettingsError(f"GC_REFRESH_S must be between 0.5 and 600 seconds, not {value}")
    return seconds


def _integer(value: str, name: str, low: int | None = None, high: int | None = None) -> int:
    """A whole number, from ``low`` to ``high`` when they are given."""
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if low is not None and high is not None and not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {number}")
    return number
