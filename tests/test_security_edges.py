"""Correct answers at the edges: world bboxes, hostile parameters, long periods, links, methods."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator

import mapbox_vector_tile
import orjson
import psycopg.errors
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import bad_value
from api.routes.tiles import tile_of
from cli.main import main as cli_main
from tests.serving import serving

BIG = "9223372036854775808"  # one past the largest 64-bit integer
SAMPLE_PATH_VALUES = {"collection_id": "parcels", "feature_id": "1", "tile_matrix": "14",
                      "tile_row": "7000", "tile_col": "13000", "project": "1", "parcel": "1"}


def _matched(client, **params: str) -> int:
    r = client.get("/collections/parcels/items", params={"limit": "1", **params})
    assert r.status_code == 200, r.text
    return r.json()["numberMatched"]


# -- 1. A world bbox selects every feature, quickly ------------------------------------------


@pytest.mark.parametrize("bbox", [
    {"bbox": "-180,-90,180,90"},
    {"bbox": "100,-90,180,90"},  # clipped, not skipped
    {"bbox": "-90,-180,90,180", "bbox-crs": "EPSG:4326"},
    {"bbox": "-20037508,-20037508,20037508,20037508",
     "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3857"},
])
def test_world_sized_bbox_returns_every_parcel_quickly(client, bbox: dict[str, str]) -> None:
    everything = _matched(client)
    assert everything > 1000
    started = time.monotonic()
    assert _matched(client, **bbox) == everything
    assert time.monotonic() - started < 3


def test_bbox_away_from_the_grid_is_empty_not_an_error(client) -> None:
    assert _matched(client, bbox="-10,40,10,50") == 0


def test_lowest_zoom_tile_holds_every_marker(client) -> None:
    everything = client.get("/collections/red_line_markers/items",
                            params={"limit": "1"}).json()["numberMatched"]
    r = client.get("/collections/red_line_markers/tiles/WebMercatorQuad/0/0/0")
    assert r.status_code == 200
    layer = mapbox_vector_tile.decode(r.content)["red_line_markers"]
    assert len(layer["features"]) == everything > 0


# -- 2. One guard for hostile values: 400 with a vi/en body, never a 500 -----------------------


def _operations(client) -> Iterator[tuple[str, str, list[dict]]]:
    doc = client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            params = [p for p in op.get("parameters", []) if p["in"] in ("query", "path")]
            if params:
                yield method.upper(), path, params


def _url(path: str, params: list[dict], target: dict, raw: str) -> str:
    for p in params:
        if p["in"] == "path":
            value = raw if p is target else SAMPLE_PATH_VALUES.get(p["name"], "1")
            path = path.replace("{" + p["name"] + "}", value)
    return path if target["in"] == "path" else f"{path}?{target['name']}={raw}"


@pytest.mark.parametrize("raw", ["%00", "a%01b", BIG])
def test_every_documented_parameter_refuses_hostile_values(client, raw: str) -> None:
    refused = 0
    for method, path, params in _operations(client):
        for target in params:
            url = _url(path, params, target, raw)
            r = client.request(method, url)
            assert r.status_code == 400, (method, url, r.status_code, r.text[:200])
            body = r.json()
            assert body["description_vi"] and body["description_en"], url
            refused += 1
    assert refused > 40
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize("url", [
    "/collections/%00/items",
    "/collections/parcels/items?code=%00",
    "/collections/parcels/items?code=%7F",
    "/collections/parcels/items?%00=1",
    "/collections/%FF/items",
    "/collections/parcels/items?code=%C3",
    "/collections/parcels/items/%C2%B2",
    "/collections/parcels/items/3000000000",
    "/collections/parcels/items?offset=" + BIG,
    "/map?zoom=%C2%B2",
    "/stats/clearance?district=long-bien%00",
])
def test_malformed_values_anywhere_are_a_400(client, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["description_en"]
    assert "\x00" not in r.text and "\\u0000" not in r.text


@pytest.fixture(scope="module")
def raw_server(settings) -> Iterator[tuple[str, int]]:
    """The real service on a loopback port, with one route that fails unexpectedly."""
    app = create_app(settings)

    @app.get("/test-only/fails")
    def fails() -> None:
        raise RuntimeError("psycopg says: secret library text")

    with serving(app, log_level="critical") as address:
        yield address


def _exchange(sock: socket.socket, buf: bytearray, target: str) -> tuple[int, dict, bytes]:
    """Send one GET on a kept-alive socket and read its response."""
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the answer to {target}"
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed while reading {target}"
        rest += chunk
    buf[:] = rest[length:]
    return int(lines[0].split()[1]), headers, rest[:length]


@pytest.mark.parametrize("target, status", [
    ("/stats/clearance?district=%00", 400),
    ("/collections/%00/items", 400),
    ("/collections/parcels/items?offset=" + BIG, 400),
    ("/test-only/fails", 500),
])
def test_keep_alive_connection_survives_a_refusal_or_a_failure(raw_server, target: str,
                                                               status: int) -> None:
    with socket.create_connection(raw_server, timeout=10) as sock:
        buf = bytearray()
        code, headers, body = _exchange(sock, buf, target)
        assert code == status
        assert headers["content-type"].startswith("application/json")
        doc = orjson.loads(body)
        assert doc["description_vi"] and doc["description_en"]
        assert b"secret" not in body and b"psycopg" not in body
        code, _, body = _exchange(sock, buf, "/health")
        assert code == 200 and orjson.loads(body)["status"] == "ok"


# -- 3. Periods stay within what the data can hold ---------------------------------------------


@pytest.mark.parametrize("url", [
    "/stats/clearance?from=0001-01-01&to=9999-12-31",
    "/stats/clearance?to=9999-12-31",
    "/stats/clearance?as_of=1850-01-01",
    "/reports/clearance?from=0001-01-01&to=9999-12-31&format=json",
    "/dashboard?from=0001-01-01&to=9999-12-31",
    "/map?from=0001-01-01&to=9999-12-31",
    "/collections/projects/items?datetime=0001-01-01/9999-12-31",
    "/collections/projects/items?as_of=9999-12-31",
    "/exports/map.pdf?bbox=105.88,21.02,105.89,21.03&from=0001-01-01&to=9999-12-31",
])
def test_a_period_beyond_the_data_is_refused_at_once(client, url: str) -> None:
    started = time.monotonic()
    r = client.get(url)
    assert time.monotonic() - started < 1
    assert r.status_code == 400, r.text[:200]
    assert "1990-01-01" in r.json()["description_en"]


def test_a_period_within_the_bounds_still_works(client) -> None:
    r = client.get("/stats/clearance", params={"from": "1990-01-01", "to": "2022-06-30"})
    assert r.status_code == 200


# -- 4. /health says little; the command line says more -----------------------------------------


def test_health_shows_no_versions(client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"status", "schema"}
    assert body["status"] == "ok" and body["schema"]
    assert not re.search(r"postgres|postgis|\d+\.\d+", r.text, re.IGNORECASE)


def test_db_status_command_prints_the_versions(database_url: str) -> None:
    result = CliRunner().invoke(cli_main, ["db", "status"], env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert re.search(r"PostgreSQL: PostgreSQL \d+", result.output)
    assert re.search(r'PostGIS: POSTGIS="3\.', result.output)
    assert re.search(r"Schema: \w+", result.output)


# -- 5. Absolute links never come from the client's Host header ----------------------------------


LINKED = ["/", "/collections", "/collections/parcels", "/collections/parcels/items?limit=1",
          "/collections/parcels/tiles", "/collections/parcels/tiles/WebMercatorQuad",
          "/collections/parcels/tiles/WebMercatorQuad/tilejson.json", "/tileMatrixSets"]


def _hrefs(doc: object) -> list[str]:
    if isinstance(doc, dict):
        return [v for k, v in doc.items() if k in ("href", "$id") and isinstance(v, str)] + \
            [h for v in doc.values() for h in _hrefs(v)]
    if isinstance(doc, list):
        return [h for v in doc for h in _hrefs(v)]
    return []


def _links(c: TestClient, url: str, **headers: str) -> list[str]:
    r = c.get(url, headers=headers)
    assert r.status_code == 200, r.text
    doc = r.json()
    links = _hrefs(doc) + doc.get("tiles", [])
    assert links, url
    return links


def test_links_use_the_configured_public_url(settings) -> None:
    public = settings.model_copy(update={"public_url": "https://quyhoach.example.vn"})
    with TestClient(create_app(public)) as c:
        for url in LINKED:
            for link in _links(c, url, host="evil.example"):
                assert link.startswith("https://quyhoach.example.vn/"), (url, link)


def test_links_ignore_a_spoofed_host(client) -> None:
    for url in LINKED:
        for link in _links(client, url, host="evil.example"):
            assert "evil.example" not in link, (url, link)
            assert link.startswith("/"), (url, link)
    # The address the server is bound to stays usable for absolute links.
    assert _links(client, "/collections")[0].startswith("http://testserver/")


# -- 6. HEAD, 405 and conditional requests --------------------------------------------------------


def _parcel_tile(client) -> str:
    """A zoom-16 tile holding the first parcel."""
    from shapely.geometry import shape

    feature = client.get("/collections/parcels/items", params={"limit": 1}).json()["features"][0]
    point = shape(feature["geometry"]).representative_point()
    x, y = tile_of(point.x, point.y, 16)
    return f"/collections/parcels/tiles/WebMercatorQuad/16/{y}/{x}"


@pytest.mark.parametrize("url", ["/collections", "/map", "tile"])
def test_head_answers_wherever_get_does(client, url: str) -> None:
    url = _parcel_tile(client) if url == "tile" else url
    got = client.get(url)
    head = client.head(url)
    assert head.status_code == 200 == got.status_code
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if "etag" in got.headers:
        assert head.headers["etag"] == got.headers["etag"]
        assert head.headers["content-length"] == got.headers["content-length"]


def test_method_not_allowed_lists_every_allowed_method(client) -> None:
    r = client.put("/plans")
    assert r.status_code == 405
    allow = {m.strip() for m in r.headers["allow"].split(",")}
    assert {"GET", "HEAD", "POST"} <= allow and "PUT" not in allow
    body = r.json()
    assert "POST" in body["description_en"] and body["description_vi"]


@pytest.mark.parametrize("header", ['W/{etag}', '"x", {etag}', 'W/"x",W/{etag}', "*"])
def test_if_none_match_understands_weak_tags_lists_and_star(client, header: str) -> None:
    url = _parcel_tile(client)
    etag = client.get(url).headers["etag"]
    r = client.get(url, headers={"If-None-Match": header.format(etag=etag)})
    assert r.status_code == 304
    assert r.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200



def test_a_value_only_the_database_refuses_is_a_400_not_a_500() -> None:
    """A data exception (SQLSTATE class 22) is the reader's value: a 400, not a 500."""
    refused = bad_value(psycopg.errors.NumericValueOutOfRange("value out of range: overflow"))
    assert refused is not None and "cannot be used" in refused.message_en
    assert "overflow" not in refused.message_en and "overflow" in (refused.detail or "")
    assert bad_value(psycopg.errors.UniqueViolation("duplicate key")) is None
