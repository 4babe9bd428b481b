"""Bounded work per request: statement timeout, body and vertex limits, cancellation, render pool."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from api.app import create_app
from api.limits import render_pool_of
from gis.db import libpq_url, make_engine

LONG_BIEN = (105.89, 21.04)
H1 = {"district": "long-bien", "from": "2022-01-01", "to": "2022-06-30"}


def circle(center: tuple[float, float], radius_deg: float, n: int, digits: int = 6) -> dict:
    """A GeoJSON Polygon of `n` distinct vertices (plus the closing one) around `center`."""
    lon, lat = center
    ring = [[round(lon + radius_deg * math.cos(2 * math.pi * i / n), digits),
             round(lat + radius_deg * math.sin(2 * math.pi * i / n), digits)] for i in range(n)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _error(r) -> dict:
    body = r.json()
    assert body["description_vi"] and body["description_en"]
    return body


# --- statement timeout ------------------------------------------------------------------


def test_a_statement_over_the_timeout_is_a_503_with_retry_after(settings) -> None:
    app = create_app(settings.model_copy(update={"statement_timeout_ms": 50}))
    corridor = circle(LONG_BIEN, 0.03, 9990)  # allowed, and > 0.5 s of ST_Intersection
    with TestClient(app) as c:
        r = c.post("/plans/analysis/corridor", json=corridor)
        assert r.status_code == 503, r.text[:300]
        assert int(r.headers["retry-after"]) > 0
        body = _error(r)
        assert body["code"] == "QueryTimeout"
        assert "narrow the area or the period" in body["description_en"]
        assert "thu hẹp khu vực" in body["description_vi"]
        assert c.get("/health").status_code == 200  # the pool's connections still work


def test_service_engines_have_a_timeout_and_admin_engines_none(settings) -> None:
    for admin, expected in ((False, "15s"), (True, "0")):
        engine = make_engine(settings.model_copy(update={"statement_timeout_ms": 15000}),
                             admin=admin)
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == expected
        engine.dispose()


# --- request bodies ---------------------------------------------------------------------


@pytest.fixture
def checkouts(client) -> Iterator[list[object]]:
    """Connections the app takes from its pool during the test."""
    taken: list[object] = []

    def count(*args: object) -> None:
        taken.append(args[0])

    engine = client.app.state.engine
    event.listen(engine, "checkout", count)
    yield taken
    event.remove(engine, "checkout", count)


@pytest.mark.parametrize("path", ["/plans/analysis", "/plans/analysis/corridor"])
def test_a_huge_polygon_is_refused_by_its_size_at_once(client, checkouts, path) -> None:
    body = orjson.dumps(circle(LONG_BIEN, 0.03, 200_000))
    assert len(body) > client.app.state.settings.body_max_bytes
    start = time.perf_counter()
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "exceeds the limit" in _error(r)["description_en"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
        for i in range(0, len(body), 64 * 1024):
            yield body[i:i + 64 * 1024]

    r = client.post(path, content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert time.perf_counter() - start < 1.0
    assert checkouts == []  # refused before any connection, let alone a statement


@pytest.mark.parametrize("path", ["/plans/analysis", "/plans/analysis/corridor"])
def test_too_many_vertices_are_refused_before_any_geometry(client, checkouts, path) -> None:
    doc = circle(LONG_BIEN, 0.03, 20_000, digits=4)
    assert len(orjson.dumps(doc)) < client.app.state.settings.body_max_bytes
    start = time.perf_counter()
    r = client.post(path, json={"type": "Feature", "properties": {}, "geometry": doc})
    assert time.perf_counter() - start < 1.0
    assert r.status_code == 400
    body = _error(r)
    assert "too many vertices" in body["description_en"] and "10,000" in body["description_en"]
    assert "quá nhiều đỉnh" in body["description_vi"]
    assert checkouts == []
    small = circle(LONG_BIEN, 0.002, 9990)  # at the limit, over a few parcels: answered
    assert client.post(path, json=small).status_code == 200


def test_a_body_that_is_not_json_is_a_400(client) -> None:
    r = client.post("/plans/analysis", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in _error(r)["description_en"]


# --- cancelling when the client leaves ----------------------------------------------------


def _backends(admin_url: str, marker: str) -> list[tuple]:
    with psycopg.connect(admin_url, autocommit=True) as c:
        return c.execute(
            "SELECT pid, state, wait_event_type FROM pg_stat_activity "
            "WHERE datname = current_database() AND state <> 'idle' AND query LIKE %s "
            "AND query NOT LIKE %s",
            (f"%{marker}%", "%pg_stat_activity%")).fetchall()


def _send_and_leave(base_url: str, request: bytes, admin_url: str, marker: str) -> float:
    """Send a request, wait for its statement to be blocked, drop the connection; seconds to idle."""
    host = urlsplit(base_url)
    sock = socket.create_connection((host.hostname, host.port))
    try:
        sock.sendall(request)
        deadline = time.monotonic() + 10
        while not any(w == "Lock" for _, _, w in _backends(admin_url, marker)):
            assert time.monotonic() < deadline, "the request's statement never started"
            time.sleep(0.05)
    finally:
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()
    left = time.monotonic()
    while _backends(admin_url, marker):
        if time.monotonic() - left > 3:
            break
        time.sleep(0.05)
    return time.monotonic() - left


@pytest.fixture
def locked(database_url: str) -> Iterator[str]:
    """Parcels and projects locked by another transaction; yields a libpq URL of the database."""
    url = libpq_url(database_url)
    with psycopg.connect(url) as holder:
        holder.execute("LOCK TABLE projects, parcels IN ACCESS EXCLUSIVE MODE")
        yield url
        holder.rollback()


def test_stats_statement_is_cancelled_when_the_client_leaves(live_server, locked) -> None:
    query = "district=long-bien&from=2022-01-01&to=2022-06-30"
    request = f"GET /stats/clearance?{query} HTTP/1.1\r\nHost: test\r\n\r\n".encode()
    # Blocked by the lock, the statement would wait for the whole statement timeout (15 s).
    assert _send_and_leave(live_server, request, locked, "-- Clearance progress of an administrative unit") < 2.0


def test_corridor_statement_is_cancelled_when_the_client_leaves(live_server, locked) -> None:
    body = orjson.dumps(circle(LONG_BIEN, 0.01, 500))
    request = (b"POST /plans/analysis/corridor HTTP/1.1\r\nHost: test\r\n"
               b"Content-Type: application/json\r\nContent-Length: "
               + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert _send_and_leave(live_server, request, locked, "-- What must be recovered from whom") < 2.0


# --- the render pool ------------------------------------------------------------------------


def test_a_full_render_pool_answers_503_and_health_stays_fast(client) -> None:
    pool = render_pool_of(client.app.state)
    assert pool.size == client.app.state.settings.render_pool_size == 2
    held = 0
    try:
        while pool.slots.acquire(blocking=False):  # as if every slot rendered a long report
            held += 1
        assert held == pool.size
        start = time.perf_counter()
        assert client.get("/health").status_code == 200
        assert time.perf_counter() - start < 1.0
        for path, params in (("/reports/clearance", {**H1, "format": "pdf"}),
                             ("/reports/clearance", {**H1, "format": "xlsx"}),
                             ("/reports/clearance/map.png", H1),
                             ("/exports/map.pdf", {"center": "21.04,105.89", "scale": "2000"}),
                             ("/exports/map.png", {"bbox": "105.88,21.03,105.90,21.05"})):
            start = time.perf_counter()
            r = client.get(path, params=params)
            assert r.status_code == 503, (path, r.status_code)
            assert int(r.headers["retry-after"]) > 0
            assert "busy" in _error(r)["description_en"]
            assert time.perf_counter() - start < 1.0
        # Figures that are not drawn need no slot.
        assert client.get("/reports/clearance", params={**H1, "format": "json"}).status_code == 200
    finally:
        for _ in range(held):
            pool.slots.release()
    r = client.get("/reports/clearance", params={**H1, "format": "xlsx"})
    assert r.status_code == 200
