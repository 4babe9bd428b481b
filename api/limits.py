"""Bounded work per request: statements cancelled when the client leaves, a pool of renders."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import Receive

from api.deps import ConnDep, ReadConnDep
from core.errors import ServiceBusyError

log = logging.getLogger("quyhoach")

T = TypeVar("T")

BUSY: dict[int | str, dict[str, Any]] = {503: {
    "description": "A statement took too long, or every renderer is busy; see Retry-After."}}
CANCEL_REPEAT_S = 0.5  # work running several statements gets each of them cancelled
CLIENT_CLOSED = 499  # nginx's "client closed request": nobody reads it, the logs do


async def _disconnected(receive: Receive) -> None:
    """Return once the client has closed the connection."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _cancel(dbapi_connection: Any) -> None:
    """Cancel the statement the server runs for this connection, if any."""
    if dbapi_connection.info.transaction_status != TransactionStatus.ACTIVE:
        return  # between statements (rendering, say): nothing to cancel now
    try:
        dbapi_connection.cancel_safe(timeout=2.0)
    except Exception as exc:  # the backend is gone already, or unreachable
        log.info("statement cancel failed: %s", exc)


@dataclass
class WatchedConn:
    """A request's connection whose running statement is cancelled when the client leaves."""

    request: Request
    conn: Connection

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(conn, *args, **kwargs)` in the thread pool, cancelled if the client goes away."""
        work = asyncio.ensure_future(run_in_threadpool(fn, self.conn, *args, **kwargs))
        gone = asyncio.ensure_future(_disconnected(self.request.receive))
        try:
            await asyncio.wait({work, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        if work.done():
            return work.result()
        dbapi_connection = self.conn.connection.dbapi_connection
        while not work.done():
            await run_in_threadpool(_cancel, dbapi_connection)
            await asyncio.wait({work}, timeout=CANCEL_REPEAT_S)
        with suppress(Exception):  # most likely the cancelled statement's error
            work.result()
        # A connection cancelled from outside may still have a cancel in flight: not reused.
        await run_in_threadpool(self.conn.invalidate)
        log.info("%s %s: client went away, its statement was cancelled",
                 self.request.method, self.request.url.path)
        raise HTTPException(CLIENT_CLOSED, "Client closed request")


async def get_watched_conn(request: Request, conn: ConnDep) -> WatchedConn:
    """The request's connection to the primary, watched for the client going away."""
    return WatchedConn(request, conn)


async def get_watched_read_conn(request: Request, conn: ReadConnDep) -> WatchedConn:
    """The request's read connection (the replica's, if any), watched for the client going away."""
    return WatchedConn(request, conn)


WatchedConnDep = Annotated[WatchedConn, Depends(get_watched_conn)]
WatchedReadConnDep = Annotated[WatchedConn, Depends(get_watched_read_conn)]


class RenderPool:
    """At most `size` PDF, XLSX or PNG renders at once; one more is answered 503 at once."""

    def __init__(self, size: int):
        self.size = max(1, size)
        self.slots = threading.BoundedSemaphore(self.size)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one render slot, or raise ServiceBusyError when all are taken."""
        if not self.slots.acquire(blocking=False):
            raise ServiceBusyError(
                f"Máy dựng báo cáo, bản đồ đang bận ({self.size} yêu cầu đang chạy). "
                "Vui lòng thử lại sau ít giây.",
                f"The report and map renderer is busy ({self.size} renders running). "
                "Please try again in a few seconds.")
        try:
            yield
        finally:
            self.slots.release()


_POOL_LOCK = threading.Lock()


def render_pool_of(state: Any) -> RenderPool:
    """The render pool kept on an app's state (created on first use)."""
    with _POOL_LOCK:
        pool = getattr(state, "render_pool", None)
        if pool is None:
            pool = RenderPool(state.settings.render_pool_size)
            state.render_pool = pool
        return pool


async def get_render_pool(request: Request) -> RenderPool:
    """The app's render pool."""
    return render_pool_of(request.app.state)


RenderPoolDep = Annotated[RenderPool, Depends(get_render_pool)]
