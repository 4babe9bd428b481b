"""Annotated dependencies shared by the routers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from api import params as P
from core import i18n
from core.errors import InvalidParameterError, NotFoundError
from core.settings import Settings
from gis.adb import ConnectionReader, Reader
from layers import admin_units, units
from layers.admin_units import Unit
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


def given_read_conn(request: Request) -> Connection | None:
    """The connection the app was told to read with in place of its pools (a test's), or None."""
    given = request.app.dependency_overrides.get(get_read_conn)
    return given() if given is not None else None


async def get_reader(request: Request) -> Reader:
    """Where a hot read route's statements run: the async read pool, on the event loop.

    An app given a read connection in place of its pools (the tests' rolled-back one) runs the
    same statements on that connection, so that its requests see that transaction.
    """
    given = given_read_conn(request)
    return request.app.state.read_db if given is None else ConnectionReader(given)


@contextmanager
def read_conn(request: Request) -> Iterator[Connection]:
    """A sync read connection for work run in the thread pool (downloads): the given one or a pooled one."""
    given = given_read_conn(request)
    if given is not None:
        yield given
        return
    with request.app.state.read_engine.connect() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ConnDep = Annotated[Connection, Depends(get_conn)]
ReadConnDep = Annotated[Connection, Depends(get_read_conn)]
ReaderDep = Annotated[Reader, Depends(get_reader)]


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


@lru_cache(maxsize=64)
def _trusted_hosts(allowed: str, server: tuple[str, int | None] | None) -> frozenset[str]:
    """Host names trusted in a Host header: the configured ones and the socket's own address."""
    hosts = {h.strip().lower() for h in allowed.split(",")}
    if server:
        hosts.add(str(server[0]).lower())
    return frozenset(hosts - {""})


def public_base(request: Request) -> str:
    """The base of the service's absolute links, never taken from an untrusted Host header.

    The configured public URL; else the URL the request came to when its host is trusted;
    else the root path alone, so that links stay relative.
    """
    settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    scope = request.scope
    server = scope.get("server")
    return _request_base(settings.allowed_hosts, scope.get("scheme", "http"),
                         request.headers.get("host"), tuple(server) if server else None,
                         scope.get("root_path", ""), scope.get("app_root_path"))


@lru_cache(maxsize=256)
def _request_base(allowed: str, scheme: str, host: str | None,
                  server: tuple[str, int | None] | None, root_path: str,
                  app_root_path: str | None) -> str:
    """`public_base` of a request that came with this scheme, Host header, socket and root path."""
    scope = {"type": "http", "scheme": scheme, "server": server, "root_path": root_path,
             "path": root_path + "/", "query_string": b"",
             "headers": [(b"host", host.encode("latin-1"))] if host is not None else []}
    if app_root_path is not None:
        scope["app_root_path"] = app_root_path
    request = Request(scope)
    if (request.url.hostname or "").lower() in _trusted_hosts(allowed, server):
        return str(request.base_url).rstrip("/")
    return root_path.rstrip("/")


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


PeriodDep = Annotated[Period, Depends(get_period)]


@dataclass(frozen=True)
class Place:
    """Where a request is about: a district slot (any unit's id) and ward name, and the unit.

    `district` holds the id of the unit asked for (an old ward is kept as its district and
    name, the way the data's other outputs name it); `unit` is None when nothing was asked.
    """

    district: str | None
    ward: str | None
    unit: Unit | None = None

    @property
    def district_or_default(self) -> str:
        """The unit asked for, or the district pages open on."""
        return self.district or units.DEFAULT_DISTRICT

    @property
    def default_period(self) -> tuple[dt.date, dt.date]:
        """The period the unit's pages open on: its district's, else the default one."""
        district = self.unit.district if self.unit is not None else None
        return units.default_period(district or self.district_or_default)


def _unit_place(conn: Connection, unit_id: str) -> Place:
    """The place of a unit id, or a 404 that says where the units are listed."""
    unit = admin_units.get_unit(conn, unit_id)
    if unit is None:
        raise NotFoundError(i18n.phrase(i18n.UNIT_WORDS, "unknown", "vi", id=unit_id),
                            i18n.phrase(i18n.UNIT_WORDS, "unknown", "en", id=unit_id))
    district, ward = unit.slot
    return Place(district, ward, unit)


def _check_period(unit: Unit, period: Period) -> None:
    """A 400 naming the successors when the period asked starts after the unit ceased."""
    first = period.date_from or period.date_to
    if unit.valid_to is None or first is None or first <= unit.valid_to:
        return
    day = unit.valid_to + dt.timedelta(days=1)
    messages = []
    for lang in ("vi", "en"):
        successors = ", ".join(f"{i18n.unit_label(s, lang)} ({s['id']})"
                               for s in unit.successors) or "—"
        label = i18n.unit_label(unit.as_dict(), lang)
        messages.append(i18n.phrase(i18n.UNIT_WORDS, "ceased", lang, unit=label[:1].upper() +
                                    label[1:], day=i18n.day_text(day, lang),
                                    successors=successors, id=unit.id))
    raise InvalidParameterError(*messages)


def get_place(
    conn: ReadConnDep,
    period: PeriodDep,
    district: str | None = Query(
        None, description="District slug, e.g. long-bien or hai-ba-trung (default long-bien); "
                          "any unit id is accepted, as with `unit`."),
    ward: str | None = Query(None, description="One ward of the district (its name)."),
    unit: str | None = Query(
        None, description="An administrative unit's id, old or new (see /units?on=DAY); "
                          "it takes the place of district and ward."),
) -> Place:
    """The unit of a request (`unit`, or `district` and `ward`), or a 404 that lists the known."""
    unit_id = (unit or "").strip() or None
    name = (district or "").strip() or None
    ward = (ward or "").strip() or None
    known = {} if unit_id else units.wards_by_district(conn)
    # A district slot naming a unit the wards layer does not know (a new ward): that unit.
    if (unit_id is None and name is not None and ward is None and name not in known
            and admin_units.get_unit(conn, name) is not None):
        unit_id = name
    if unit_id is not None:
        place = _unit_place(conn, unit_id)
        assert place.unit is not None
        _check_period(place.unit, period)
        return place
    if name is not None and name not in known:
        listed = ", ".join(known)
        raise NotFoundError(f"Không có quận '{name}'. Các quận: {listed}.",
                            f"Unknown district '{name}'. Districts: {listed}.")
    if ward is not None:
        slug = name or units.DEFAULT_DISTRICT
        wards = known.get(slug, [])
        if ward not in wards:
            listed = ", ".join(wards)
            raise NotFoundError(
                f"Quận {i18n.district_name(slug)} không có phường '{ward}'. Các phường: {listed}.",
                f"{i18n.district_name(slug)} has no ward '{ward}'. Wards: {listed}.")
    if name is None and ward is None:
        return Place(None, None)
    found = admin_units.unit_of(conn, name or units.DEFAULT_DISTRICT, ward)
    if found is not None:
        _check_period(found, period)
    return Place(name, ward, found)


PlaceDep = Annotated[Place, Depends(get_place)]
