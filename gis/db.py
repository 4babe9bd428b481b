"""Engine creation, the database URL, and the reviewed SQL files of each layer."""

from __future__ import annotations

from functools import cache
from importlib import resources

from sqlalchemy import Engine, TextClause, create_engine, text

from core.settings import Settings
from gis.cluster import cluster_from


def sqlalchemy_url(url: str) -> str:
    """Pin the psycopg 3 driver on a postgresql:// URL."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def libpq_url(url: str) -> str:
    """A URL that libpq (psql, psycopg, GDAL) understands."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def database_url(settings: Settings) -> str:
    """DATABASE_URL when set, otherwise the project's own cluster's URL."""
    if settings.database_url:
        return settings.database_url

    return cluster_from(settings).url()


def make_engine(settings: Settings, url: str | None = None, *, admin: bool = False) -> Engine:
    """A pooled engine for the service's short spatial queries.

    JIT is off (it adds tens of milliseconds to a tile), and prepared statements are always
    planned for their parameters: a generic plan for a bbox query is 20x slower. A statement
    running longer than `statement_timeout_ms` is cancelled by the server; `admin` engines
    (migrations, imports, the CLI) use `admin_statement_timeout_ms` instead (0: no limit).
    """
    timeout = settings.admin_statement_timeout_ms if admin else settings.statement_timeout_ms
    options = ("-c jit=off -c plan_cache_mode=force_custom_plan -c TimeZone=Asia/Ho_Chi_Minh "
               f"-c statement_timeout={max(0, int(timeout))}")
    return create_engine(
        sqlalchemy_url(url or database_url(settings)),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size * 2,
        pool_pre_ping=True,
        connect_args={"options": options},
    )


@cache
def load_sql(name: str) -> TextClause:
    """The SQL file `layers/sql/<name>` as a bound-parameter statement."""
    body = resources.files("layers").joinpath("sql", name).read_text(encoding="utf-8")
    return text(body)
