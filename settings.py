"""Every setting of Grid Command, read once from the environment.

Each setting is declared once in ``SETTINGS``; a test checks that each one is
documented in the README. Secrets come only from the environment.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from domain.errors import InvalidInput
from domain.sla import SlaPolicy

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_DATABASE = PROJECT_DIR / "instance" / "gridcommand.db"


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
    Setting("GC_DEMO_SCALE", "county", "size of the demo city made on first run: county or region"),
)


@dataclass(frozen=True)
class Settings:
    """The settings in force, immutable once read."""

    database_url: str
    host: str
    port: int
    secret_key: str = field(repr=False)
    lang: str
    tile_url: str
    tile_attribution: str
    demo_seed: int
    demo_scale: str
    sla_policy: SlaPolicy | None = None  # None: SlaPolicy.default()
    refresh_s: float = 1.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``).

        Raises ``ValueError`` with a message naming the variable when a value
        cannot be used.
        """
        env = os.environ if environ is None else environ
        raw = {s.env: env.get(s.env, "") or s.default for s in SETTINGS}
        port = _integer(raw["PORT"], "PORT")
        if not 0 < port < 65536:
            raise ValueError(f"PORT must be between 1 and 65535, not {port}")
        lang = raw["GC_LANG"]
        if lang not in ("zh", "en"):
            raise ValueError(f"GC_LANG must be zh or en, not {lang!r}")
        scale = raw["GC_DEMO_SCALE"]
        if scale not in ("county", "region"):
            raise ValueError(f"GC_DEMO_SCALE must be county or region, not {scale!r}")
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
        )
        values.update(overrides)
        return cls(**values)


def _sla_policy(path: str) -> SlaPolicy | None:
    """The SLA policy of the JSON file at ``path`` laid over the defaults; None when unset."""
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"GC_SLA_POLICY: cannot read {path} ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"GC_SLA_POLICY: {path} is not JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    try:
        return SlaPolicy.from_dict(data)
    except InvalidInput as exc:
        raise ValueError(f"GC_SLA_POLICY: {path}: {exc}") from None


def _refresh(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"GC_REFRESH_S must be a number of seconds, not {value!r}") from None
    if not 0.5 <= seconds <= 600:
        raise ValueError(f"GC_REFRESH_S must be between 0.5 and 600 seconds, not {value}")
    return seconds


def _integer(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
