"""Reads for the hot routes: psycopg's async mode, served on the event loop with no thread hop.

`AsyncReadPool` keeps warm autocommit connections, like the sync engine's pool: a statement is
one round trip (no BEGIN/ROLLBACK, no pre-ping), prepared on its first run on a connection,
results in the binary protocol, text handed back as the bytes the server sent. Statements are
planned for their values (`plan_cache_mode=force_custom_plan`, as on every service connection:
a generic plan for a bbox is many times slower), except the lookups whose plan cannot depend on
their values (a feature by its primary key, a layer's version): those run with `generic=True`
on connections that plan each statement once (`force_generic_plan`), where planning would
otherwise cost several times the lookup itself. A connection
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

    async def row(self, sql: TextClause, params: dict[str, Any], generic: bool = False
                  ) -> tuple[Any, ...] | None:
        """The first row of a statement (text as bytes), or None; `generic`: planned once."""

    async def columns(self, sql: TextClause) -> tuple[str, ...]:
        """The column names of a statement's result."""


class _CustomPlans(AsyncConnection[Any]):
    """A read connection planning each statement for its values."""


class _GenericPlans(AsyncConnection[Any]):
    """A read connection planning each statement once (lookups by primary key)."""


class AsyncReadPool:
    """A pool of autocommit async connections to one database, sized like the sync engine's."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.conninfo = libpq_url(url)
        self.options = {False: connect_options(settings),
                        True: connect_options(settings, generic_plans=True)}
        self.size = max(1, settings.pool_size)
        self.limit = self.size + max(0, settings.pool_max_overflow)
        self.wait_s = settings.pool_timeout_s
        self.connect_timeout_s = max(1, settings.connect_timeout_s)
        # Idle connections of each planning mode (False: custom plans, True: generic ones).
        self._idle: dict[bool, deque[AsyncConnection[Any]]] = {False: deque(), True: deque()}
        self._slots = asyncio.Semaphore(self.limit)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _bind(self) -> None:
        # Connections and the semaphore belong to one event loop; a new loop (a new test client
        # on the same app) starts afresh, dropping what the old loop left without awaiting it.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            for idle in self._idle.values():
                for conn in idle:
                    conn.pgconn.finish()
                idle.clear()
            self._slots = asyncio.Semaphore(self.limit)
            self._loop = loop

    async def _connect(self, generic: bool) -> AsyncConnection[Any]:
        kind = _GenericPlans if generic else _CustomPlans
        with database_errors():
            return await kind.connect(
                self.conninfo, autocommit=True, prepare_threshold=0, context=_ADAPTERS,
                options=self.options[generic], connect_timeout=self.connect_timeout_s)

    async def acquire(self, generic: bool = False) -> AsyncConnection[Any]:
        """A warm connection of the planning mode, or a new one; 503 when none comes in time."""
        self._bind()
        if self._slots.locked():  # every connection busy: wait, for a while
            try:
                async with asyncio.timeout(self.wait_s):
                    await self._slots.acquire()
            except TimeoutError:
                raise DatabaseUnavailableError(detail="no free read connection") from None
        else:
            await self._slots.acquire()  # free: returns at once
        try:
            idle = self._idle[generic]
            while idle:
                conn = idle.pop()
                if not closed_by_server(conn):
                    return conn
                await conn.close()
            return await self._connect(generic)
        except BaseException:
            self._slots.release()
            raise

    async def release(self, conn: AsyncConnection[Any]) -> None:
        """Keep a healthy connection for the next request; close a broken or surplus one."""
        try:
            ready = conn.info.transaction_status == pq.TransactionStatus.IDLE
            if not ready or conn.closed or conn.broken:
                await conn.close()
                return
            generic = isinstance(conn, _GenericPlans)
            other = self._idle[not generic]
            if len(self._idle[generic]) + len(other) >= self.size and other:
                # The pool is full of the other mode's idle connections: the oldest makes room,
                # so that the mode in use now keeps warm connections.
                await other.popleft().close()
            if len(self._idle[generic]) + len(other) < self.size:
                self._idle[generic].append(conn)
            else:
                await conn.close()
        finally:
            self._slots.release()

    async def row(self, sql: TextClause, params: dict[str, Any], generic: bool = False
                  ) -> tuple[Any, ...] | None:
        """The first row of a statement (text as bytes), or None; `generic`: planned once."""
        conn = await self.acquire(generic)
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

    def idle(self) -> list[AsyncConnection[Any]]:
        """The idle connections, of both planning modes."""
        return [*self._idle[False], *self._idle[True]]

    async def close(self) -> None:
        """Close the idle connections (the pool still serves afterwards, reconnecting)."""
        for idle in self._idle.values():
            while idle:
                await idle.pop().close()


class ConnectionReader:
    """The hot routes' statements on a sync connection the caller holds (blocking the loop)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _driver(self) -> psycopg.Connection[Any]:
        driver = self.conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        return driver

    async def row(self, sql: TextClause, params: dict[str, Any], generic: bool = False
                  ) -> tuple[Any, ...] | None:
        """The first row of a statement (text as bytes), or None (planned as the caller's is)."""
        with database_errors(), self._driver().cursor(binary=True) as cur:
            raw_text(cur.adapters)
            return cur.execute(driver_sql(sql.text), params).fetchone()

    async def columns(self, sql: TextClause) -> tuple[str, ...]:
        """The column names of a statement's result."""
        with database_errors(), self._driver().cursor() as cur:
            cur.execute(driver_sql(sql.text))
            return tuple(c.name for c in cur.description or ())
