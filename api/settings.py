"""Settings, read from the environment (and an optional .env file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """All settings of quyhoach; `DATABASE_URL` is read without prefix, as tipg does."""

    model_config = SettingsConfigDict(env_prefix="QUYHOACH_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "QUYHOACH_DATABASE_URL")
    )
    pg_port: int = 55432
    pg_data: Path | None = None  # default: see gis.cluster.default_data_dir
    pg_bindir: Path | None = None
    pg_database: str = "quyhoach"
    pool_size: int = 5

    storage_srid: int = 5897
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


def get_settings() -> Settings:
    """Settings as the environment gives them now."""
    return Settings()
