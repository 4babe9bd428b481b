"""OGC API – Features, Parts 1 and 2, against the sample in a real PostGIS."""

from __future__ import annotations

import pytest
from pyproj import Transformer
from shapely.geometry import box, shape

from layers.registry import LAYERS

LONG_BIEN = "105.86,21.00,105.96,21.08"


def test_landing_conformance_and_collections(client) -> None:
    landing = client.get("/")
    assert landing.status_code == 200 and landing.headers["content-type"].startswith("application/json")
    rels = {link["rel"] for link in landing.json()["links"]}
    assert {"service-desc", "conformance", "data"} <= rels
    conf = client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    cols = client.get("/collections").json()["collections"]
    assert {c["id"] for c in cols} >= set(LAYERS)
    for c in cols:
        assert "http://www.opengis.net/def/crs/EPSG/0/5897" in c["crs"]
        assert c["title_vi"] and c["title_en"]
        assert c["extent"]["spatial"]["bbox"][0][0] > 105


def test_browser_gets_html_landing(client) -> None:
    r = client.get("/", headers={"accept": "text/html"})
    assert r.headers["content-type"].startswith("text/html")


def test_collection_has_temporal_extent_where_dated(client) -> None:
    doc = client.get("/collections/parcels").json()
    start, end = doc["extent"]["temporal"]["interval"][0]
    assert start < end


@pytest.mark.parametrize("layer", list(LAYERS))
def test_items_of_every_layer(client, layer: str) -> None:
    r = client.get(f"/collections/{layer}/items", params={"limit": 5})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    fc = r.json()
    assert fc["numberReturned"] == len(fc["features"]) == 5
    assert fc["numberMatched"] >= 5
    kinds = {f["geometry"]["type"] for f in fc["features"]}
    assert kinds == {LAYERS[layer].geometry_type}
    measure = LAYERS[layer].measure
    if measure:
        assert all(f["properties"][measure] > 0 for f in fc["features"])


def test_paging_returns_every_feature_exactly_once(client) -> None:
    total = client.get("/collections/projects/items", params={"limit": 1}).json()["numberMatched"]
    seen: list[int] = []
    url: str | None = "/collections/projects/items?limit=7&crs=EPSG:5897"
    while url:
        page = client.get(url).json()
        assert page["numberMatched"] == total
        seen += [f["id"] for f in page["features"]]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if nxt:
            assert "crs=EPSG%3A5897" in nxt[0]
        url = nxt[0] if nxt else None
    assert len(seen) == len(set(seen)) == total


def test_limit_above_maximum_is_capped(client, settings) -> None:
    r = client.get("/collections/parcels/items", params={"limit": 10**9})
    assert r.status_code == 200
    assert r.json()["numberReturned"] <= settings.items_max_limit


def test_bbox_results_intersect_the_bbox(client) -> None:
    bb = (105.88, 21.03, 105.90, 21.05)
    fc = client.get("/collections/parcels/items",
                    params={"bbox": ",".join(map(str, bb)), "limit": 10000}).json()
    assert fc["numberReturned"] > 0
    query = box(*bb)
    assert all(shape(f["geometry"]).intersects(query.buffer(1e-7)) for f in fc["features"])
    everything = client.get("/collections/parcels/items", params={"limit": 1}).json()
    assert fc["numberMatched"] < everything["numberMatched"]


def test_bbox_in_vn2000(client) -> None:
    wgs = client.get("/collections/projects/items", params={"bbox": LONG_BIEN}).json()
    t = Transformer.from_crs(4326, 5897, always_xy=True)
    x1, y1 = t.transform(105.86, 21.00)
    x2, y2 = t.transform(105.96, 21.08)
    vn = client.get("/collections/projects/items",
                    params={"bbox": f"{x1},{y1},{x2},{y2}", "bbox-crs": "EPSG:5897"}).json()
    assert abs(vn["numberMatched"] - wgs["numberMatched"]) <= 2


def test_coordinates_have_seven_decimals(client) -> None:
    text = client.get("/collections/red_line_markers/items", params={"limit": 1}).text
    lon = text.split('"coordinates":[')[1].split(",")[0]
    assert len(lon.split(".")[1]) >= 6


def test_vn2000_matches_proj_within_a_centimetre(client) -> None:
    fid = client.get("/collections/red_line_markers/items", params={"limit": 1}).json()["features"][0]["id"]
    wgs = client.get(f"/collections/red_line_markers/items/{fid}").json()
    vn = client.get(f"/collections/red_line_markers/items/{fid}", params={"crs": "EPSG:5897"})
    assert vn.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/5897>"
    x, y = vn.json()["geometry"]["coordinates"]
    props = vn.json()["properties"]
    assert (x, y) == (float(props["easting_m"]), float(props["northing_m"]))  # as surveyed
    ex, ey = Transformer.from_crs(4326, 5897, always_xy=True).transform(*wgs["geometry"]["coordinates"])
    assert abs(ex - x) < 0.01 and abs(ey - y) < 0.01


def test_epsg_4326_is_lat_lon(client) -> None:
    fid = client.get("/collections/red_line_markers/items", params={"limit": 1}).json()["features"][0]["id"]
    crs84 = client.get(f"/collections/red_line_markers/items/{fid}").json()["geometry"]["coordinates"]
    latlon = client.get(f"/collections/red_line_markers/items/{fid}",
                        params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}).json()
    assert latlon["geometry"]["coordinates"] == [crs84[1], crs84[0]]


def test_equality_filters_and_datetime(client) -> None:
    approved = client.get("/collections/parcels/items",
                          params={"status": "approved", "district": "long-bien", "limit": 10000}).json()
    assert approved["numberMatched"] > 0
    assert all(f["properties"]["status"] == "approved" for f in approved["features"])
    h1 = client.get("/collections/parcels/items", params={
        "district": "long-bien", "datetime": "2022-01-01/2022-06-30", "limit": 1}).json()
    assert h1["numberMatched"] == 405
    budget = client.get("/collections/projects/items",
                        params={"funding": "non_budget", "district": "long-bien",
                                "datetime": "2022-01-01/2022-06-30"}).json()
    assert budget["numberMatched"] == 5


def test_projects_carry_clearance_figures(client) -> None:
    f = client.get("/collections/projects/items", params={"limit": 1}).json()["features"][0]
    for key in ("plans_total", "plans_approved", "recovered_ha", "compensation_vnd", "area_ha"):
        assert key in f["properties"]


def test_queryables(client) -> None:
    q = client.get("/collections/parcels/queryables")
    assert q.headers["content-type"] == "application/schema+json"
    assert "approved" in q.json()["properties"]["status"]["enum"]


@pytest.mark.parametrize(("url", "status", "word"), [
    ("/collections/nope/items", 404, "nope"),
    ("/collections/projects/items/999999", 404, "999999"),
    ("/collections/projects/items/abc", 404, "abc"),
    ("/collections/projects/items?bbox=1,2,3", 400, "bbox"),
    ("/collections/projects/items?bbox=600000,2300000,610000,2310000", 400, "EPSG:5897"),
    ("/collections/projects/items?bbox=106,21,105,22", 400, "bbox"),
    ("/collections/projects/items?limit=0", 400, "limit"),
    ("/collections/projects/items?limit=abc", 400, "limit"),
    ("/collections/projects/items?offset=-3", 400, "offset"),
    ("/collections/projects/items?crs=EPSG:32648", 400, "EPSG:32648"),
    ("/collections/projects/items?datetime=2022-13-45", 400, "datetime"),
    ("/collections/projects/items?status=finished", 400, "finished"),
    ("/collections/projects/items?colour=red", 400, "colour"),
    ("/collections/projects/items?is_key=maybe", 400, "is_key"),
])
def test_bad_requests_get_a_clear_message(client, url: str, status: int, word: str) -> None:
    r = client.get(url)
    assert r.status_code == status
    body = r.json()
    assert set(body) >= {"code", "description", "description_vi", "description_en"}
    assert word in body["description_en"]
    sep = "&" if "?" in url else "?"
    assert client.get(f"{url}{sep}lang=en").json()["description"] == body["description_en"]


def test_openapi_describes_parameters_and_errors(client) -> None:
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/collections/{collection_id}/items"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"bbox", "bbox-crs", "crs", "limit", "offset", "datetime"} <= names
    assert "400" in op["responses"] and "404" in op["responses"]


def test_unfiltered_count_of_a_large_table_is_estimated(conn, monkeypatch) -> None:
    from sqlalchemy import text

    from layers import features
    from layers.registry import LAYERS as L

    exact = features.items(conn, L["parcels"], features.Query(limit=1))[0]
    conn.execute(text("ANALYZE parcels"))
    monkeypatch.setattr(features, "ESTIMATE_ABOVE", 10)
    estimated = features.items(conn, L["parcels"], features.Query(limit=1))[0]
    assert abs(estimated - exact) <= exact * 0.05
    filtered = features.items(conn, L["parcels"], features.Query(limit=1, equals={"status": "paid"}))[0]
    assert filtered < exact
