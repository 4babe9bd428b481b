"""Annotated dependencies shared by the routers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from api import params as P
from core import i18n
from core.errors import InvalidParameterError, NotFoundError
from core.settings import Settings
from layers import units
from layers.registry import LAYERS, LayerSpec


# Cheap dependencies are `async def`: a plain `def` would cost a thread-pool hop each.
async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_conn(request: Request) -> Iterator[Connection]:
    """A pooled connection to the primary database, for routes that write."""
    with request.app.state.engine.connect() as conn:
        yield conn


async def get_read_conn(request: Request) -> AsyncIterator[Connection]:
    """A pooled connection for a read-only route: the replica's when one is configured.

    Without a replica it comes from the primary's pool. Either way each statement runs on its
    own (autocommit): a read needs no BEGIN/ROLLBACK round trips around it, and giving the
    connection back does no I/O, so it is done here rather than with another thread-pool hop.
    The checkout may connect (and wait for the server), so that part runs in the pool.
    """
    conn = await run_in_threadpool(request.app.state.read_engine.connect)
    try:
        yield conn
    finally:
        conn.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ConnDep = Annotated[Connection, Depends(get_conn)]
ReadConnDep = Annotated[Connection, Depends(get_read_conn)]


async def get_layer(collection_id: str) -> LayerSpec:
    """The layer of a collection id, or a 404 that names the known ones."""
    spec = LAYERS.get(collection_id)
    if spec is None:
        known = ", ".join(LAYERS)
        raise NotFoundError(
            f"Không có lớp dữ liệu '{collection_id}'. Các lớp: {known}.",
            f"Unknown collection '{collection_id}'. Collections: {known}.",
        )
    return spec


async def get_lang(request: Request) -> str:
    """The reader's language: ?lang=, then Accept-Language, then the default (Vietnamese)."""
    lang = request.query_params.get("lang")
    if lang in ("vi", "en"):
        return lang
    if request.headers.get("accept-language", "").lower().startswith("en"):
        return "en"
    return request.app.state.settings.default_lang


def trusted_hosts(request: Request) -> set[str]:
    """Host names trusted in a Host header: the configured ones and the socket's own address."""
    hosts = {h.strip().lower() for h in request.app.state.settings.allowed_hosts.split(",")}
    server = request.scope.get("server")
    if server:
        hosts.add(str(server[0]).lower())
    return hosts - {""}


def public_base(request: Request) -> str:
    """The base of the service's absolute links, never taken from an untrusted Host header.

    The configured public URL; else the URL the request came to when its host is trusted;
    else the root path alone, so that links stay relative.
    """
    settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if (request.url.hostname or "").lower() in trusted_hosts(request):
        return str(request.base_url).rstrip("/")
    return str(request.scope.get("root_path", "")).rstrip("/")


def server_base(request: Request) -> str:
    """The address this server answered on, from its socket: for the service calling itself."""
    server = request.scope.get("server")
    if not server:
        return public_base(request)
    host, port = str(server[0]), server[1]
    if ":" in host:
        host = f"[{host}]"
    root = str(request.scope.get("root_path", "")).rstrip("/")
    netloc = f"{host}:{port}" if port else host
    return f"{request.url.scheme}://{netloc}{root}"


LayerDep = Annotated[LayerSpec, Depends(get_layer)]
LangDep = Annotated[str, Depends(get_lang)]


@dataclass(frozen=True)
class Place:
    """The district (None: not asked for) and ward a request is about, both known to the data."""

    district: str | None
    ward: str | None

    @property
    def district_or_default(self) -> str:
        """The district asked for, or the one pages open on."""
        return self.district or units.DEFAULT_DISTRICT


def get_place(
    conn: ReadConnDep,
    district: str | None = Query(
        None, description="District slug, e.g. long-bien or hai-ba-trung (default long-bien)."),
    ward: str | None = Query(None, description="One ward of the district (its name)."),
) -> Place:
    """The district and ward of a request, or a 404 that lists the known ones."""
    known = units.wards_by_district(conn)
    name = (district or "").strip() or None
    if name is not None and name not in known:
        listed = ", ".join(known)
        raise NotFoundError(f"Không có quận '{name}'. Các quận: {listed}.",
                            f"Unknown district '{name}'. Districts: {listed}.")
    ward = (ward or "").strip() or None
    if ward is not None:
        slug = name or units.DEFAULT_DISTRICT
        wards = known.get(slug, [])
        if ward not in wards:
            listed = ", ".join(wards)
            raise NotFoundError(
                f"Quận {i18n.district_name(slug)} không có phường '{ward}'. Các phường: {listed}.",
                f"{i18n.district_name(slug)} has no ward '{ward}'. Wards: {listed}.")
    return Place(name, ward)


@dataclass(frozen=True)
class Period:
    """The period a request asks for (either end may be left to a default) and its as-of day."""

    date_from: dt.date | None
    date_to: dt.date | None
    as_of: dt.date | None

    def resolve(self, default: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
        """The period with the default filling what was not asked; 400 when it runs backwards."""
        start, end = self.date_from or default[0], self.date_to or default[1]
        if end < start:
            raise InvalidParameterError("Ngày 'to' đứng trước ngày 'from'.",
                                        "'to' is before 'from'.")
        return start, end


async def get_period(
    date_from: str | None = Query(None, alias="from", description="First day (YYYY-MM-DD)."),
    date_to: str | None = Query(None, alias="to", description="Last day (YYYY-MM-DD)."),
    as_of: str | None = Query(
        None, description="The figures as the status history stood on this day (YYYY-MM-DD)."),
) -> Period:
    """The period and as-of day of a request, each day checked, the order checked once."""
    period = Period(P.date_param(date_from, "from"), P.date_param(date_to, "to"),
                    P.date_param(as_of, "as_of"))
    if period.date_from and period.date_to:
        period.resolve((period.date_from, period.date_to))
    return period


PlaceDep = Annotated[Place, Depends(get_place)]
PeriodDep = Annotated[Period, Depends(get_period)]
