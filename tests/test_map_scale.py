"""The map at city scale: tiles start with the page, on canvas, and popups come from the items."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import orjson
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import text

from maps import build
from maps.build import ClearanceMapApp, MapView, build_map

TILE_DOCUMENT = re.compile(r"/collections/\w+/tiles(/WebMercatorQuad(/tilejson\.json)?)?$")
SAMPLE_MARKERS = 370
UNREACHABLE_TILES = "127.0.0.1:9/"  # the tests' basemap: its failed loads are expected
READY = ("() => window.quyhoach && quyhoach.idle && quyhoach.idle()"
         " && quyhoach.state.statsStatus === 'loaded'")


def _layers(conn, settings, **kwargs) -> dict[str, dict]:
    fmap = build_map(conn, settings, MapView(), vector_tiles=True, **kwargs)
    app = next(c for c in fmap._children.values() if isinstance(c, ClearanceMapApp))
    return {layer["id"]: layer for layer in orjson.loads(app.config)["layers"]}


def _version(conn, layer: str) -> int:
    return conn.execute(text("SELECT version FROM layer_versions WHERE layer = :l"),
                        {"l": layer}).scalar_one()


def test_the_config_carries_each_tiled_layers_url_at_its_current_version(
        conn, settings, monkeypatch) -> None:
    monkeypatch.setattr(build, "TILE_THRESHOLD", SAMPLE_MARKERS - 1)
    layers = _layers(conn, settings)
    tiled = {k for k, v in layers.items() if v["source"] == "tiles"}
    # The markers, and the programme's larger layers (alleys, permits) beside them.
    assert {"parcels", "red_line_markers"} <= tiled
    assert not tiled & {"projects", "wards", "lakes", "red_lines", "civilized_streets"}
    for layer_id, layer in layers.items():
        if layer_id in tiled:
            assert layer["tiles"] == (f"/collections/{layer_id}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"
                                      f"?v={_version(conn, layer_id)}")
        else:
            assert layer["tiles"] is None
    before = {k: layers[k]["tiles"] for k in tiled}

    # A write to the markers bumps their version: their URL changes, the parcels' does not.
    conn.execute(text("UPDATE red_line_markers SET road = road WHERE id = (SELECT min(id) FROM red_line_markers)"))
    after = _layers(conn, settings)
    assert after["red_line_markers"]["tiles"] != before["red_line_markers"]
    assert after["red_line_markers"]["tiles"].endswith(f"?v={_version(conn, 'red_line_markers')}")
    assert after["parcels"]["tiles"] == before["parcels"]
    # A snapshot's absolute base prefixes the URLs as it does every other.
    snap = _layers(conn, settings, base_url="http://planning.local")
    assert snap["parcels"]["tiles"] == "http://planning.local" + before["parcels"]


def test_the_benchmarks_markers_would_come_as_tiles(conn, settings) -> None:
    # The sample's 370 markers stay one GeoJSON request; the benchmark's 20,000 (as the planner
    # estimates them) are past the threshold and come as tiles, while small layers stay GeoJSON.
    assert _layers(conn, settings)["red_line_markers"]["source"] == "geojson"
    conn.execute(text("UPDATE pg_class SET reltuples = 20000 WHERE oid = 'red_line_markers'::regclass"))
    layers = _layers(conn, settings)
    assert layers["red_line_markers"]["source"] == "tiles"
    assert layers["red_line_markers"]["tiles"].startswith("/collections/red_line_markers/tiles/")
    assert {k for k, v in layers.items() if v["source"] == "tiles"} == {"parcels", "red_line_markers"}


def test_the_pages_tile_url_is_served_as_the_current_immutable_tile(client) -> None:
    html = client.get("/map").text
    url = re.search(r'"id":"parcels"[^}]*"tiles":"([^"]+)"', html)
    assert url, "no tile URL for the parcels in the page"
    doc = client.get("/collections/parcels/tiles/WebMercatorQuad").json()
    assert f"?v={doc['dataVersion']}" in url.group(1)
    tile = client.get(url.group(1).format(z=16, y=28833, x=52062))
    assert tile.status_code == 200
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert "immutable" in tile.headers["cache-control"]  # the version is the current one


@pytest.fixture(scope="module")
def spot(engine) -> dict:
    """A parcel's inner point away from any marker, a lone red-line marker near it and a blank
    point 100 m south of the marker."""
    with engine.connect() as c:
        row = c.execute(text("""
            WITH p AS (
              SELECT pa.id, pa.code, pr.name AS project_name, pr.district,
                     ST_PointOnSurface(ST_Buffer(pa.geom, -4)) AS pt
              FROM parcels pa JOIN projects pr ON pr.id = pa.project_id
              WHERE NOT ST_IsEmpty(ST_Buffer(pa.geom, -4))
            ), m AS (
              SELECT m.id, m.code, m.geom FROM red_line_markers m
              WHERE NOT EXISTS (SELECT 1 FROM red_line_markers o
                                WHERE o.id <> m.id AND ST_DWithin(o.geom, m.geom, 25))
            )
            SELECT p.id, p.code, p.project_name, p.district,
                   ST_Y(ST_Transform(p.pt, 4326)) AS lat, ST_X(ST_Transform(p.pt, 4326)) AS lon,
                   m.id AS marker_id, m.code AS marker_code,
                   ST_Y(ST_Transform(m.geom, 4326)) AS marker_lat,
                   ST_X(ST_Transform(m.geom, 4326)) AS marker_lon,
                   ST_Y(ST_Transform(m.blank, 4326)) AS blank_lat,
                   ST_X(ST_Transform(m.blank, 4326)) AS blank_lon
            FROM p JOIN (SELECT m.*, ST_Translate(m.geom, 0, -100) AS blank FROM m) m
              ON ST_DWithin(p.pt, m.geom, 250)
            WHERE NOT EXISTS (SELECT 1 FROM parcels o WHERE o.id <> p.id AND ST_DWithin(o.geom, p.pt, 3))
              AND NOT EXISTS (SELECT 1 FROM red_line_markers o WHERE ST_DWithin(o.geom, p.pt, 40))
              AND NOT EXISTS (SELECT 1 FROM parcels o WHERE ST_DWithin(o.geom, m.blank, 20))
              AND NOT EXISTS (SELECT 1 FROM red_line_markers o WHERE ST_DWithin(o.geom, m.blank, 20))
            ORDER BY p.id, m.id LIMIT 1""")).one()
    return dict(row._mapping)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport={"width": 1200, "height": 800}, locale="vi-VN")
    yield ctx.new_page()
    ctx.close()


def test_tiles_start_with_the_page_on_canvas_and_popups_come_from_the_items(
        page: Page, live_server: str, spot: dict, engine, monkeypatch) -> None:
    monkeypatch.setattr(build, "TILE_THRESHOLD", SAMPLE_MARKERS - 1)
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda req: requests.append(req.url.removeprefix(live_server)))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and UNREACHABLE_TILES
            not in (msg.location.get("url") or "") else None)
    s = spot
    page.goto(f"{live_server}/map?" + urlencode({
        "district": s["district"], "layers": "parcels,red_line_markers",
        "center": f"{s['lat']},{s['lon']}", "zoom": "17"}))
    page.wait_for_function(READY, timeout=15_000)

    with engine.connect() as c:
        versions = {k: _version(c, k) for k in ("parcels", "red_line_markers")}
    first_tile = {}
    for layer, version in versions.items():
        tiles = [i for i, u in enumerate(requests)
                 if u.startswith(f"/collections/{layer}/tiles/WebMercatorQuad/17/")]
        assert tiles, layer
        assert all(requests[i].endswith(f"?v={version}") for i in tiles), layer
        first_tile[layer] = tiles[0]
    # No tile waits for a tileset document, and the totals wait for the first tiles.
    documents = [i for i, u in enumerate(requests) if TILE_DOCUMENT.search(u.split("?")[0])]
    assert not documents or min(documents) > max(first_tile.values())
    stats = [i for i, u in enumerate(requests) if u.startswith("/stats/clearance")]
    assert stats and stats[0] > min(first_tile.values())

    # Both tiled layers are drawn on canvas, not as one SVG path per feature.
    for pane in ("parcels", "red_line_markers"):
        assert page.locator(f".leaflet-qh-{pane}-pane canvas").count() > 0, pane
        assert page.locator(f".leaflet-qh-{pane}-pane path").count() == 0, pane

    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    # A click on the parcel goes through the markers' canvas above it; its popup shows the
    # parcel as the items endpoint gives it.
    page.mouse.click(cx, cy)
    popup = page.wait_for_selector(".leaflet-popup-content .qh-popup", timeout=5_000)
    assert popup is not None
    shown = popup.inner_text()
    assert f"/collections/parcels/items/{s['id']}" in requests
    assert s["code"] in shown and s["project_name"] in shown

    # A drag that starts on a parcel pans the map, and opens no popup when it ends.
    page.evaluate("quyhoach.map.closePopup()")
    before = page.evaluate("[quyhoach.map.getCenter().lat, quyhoach.map.getCenter().lng]")
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 60, cy - 40, steps=5)
    page.mouse.move(cx - 150, cy - 100, steps=5)
    page.mouse.up()
    after = page.evaluate("[quyhoach.map.getCenter().lat, quyhoach.map.getCenter().lng]")
    assert after[1] > before[1] + 1e-4 and after[0] < before[0] - 1e-4
    assert page.locator(".leaflet-popup").count() == 0

    assert errors == []
