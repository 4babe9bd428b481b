"""Vector tiles: decoded, in their tile, versioned with the data."""

from __future__ import annotations

import mapbox_vector_tile
from sqlalchemy import text

from api.routes.tiles import tile_of


def _tile_url(client, layer: str, z: int, lon: float, lat: float) -> str:
    x, y = tile_of(lon, lat, z)
    return f"/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}"


def _centre_of_first(client, layer: str) -> tuple[float, float]:
    from shapely.geometry import shape

    f = client.get(f"/collections/{layer}/items", params={"limit": 1}).json()["features"][0]
    p = shape(f["geometry"]).representative_point()
    return p.x, p.y


def test_tile_decodes_with_layer_features_and_attributes(client) -> None:
    lon, lat = _centre_of_first(client, "parcels")
    r = client.get(_tile_url(client, "parcels", 16, lon, lat))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    tile = mapbox_vector_tile.decode(r.content)
    layer = tile["parcels"]
    assert len(layer["features"]) > 0
    props = layer["features"][0]["properties"]
    assert set(props) == {"status", "code"}  # what styles and labels a parcel; the rest is the item's
    assert isinstance(layer["features"][0]["id"], int)
    for feat in layer["features"]:
        for ring in _rings(feat["geometry"]):
            for x, y in ring:
                assert -64 <= x <= 4096 + 64 and -64 <= y <= 4096 + 64


def _rings(geom: dict) -> list:
    coords = geom["coordinates"]
    if geom["type"] == "Polygon":
        return coords
    if geom["type"] == "MultiPolygon":
        return [ring for poly in coords for ring in poly]
    return [coords]


def test_empty_area_gives_empty_tile(client) -> None:
    r = client.get("/collections/parcels/tiles/WebMercatorQuad/14/0/0")
    assert r.status_code == 200 and r.content == b""


def test_low_zoom_tile_is_thinned(client) -> None:
    lon, lat = _centre_of_first(client, "parcels")
    r = client.get(_tile_url(client, "parcels", 10, lon, lat))
    assert r.status_code == 200
    assert len(r.content) < 500_000


def test_bad_tile_addresses(client) -> None:
    assert client.get("/collections/parcels/tiles/WebMercatorQuad/3/8/1").status_code == 404
    assert client.get("/collections/parcels/tiles/WebMercatorQuad/a/1/1").status_code == 400
    assert client.get("/collections/nope/tiles/WebMercatorQuad/1/1/1").status_code == 404


def test_tileset_metadata_and_tilejson(client) -> None:
    ts = client.get("/collections/projects/tiles/WebMercatorQuad").json()
    item = next(link for link in ts["links"] if link["rel"] == "item")
    assert item["templated"] and "{tileMatrix}/{tileRow}/{tileCol}?v=" in item["href"]
    tj = client.get("/collections/projects/tiles/WebMercatorQuad/tilejson.json").json()
    assert tj["tilejson"] == "3.0.0" and "?v=" in tj["tiles"][0]
    assert client.get("/collections/projects/tiles").json()["tilesets"][0]["dataType"] == "vector"
    assert client.get("/tileMatrixSets/WebMercatorQuad").json()["tileMatrices"][14]["matrixWidth"] == 2**14


def test_version_changes_after_a_write_and_etag_follows(tx_client, conn) -> None:
    meta = tx_client.get("/collections/parcels/tiles/WebMercatorQuad").json()
    before = meta["dataVersion"]
    lon, lat = _centre_of_first(tx_client, "parcels")
    url = _tile_url(tx_client, "parcels", 16, lon, lat)
    first = tx_client.get(url, params={"v": before})
    assert "immutable" in first.headers["cache-control"]
    assert tx_client.get(url, headers={"if-none-match": first.headers["etag"]}).status_code == 304
    projects_before = tx_client.get("/collections/projects/tiles/WebMercatorQuad").json()["dataVersion"]
    conn.execute(text("UPDATE parcels SET status = 'paid', paid_on = approved_on "
                      "WHERE id = (SELECT min(id) FROM parcels WHERE status = 'approved')"))
    after = tx_client.get("/collections/parcels/tiles/WebMercatorQuad").json()["dataVersion"]
    assert after != before
    assert tx_client.get("/collections/projects/tiles/WebMercatorQuad").json()["dataVersion"] != projects_before
    again = tx_client.get(url, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 200 and again.headers["etag"] != first.headers["etag"]
    assert "immutable" not in tx_client.get(url, params={"v": before}).headers["cache-control"]
