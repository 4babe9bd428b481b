"""Engine creation, the database URL, and the reviewed SQL files of each layer."""

from __future__ import annotations

import select
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import Engine, TextClause, create_engine, event, text
from sqlalchemy.exc import DisconnectionError

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


def connect_options(settings: Settings, *, admin: bool = False, generic_plans: bool = False) -> str:
    """The server settings of every service connection (libpq `options`).

    Prepared statements are planned for their values unless `generic_plans` (connections that
    only run lookups whose plan cannot depend on their values).
    """
    timeout = settings.admin_statement_timeout_ms if admin else settings.statement_timeout_ms
    plans = "force_generic_plan" if generic_plans else "force_custom_plan"
    return (f"-c jit=off -c plan_cache_mode={plans} -c TimeZone=Asia/Ho_Chi_Minh "
            f"-c statement_timeout={max(0, int(timeout))}")


def make_engine(settings: Settings, url: str | None = None, *, admin: bool = False,
                read_only: bool = False) -> Engine:
    """A pooled engine for the service's short spatial queries.

    JIT is off (it adds tens of milliseconds to a tile), and prepared statements are always
    planned for their parameters: a generic plan for a bbox query is 20x slower. A statement
    running longer than `statement_timeout_ms` is cancelled by the server; `admin` engines
    (migrations, imports, the CLI) use `admin_statement_timeout_ms` instead (0: no limit).
    A `read_only` engine (a replica) runs every statement on its own, without BEGIN/ROLLBACK.
    There is no pre-ping: a connection the server has closed is replaced at checkout, for free.
    """
    options = connect_options(settings, admin=admin)
    extra: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if read_only else {}
    engine = create_engine(
        sqlalchemy_url(url or database_url(settings)),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        pool_timeout=settings.pool_timeout_s,
        pool_recycle=settings.pool_recycle_s,
        pool_pre_ping=False,
        connect_args={"options": options, "connect_timeout": max(1, settings.connect_timeout_s)},
        **extra,
    )
    event.listen(engine, "checkout", _replace_if_closed)
    return engine


def reading(engine: Engine) -> Engine:
    """The engine's pool for reads: each statement on its own, no BEGIN/ROLLBACK around it."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def closed_by_server(dbapi_connection: Any) -> bool:
    """Whether the server has hung up on an idle connection (restart, failover, termination).

    An idle connection's socket has nothing to read unless the server said goodbye or closed
    it, so polling it costs no round trip, unlike a pre-ping.
    """
    if dbapi_connection.closed:
        return True
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # the socket is already gone
        return True


def _replace_if_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    if closed_by_server(dbapi_connection):
        # The pool then invalidates this connection and checks out a fresh one instead.
        raise DisconnectionError("the server closed this pooled connection")


@cache
def load_sql(name: str) -> TextClause:
    """The SQL file `layers/sql/<name>` as a bound-parameter statement."""
    body = resources.files("layers").joinpath("sql", name).read_text(encoding="utf-8")
    return text(body)
