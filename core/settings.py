"""Settings, read from the environment (and an optional .env file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """All settings of quyhoach; `DATABASE_URL` is read without prefix, as tipg does."""

    model_config = SettingsConfigDict(env_prefix="QUYHOACH_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "QUYHOACH_DATABASE_URL")
    )
    # Read-only routes (items, tiles, collections, stats, reports, map, dashboard, exports) read
    # from this database when set, e.g. a hot standby; writes always go to DATABASE_URL.
    database_url_read: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL_READ", "QUYHOACH_DATABASE_URL_READ"),
    )
    pg_port: int = 55432
    pg_data: Path | None = None  # default: see gis.cluster.default_data_dir
    pg_bindir: Path | None = None
    pg_database: str = "quyhoach"
    # The pool holds as many connections as requests run at once: a smaller pool closes and
    # reopens backends under load, and a new backend sets PROJ up again on its first transform.
    # The sync engine and the hot routes' async read pool (gis/adb.py) are each sized so.
    pool_size: int = 10
    # Items, one feature and tiles answered by api.hotpath (off: FastAPI answers them too).
    hot_routes: bool = True
    pool_max_overflow: int = 10
    pool_timeout_s: float = 5.0  # waiting for a free connection; then a 503
    pool_recycle_s: int = 1800
    connect_timeout_s: int = 2  # a database that does not answer is a 503, not a hang

    storage_srid: int = 5897
    # A deployment's own layer catalogue: entries (*.yaml) and their migrations (migrations/).
    catalog_dir: Path | None = None
    basemap_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    basemap_attribution: str = "&copy; OpenStreetMap contributors"
    items_default_limit: int = 100
    items_max_limit: int = 10000
    upload_max_bytes: int = 50 * 1024 * 1024
    plan_store: Path = PROJECT_ROOT / ".plans"
    default_lang: str = "vi"

    # Map exports: a bounded pool of headless Chromium pages renders PNG snapshots of /map.
    export_chromium: Path = Path("/usr/bin/chromium")
    export_pool_size: int = 2
    export_timeout_s: float = 30.0
    export_queue_wait_s: float = 1.0
    export_basemap_wait_s: float = 3.0
    export_office: str = "Phòng Quản lý đô thị"

    # Bounded work per request: a statement's time (0 = none; admin and CLI commands use their
    # own), JSON bodies, posted geometries, and how many PDF/XLSX/PNG renders run at once.
    statement_timeout_ms: int = 15000
    admin_statement_timeout_ms: int = 0
    body_max_bytes: int = 2 * 1024 * 1024
    geometry_max_vertices: int = 10000
    render_pool_size: int = 2
    # Most features one download (`f=` of /items, `quyhoach download`) may hold; 413 beyond.
    export_max_features: int = 200_000

    # Absolute links (landing page, collections, tiles): the public base URL, e.g.
    # https://quyhoach.example.vn; unset, the Host header is used only when it names one of
    # `allowed_hosts` (comma-separated) or the bound address, otherwise links are relative.
    public_url: str | None = None
    allowed_hosts: str = "127.0.0.1,localhost,::1"

    # Accounts: the key that signs the sign-in form's token (no default: unset, each process
    # makes its own and warns, and a form shown by one worker fails on another), whether every
    # page but /login, /health and the static files needs a signed-in user or a token, and how
    # long a browser session lasts.
    session_secret: str | None = None
    require_sign_in: bool = False
    session_lifetime_hours: float = 12.0

    @field_validator("public_url")
    @classmethod
    def _absolute_public_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("QUYHOACH_PUBLIC_URL must start with http:// or https://")
        return value or None


def get_settings() -> Settings:
    """Settings as the environment gives them now."""
    return Settings()
