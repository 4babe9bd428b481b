"""Reads for the hot routes: psycopg's async mode, served on the event loop with no thread hop.

`AsyncReadPool` keeps warm autocommit connections, like the sync engine's pool: a statement is
one round trip (no BEGIN/ROLLBACK, no pre-ping), prepared on its first run on a connection,
results in the binary protocol, text handed back as the bytes the server sent. A connection
the server closed is noticed at checkout by polling its socket and replaced; a new connection
is made on demand and fails within `connect_timeout_s` when the server is away. Every database
error that is not the request's fault becomes a PlanningError (503 with Retry-After).

`ConnectionReader` runs the same statements, with the same results, on a sync SQLAlchemy
connection the caller already holds (the tests' rolled-back one).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Protocol

import psycopg
from psycopg import AsyncConnection, pq
from psycopg.adapt import AdaptersMap, Loader
from psycopg.errors import QueryCanceled
from sqlalchemy import Connection, TextClause
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg

from core.errors import DatabaseUnavailableError, QueryTimeoutError
from core.settings import Settings
from gis.db import closed_by_server, connect_options, libpq_url

# SQLSTATEs of a server that cannot serve now: connection exceptions (class 08), too many
# connections, and a server shutting down, crashed or still starting.
UNAVAILABLE_SQLSTATES = ("08", "53300", "57P01", "57P02", "57P03")

_DIALECT = pg_psycopg.dialect()


class _RawText(Loader):
    """Text as the bytes the server sent: PostgreSQL built the body, nothing decodes it."""

    def load(self, data: Any) -> bytes:
        """The value's bytes."""
        return bytes(data)


class _RawTextBinary(_RawText):
    format = pq.Format.BINARY


def raw_text(adapters: AdaptersMap) -> AdaptersMap:
    """Make `adapters` load text and varchar values as bytes (the same in both formats)."""
    for oid in ("text", "varchar"):
        adapters.register_loader(oid, _RawText)
        adapters.register_loader(oid, _RawTextBinary)
    return adapters


_ADAPTERS = raw_text(AdaptersMap(psycopg.adapters))


@lru_cache(maxsize=2048)
def driver_sql(sql: str) -> str:
    """A `:name` statement in psycopg's own parameter style (`%(name)s`), compiled once."""
    return str(TextClause(sql).compile(dialect=_DIALECT))


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn a cancelled statement or an unreachable server into the PlanningError to answer."""
    try:
        yield
    except QueryCanceled as exc:
        raise QueryTimeoutError(detail=str(exc).strip()) from exc
    except psycopg.OperationalError as exc:
        state = exc.sqlstate or ""
        if not state or state.startswith(UNAVAILABLE_SQLSTATES):
            raise DatabaseUnavailableError(detail=str(exc).strip()) from exc
        raise


class Reader(Protocol):
    """Where a hot route's statements run: one row, or a statement's column names."""

    async def row(self, sql: TextClause, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a statement (text as bytes), or None."""

    async def columns(self, sql: TextClause) -> tuple[str, ...]:
        """The column names of a statement's result."""


class AsyncReadPool:
    """A pool of autocommit async connections to one database, sized like the sync engine's."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.conninfo = libpq_url(url)
        self.options = connect_options(settings)
        self.size = max(1, settings.pool_size)
        self.limit = self.size + max(0, settings.pool_max_overflow)
        self.wait_s = settings.pool_timeout_s
        self.connect_timeout_s = max(1, settings.connect_timeout_s)
        self._idle: deque[AsyncConnection[Any]] = deque()
        self._slots = asyncio.Semaphore(self.limit)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _bind(self) -> None:
        # Connections and the semaphore belong to one event loop; a new loop (a new test client
        # on the same app) starts afresh, dropping what the old loop left without awaiting it.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            for conn in self._idle:
                conn.pgconn.finish()
            self._idle.clear()
            self._slots = asyncio.Semaphore(self.limit)
            self._loop = loop

    async def _connect(self) -> AsyncConnection[Any]:
        with database_errors():
            return await AsyncConnection.connect(
                self.conninfo, autocommit=True, prepare_threshold=0, context=_ADAPTERS,
                options=self.options, connect_timeout=self.connect_timeout_s)

    async def acquire(self) -> AsyncConnection[Any]:
        """A warm connection, or a new one; 503 when none comes within the pool's wait."""
        self._bind()
        try:
            async with asyncio.timeout(self.wait_s):
                await self._slots.acquire()
        except TimeoutError:
            raise DatabaseUnavailableError(detail="no free read connection") from None
        try:
            while self._idle:
                conn = self._idle.pop()
                if not closed_by_server(conn):
                    return conn
                await conn.close()
            return await self._connect()
        except BaseException:
            self._slots.release()
            raise

    async def release(self, conn: AsyncConnection[Any]) -> None:
        """Keep a healthy connection for the next request; close a broken or surplus one."""
        try:
            idle = conn.info.transaction_status == pq.TransactionStatus.IDLE
            if idle and not conn.closed and not conn.broken and len(self._idle) < self.size:
                self._idle.append(conn)
            else:
                await conn.close()
        finally:
            self._slots.release()

    async def row(self, sql: TextClause, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a statement (text as bytes), or None."""
        conn = await self.acquire()
        try:
            with database_errors():
                cur = conn.cursor(binary=True)
                await cur.execute(driver_sql(sql.text), params)
                return await cur.fetchone()
        finally:
            await self.release(conn)

    async def columns(self, sql: TextClause) -> tuple[str, ...]:
        """The column names of a statement's result."""
        conn = await self.acquire()
        try:
            with database_errors():
                cur = conn.cursor()
                await cur.execute(driver_sql(sql.text))
                return tuple(c.name for c in cur.description or ())
        finally:
            await self.release(conn)

    async def close(self) -> None:
        """Close the idle connections (the pool still serves afterwards, reconnecting)."""
        while self._idle:
            await self._idle.pop().close()


class ConnectionReader:
    """The hot routes' statements on a sync connection the caller holds (blocking the loop)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _driver(self) -> psycopg.Connection[Any]:
        driver = self.conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        return driver

    async def row(self, sql: TextClause, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a statement (text as bytes), or None."""
        with database_errors(), self._driver().cursor(binary=True) as cur:
            raw_text(cur.adapters)
            return cur.execute(driver_sql(sql.text), params).fetchone()

    async def columns(self, sql: TextClause) -> tuple[str, ...]:
        """The column names of a statement's result."""
        with database_errors(), self._driver().cursor() as cur:
            cur.execute(driver_sql(sql.text))
            return tuple(c.name for c in cur.description or ())
