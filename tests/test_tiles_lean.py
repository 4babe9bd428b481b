"""Lean vector tiles, tileset documents computed once per data version, and compression."""

from __future__ import annotations

import gzip
import math

import brotli
import mapbox_vector_tile
import orjson
import pytest
from shapely.geometry import shape
from sqlalchemy import event, text

from api.routes.tiles import tile_of
from layers.registry import LAYERS

# Never in a tile: the source geometry, money, the land user, dates, figures joined from projects.
FORBIDDEN = {"geom", "compensation_vnd", "land_user_kind", "project_name", "project_code",
             "project_id", "plans_total", "plans_approved", "recovered_ha", "recovered_pct",
             "area_ha", "approved_on", "paid_on", "drafted_on", "district"}
WORLD_M = 40_075_016.685578488
BUFFER_FRACTION = 64 / 4096  # the tiles' buffer, as a share of the tile's width


def _first_point(client, layer: str) -> tuple[float, float]:
    f = client.get(f"/collections/{layer}/items", params={"limit": 1}).json()["features"][0]
    p = shape(f["geometry"]).representative_point()
    return p.x, p.y


def _tile(client, layer: str, z: int, x: int, y: int, **headers: str):
    r = client.get(f"/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}", headers=headers)
    assert r.status_code == 200
    return r


def _features(client, layer: str, z: int, x: int, y: int) -> list[dict]:
    content = _tile(client, layer, z, x, y).content
    return mapbox_vector_tile.decode(content).get(layer, {"features": []})["features"]


def _lonlat_bounds(z: int, x: int, y: int, margin: float = 0.0) -> str:
    """A tile's bounds in lon/lat, widened by `margin` tile widths on each side."""
    size = WORLD_M / 2**z
    left = -WORLD_M / 2 + (x - margin) * size
    right = -WORLD_M / 2 + (x + 1 + margin) * size
    top = WORLD_M / 2 - (y - margin) * size
    bottom = WORLD_M / 2 - (y + 1 + margin) * size

    def lon(m: float) -> float:
        return m / WORLD_M * 360

    def lat(m: float) -> float:
        return math.degrees(math.atan(math.sinh(m / WORLD_M * 2 * math.pi)))

    return f"{lon(left)},{lat(bottom)},{lon(right)},{lat(top)}"


def _item_ids(client, layer: str, bbox: str) -> set[int]:
    r = client.get(f"/collections/{layer}/items", params={"bbox": bbox, "limit": 10000})
    assert r.status_code == 200
    return {f["id"] for f in r.json()["features"]}


@pytest.mark.parametrize("layer", [spec.id for spec in LAYERS.values()])
def test_tiles_carry_only_the_declared_style_and_label_columns(client, layer: str) -> None:
    spec = LAYERS[layer]
    declared = set(spec.tile_columns)
    assert declared and not declared & FORBIDDEN
    lon, lat = _first_point(client, layer)
    seen: set[str] = set()
    for z in sorted({max(spec.min_zoom, 12), 16}):
        feats = _features(client, layer, z, *tile_of(lon, lat, z))
        assert feats, f"{layer} z{z}"
        for f in feats:
            assert isinstance(f["id"], int)
            # ST_AsMVT leaves out a NULL value, so a feature may carry fewer keys, never others.
            assert set(f["properties"]) <= declared, f["properties"]
            seen |= set(f["properties"])
    assert seen == declared


@pytest.mark.parametrize("z", [15, 16, 17])
def test_a_parcel_tile_holds_the_parcels_that_meet_it(client, z: int) -> None:
    x, y = tile_of(*_first_point(client, "parcels"), z)
    ids = {f["id"] for f in _features(client, "parcels", z, x, y)}
    inside = _item_ids(client, "parcels", _lonlat_bounds(z, x, y))
    within_buffer = _item_ids(client, "parcels", _lonlat_bounds(z, x, y, BUFFER_FRACTION * 1.01))
    assert inside and inside <= ids <= within_buffer


def test_parcel_tiles_cost_few_bytes_per_feature(client) -> None:
    # A parcel is a quadrilateral or so: ~15-40 bytes of geometry commands at full detail, a
    # 2-3 byte id, 4 bytes of tags, its own code (~15 bytes) and a shared status. With every
    # attribute and the source WKB beside it (as before) a feature took 300+ bytes.
    lon, lat = _first_point(client, "parcels")
    for z in (14, 15, 16):
        x, y = tile_of(lon, lat, z)
        body = _tile(client, "parcels", z, x, y).content
        feats = mapbox_vector_tile.decode(body)["parcels"]["features"]
        assert feats
        assert len(body) / len(feats) < 120, (z, len(body), len(feats))


def _bbox_of_collection(client, layer: str) -> list[float]:
    return client.get(f"/collections/{layer}").json()["extent"]["spatial"]["bbox"][0]


def test_tileset_bounds_follow_the_data_and_are_computed_once_per_version(
        tx_client, conn, engine) -> None:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    docs = ("/collections/lakes/tiles/WebMercatorQuad",
            "/collections/lakes/tiles/WebMercatorQuad/tilejson.json")
    before = tx_client.get(docs[0]).json()
    for shift in (3000, 6000):  # the same transaction twice: a new version, the same time
        conn.execute(text("UPDATE lakes SET geom = ST_Translate(geom, :dx, 0) "
                          "WHERE id = (SELECT min(id) FROM lakes)"), {"dx": shift})
        extent = _bbox_of_collection(tx_client, "lakes")
        event.listen(engine, "before_cursor_execute", record)
        try:
            statements.clear()
            first = tx_client.get(docs[0]).json()
            assert any("ST_Extent" in s for s in statements)  # a new version: computed
            for url in docs * 2:
                statements.clear()
                doc = tx_client.get(url).json()
                assert len(statements) == 1 and "ST_Extent" not in statements[0], statements
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert first["dataVersion"] > before["dataVersion"]
        assert first["boundingBox"]["lowerLeft"] + first["boundingBox"]["upperRight"] == extent
        assert extent != before["boundingBox"]["lowerLeft"] + before["boundingBox"]["upperRight"]
        assert doc["bounds"] == extent
        assert doc["tiles"][0].endswith(f"?v={first['dataVersion']}")
        item = next(link for link in first["links"] if link["rel"] == "item")
        assert item["href"].endswith(f"?v={first['dataVersion']}")
        before = first


# -- compression -------------------------------------------------------------------------------


def _raw(client, url: str, encoding: str | None, method: str = "GET"):
    """The response and its body exactly as sent (httpx would undo the encoding)."""
    request = client.build_request(method, url)
    if encoding is None:
        del request.headers["accept-encoding"]
    else:
        request.headers["accept-encoding"] = encoding
    response = client.send(request, stream=True)
    body = b"".join(response.iter_raw())
    response.close()
    return response, body


ITEMS = "/collections/parcels/items?limit=50"


def test_gzip_for_a_client_that_asks_and_identity_for_one_that_does_not(client) -> None:
    plain, plain_body = _raw(client, ITEMS, None)
    assert "content-encoding" not in plain.headers
    assert "accept-encoding" in plain.headers["vary"].lower()
    zipped, zipped_body = _raw(client, ITEMS, "gzip")
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert int(zipped.headers["content-length"]) == len(zipped_body) < len(plain_body) / 3
    assert orjson.loads(gzip.decompress(zipped_body)) == orjson.loads(plain_body)
    br, br_body = _raw(client, ITEMS, "gzip, deflate, br")
    assert br.headers["content-encoding"] == "br"
    assert brotli.decompress(br_body) == plain_body
    refused, _ = _raw(client, ITEMS, "gzip;q=0, identity")
    assert "content-encoding" not in refused.headers


def test_tiles_are_compressed_with_one_weak_etag_for_every_encoding(client) -> None:
    x, y = tile_of(*_first_point(client, "parcels"), 16)
    url = f"/collections/parcels/tiles/WebMercatorQuad/16/{y}/{x}"
    plain, plain_body = _raw(client, url, None)
    zipped, zipped_body = _raw(client, url, "gzip")
    assert len(plain_body) > 1024 and zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped_body) == plain_body
    assert zipped.headers["etag"] == plain.headers["etag"]
    assert zipped.headers["etag"].startswith("W/")
    again = client.get(url, headers={"If-None-Match": zipped.headers["etag"],
                                     "Accept-Encoding": "gzip"})
    assert again.status_code == 304 and again.headers["etag"] == zipped.headers["etag"]


def test_small_and_binary_bodies_are_never_compressed(client) -> None:
    health, body = _raw(client, "/health", "gzip")
    assert len(body) < 1024 and "content-encoding" not in health.headers
    plan = next(f for f in client.get("/plans").json()["features"]
                if f["properties"]["tiles"])
    lon, lat = shape(plan["geometry"]).representative_point().coords[0]
    x, y = tile_of(lon, lat, 17)
    png, png_body = _raw(client, f"/plans/{plan['id']}/tiles/17/{x}/{y}.png", "gzip, br")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert len(png_body) > 1024 and png_body.startswith(b"\x89PNG")
    assert "content-encoding" not in png.headers


def test_a_streamed_file_is_compressed_as_it_streams_and_head_agrees(client) -> None:
    url = "/static/lib/leaflet/leaflet.js"
    plain, plain_body = _raw(client, url, None)
    assert len(plain_body) > 64 * 1024  # more than one of the file response's chunks
    zipped, zipped_body = _raw(client, url, "gzip")
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped_body) == plain_body
    assert "content-length" not in zipped.headers  # sent in chunks, as compressed
    assert zipped.headers["etag"] == "W/" + plain.headers["etag"].removeprefix("W/")
    head, head_body = _raw(client, url, "gzip", method="HEAD")
    assert head_body == b""
    assert head.headers["content-encoding"] == "gzip"
    assert head.headers["etag"] == zipped.headers["etag"]
