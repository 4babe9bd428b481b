"""The clearance map page: small, local, bilingual, and built from one small query."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import orjson
import pytest
from sqlalchemy import text

from maps import build
from maps.build import ClearanceMapApp, MapView, build_map, render_map

SCRIPT_SRC = re.compile(r"<script[^>]*\ssrc=[\"']([^\"']+)[\"']", re.I)
LINK_HREF = re.compile(r"<link[^>]*\shref=[\"']([^\"']+)[\"']", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
REMOTE = re.compile(r"<(?:script|link)[^>]*(?:src|href)=[\"'](?:https?:)?//", re.I)


def _app_element(fmap) -> ClearanceMapApp:
    return next(c for c in fmap._children.values() if isinstance(c, ClearanceMapApp))


def _config(fmap) -> dict:
    return orjson.loads(_app_element(fmap).config)


@pytest.fixture(scope="module")
def page_vi(client) -> str:
    r = client.get("/map")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def test_page_is_small_and_loads_nothing_remote(page_vi: str) -> None:
    assert len(page_vi.encode()) < 200_000
    assert not REMOTE.search(page_vi), REMOTE.search(page_vi)
    for host in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "unpkg.com",
                 "netdna.bootstrapcdn.com"):
        assert host not in page_vi
    assert "/static/lib/leaflet/leaflet.js" in page_vi
    assert "/static/maps/quyhoach-map.js" in page_vi


def test_page_embeds_no_features(page_vi: str, conn) -> None:
    names = conn.execute(text(
        "SELECT name FROM projects WHERE district = 'long-bien' ORDER BY id LIMIT 5")).scalars().all()
    codes = conn.execute(text("SELECT code FROM parcels ORDER BY id LIMIT 5")).scalars().all()
    assert names and codes
    for value in [*names, *codes]:
        assert value not in page_vi
    assert '"Feature"' not in page_vi and '"coordinates"' not in page_vi


def test_legend_and_labels_in_vietnamese(page_vi: str) -> None:
    assert "<title>Bản đồ giải phóng mặt bằng — quận Long Biên</title>" in page_vi
    for label in ("Chú giải", "Dự án giải phóng mặt bằng", "Đang thực hiện", "Tạm dừng",
                  "Thửa đất thu hồi (phương án bồi thường)", "Đã phê duyệt phương án",
                  "Đã bàn giao mặt bằng", "Chỉ giới đường đỏ", "Mốc chỉ giới đường đỏ",
                  "Đã cắm mốc", "Hồ, ao", "Nạo vét", "Tuyến phố văn minh đô thị",
                  "Cấm để xe, cấm bán hàng rong", "hiện từ mức thu phóng 14",
                  "Phương án đã phê duyệt", "Diện tích đất đã thu hồi", "Từ 01/01/2022 đến 30/06/2022"):
        assert label in page_vi, label
    assert "Legend" not in page_vi


def test_english_with_lang_en(client) -> None:
    r = client.get("/map", params={"lang": "en"})
    assert r.status_code == 200
    html = r.text
    for label in ("Legend", "Site-clearance projects", "In progress", "Handed over",
                  "Red-line markers", "No parking, no street vending", "Compensation plans approved",
                  "From 2022-01-01 to 2022-06-30", "shown from zoom 14"):
        assert label in html, label
    assert "Chú giải" not in html
    assert '"lang":"en"' in html
    assert '"Plans approved / total"' in html  # popup labels for the script


def test_unknown_layer_is_a_400_in_both_languages(client) -> None:
    r = client.get("/map", params={"layers": "projects,buildings"})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "InvalidParameterValue"
    assert "buildings" in body["description_vi"] and "Lớp không có trên bản đồ" in body["description_vi"]
    assert "Unknown map layer: buildings" in body["description_en"]
    assert "projects" in body["description_en"]  # names the known layers


@pytest.mark.parametrize("params, fragment", [
    ({"from": "2022-13-01"}, "from"),
    ({"from": "2022-06-30", "to": "2022-01-01"}, "to"),
    ({"as_of": "2022-02-30"}, "as_of"),
    ({"center": "21.03"}, "center"),
    ({"center": "121.03,21.0"}, "center"),
    ({"zoom": "30"}, "zoom"),
    ({"zoom": "-1"}, "zoom"),
    ({"bbox": "106,21,105,22"}, "bbox"),
])
def test_bad_parameters_are_400(client, params: dict[str, str], fragment: str) -> None:
    r = client.get("/map", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert fragment in body["description_en"]
    assert body["description_vi"] != body["description_en"]


@pytest.mark.parametrize("params, fragment", [
    ({"district": "ha-dong"}, "ha-dong"),
    ({"district": "<script>"}, "District"),
    ({"ward": "Không Có"}, "Không Có"),
])
def test_unknown_places_are_404(client, params: dict[str, str], fragment: str) -> None:
    r = client.get("/map", params=params)
    assert r.status_code == 404, r.text
    body = r.json()
    assert fragment in body["description_en"]
    assert body["description_vi"] != body["description_en"]


def test_the_as_of_day_reaches_the_page_and_the_view_its_config(client) -> None:
    html = client.get("/map", params={"as_of": "2022-03-31", "center": "21.04,105.89",
                                      "zoom": "16", "layers": "projects"}).text
    assert '"asOf":"2022-03-31"' in html
    assert '"view":{"center":[21.04,105.89],"zoom":16}' in html
    assert '"asOf":null' in client.get("/map").text


def test_static_files_the_page_references_answer(client, page_vi: str) -> None:
    urls = [u for u in SCRIPT_SRC.findall(page_vi) + LINK_HREF.findall(page_vi)
            if not u.startswith("data:")]
    assert len(urls) >= 8
    checked = 0
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert len(r.content) > 100, url
        checked += 1
        if url.endswith(".css"):
            assert r.headers["content-type"].startswith("text/css")
            for ref in set(CSS_URL.findall(r.text)):
                if ref.startswith("data:"):
                    continue
                target = urljoin(url, ref.split("?")[0].split("#")[0])
                rr = client.get(target)
                assert rr.status_code == 200, f"{target} (from {url})"
                checked += 1
        elif url.endswith(".js"):
            assert r.headers["content-type"].startswith("text/javascript")
    assert checked > 20  # leaflet images, font files, awesome-markers sprites


@pytest.mark.parametrize("path", [
    "/static/maps/..%2Fbuild.py", "/static/lib/leaflet/images/..%2F..%2Fpackage.json",
    "/static/lib/leaflet/leaflet-src.js", "/static/lib/bootstrap/bootstrap.css", "/static/nothing",
])
def test_static_serves_only_listed_files(client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_view_fits_the_district_and_enables_the_layers_asked(conn, settings) -> None:
    view = MapView(district="long-bien", layers=("projects", "wards"), lang="vi")
    fmap = build_map(conn, settings, view)
    cfg = _config(fmap)
    w, s, e, n = conn.execute(text(
        "SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM "
        "(SELECT ST_Extent(ST_Transform(geom, 4326)) x FROM wards WHERE district = 'long-bien') t"
    )).one()
    assert cfg["view"]["bbox"] == pytest.approx([w, s, e, n], abs=1e-9)
    assert 105.8 < w < e < 106.0 and 20.9 < s < n < 21.2
    groups = _app_element(fmap).groups
    assert [k for k, g in groups.items() if g.show] == ["wards", "projects"]
    assert set(groups) == set(build.styles.MAP_LAYERS)
    assert (cfg["from"], cfg["to"]) == ("2022-01-01", "2022-06-30")
    assert cfg["district"] == "long-bien" and cfg["ward"] is None


def test_hai_ba_trung_defaults_to_its_programme(client, conn, settings) -> None:
    html = client.get("/map", params={"district": "hai-ba-trung"}).text
    assert '"from":"2011-01-01","to":"2015-12-31"' in html
    cfg = _config(build_map(conn, settings, MapView(district="hai-ba-trung")))
    ward = conn.execute(text(
        "SELECT name FROM wards WHERE district = 'hai-ba-trung' ORDER BY name LIMIT 1")).scalar_one()
    cfg_ward = _config(build_map(conn, settings, MapView(district="hai-ba-trung", ward=ward)))
    district_box, ward_box = cfg["view"]["bbox"], cfg_ward["view"]["bbox"]
    assert district_box[0] <= ward_box[0] < ward_box[2] <= district_box[2]
    assert cfg_ward["ward"] == ward


def test_parcels_use_vector_tiles_when_served(conn, settings, monkeypatch) -> None:
    def sources(**kwargs) -> dict[str, str]:
        cfg = _config(build_map(conn, settings, MapView(), **kwargs))
        return {layer["id"]: layer["source"] for layer in cfg["layers"]}

    assert set(sources(vector_tiles=False).values()) == {"geojson"}
    tiled = sources(vector_tiles=True)
    assert tiled["parcels"] == "tiles" and tiled["projects"] == "geojson"
    # Past the size threshold (estimated from the planner's statistics) any layer is tiled.
    monkeypatch.setattr(build, "TILE_THRESHOLD", 300)
    tiled = sources(vector_tiles=True)
    assert tiled["red_line_markers"] == "tiles" and tiled["wards"] == "geojson"


def test_the_app_serves_tiles_so_the_page_asks_for_them(client) -> None:
    html = client.get("/map").text
    assert re.search(r'"id":"parcels"[^}]*"minZoom":14,"source":"tiles"', html)


def test_base_url_prefixes_every_local_resource(conn, settings) -> None:
    html = render_map(build_map(conn, settings, MapView(), base_url="http://planning.local"))
    urls = SCRIPT_SRC.findall(html) + [u for u in LINK_HREF.findall(html) if u != "data:,"]
    assert urls and all(u.startswith("http://planning.local/static/") for u in urls)
    assert '"base":"http://planning.local"' in html


def test_page_size_does_not_grow_with_the_data(conn, settings) -> None:
    view = MapView(layers=("projects", "parcels"))
    before = len(render_map(build_map(conn, settings, view)).encode())
    added = conn.execute(text("""
        INSERT INTO parcels (code, project_id, land_user_kind, status, compensation_vnd, geom)
        SELECT 'BIG-' || g, p.project_id, p.land_user_kind, p.status, p.compensation_vnd,
               ST_Translate(p.geom, 30 * (g % 100), 30 * (g / 100))
        FROM generate_series(1, 20000) g,
             (SELECT * FROM parcels ORDER BY id LIMIT 1) p""")).rowcount
    assert added == 20000
    html = render_map(build_map(conn, settings, view))
    assert abs(len(html.encode()) - before) < 200 and len(html.encode()) < 200_000
    assert "BIG-1" not in html
