"""Zoning plans: the three import routes, storage as COG, tiles, lookup, analysis, refusals."""

from __future__ import annotations

import io
import json
from pathlib import Path

import ezdxf
import morecantile
import numpy as np
import pytest
import rasterio
import shapely
from fastapi.testclient import TestClient
from PIL import Image
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.warp import calculate_default_transform, reproject
from sqlalchemy import text

from api.app import create_app
from core.errors import InvalidDataError
from gis import georef as G
from layers import plans
from layers.plans import SAMPLE_PLAN_DIR, SAMPLE_STEM

META = json.loads((SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.json").read_text("utf-8"))
(X0, YT), _, (X1, YB), _ = META["corners"]
PNG = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.png"
PGW = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.pgw"
DXF = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.dxf"
SCAN = SAMPLE_PLAN_DIR / META["scan"]["file"]
GCPS = SAMPLE_PLAN_DIR / META["scan"]["gcps"]
WEB = morecantile.tms.get("WebMercatorQuad")
TO_VN = Transformer.from_crs(3857, 5897, always_xy=True)


def request_for(form: str) -> plans.ImportRequest:
    """The sample request of one form: dxf, world_file or gcps."""
    by_form = {"dxf": 0, "world_file": 1, "gcps": 2}
    return plans.sample_requests()[by_form[form]]


def db_state(conn) -> tuple:
    """Everything an import could write, in a comparable form."""
    return conn.execute(text(
        "SELECT (SELECT count(*) FROM plans), (SELECT count(*) FROM plan_zones), "
        "(SELECT count(*) FROM plan_labels), "
        "(SELECT md5(coalesce(string_agg(id || name || coalesce(file_path, ''), ',' ORDER BY id), "
        "'')) FROM plans), (SELECT count(*) FROM land_uses)")).one()


def store_state(store: Path) -> list[tuple[str, int]]:
    """Every file and directory under the plan store, with sizes."""
    if not store.exists():
        return []
    return sorted((str(p.relative_to(store)), p.stat().st_size if p.is_file() else -1)
                  for p in store.rglob("*"))


def frame_line(cog: Path, side: str) -> float:
    """Where the sheet's black frame line lies in a stored COG, measured across one side."""
    with rasterio.open(cog) as src:
        mid_x, mid_y = (X0 + X1) / 2, (YT + YB) / 2
        edge = {"left": X0, "right": X1, "top": YT, "bottom": YB}[side]
        if side in ("left", "right"):
            ground = [(edge + d, mid_y) for d in np.arange(-8, 8, 0.25)]
        else:
            ground = [(mid_x, edge + d) for d in np.arange(-8, 8, 0.25)]
        values = np.array(list(src.sample(ground)), float)
    lum = values[:, :3].mean(axis=1)
    weight = np.where((lum < 60) & (values[:, 3] > 0), 255 - lum, 0.0)
    assert weight.sum() > 0, f"no frame line found on the {side}"
    axis = 0 if side in ("left", "right") else 1
    return float(np.sum(np.array(ground)[:, axis] * weight) / weight.sum())


def assert_frame_within_a_metre(cog: Path) -> None:
    """The frame (2 px wide, inside the sheet) sits 1 m inside each true edge, within 1 m."""
    expected = {"left": X0 + 1, "right": X1 - 1, "top": YT - 1, "bottom": YB + 1}
    for side, where in expected.items():
        assert abs(frame_line(cog, side) - where) < 1.0, side


def footprint_of(conn, plan_id: int) -> shapely.MultiPolygon:
    return shapely.from_wkt(conn.execute(text(
        "SELECT ST_AsText(footprint) FROM plans WHERE id = :id"), {"id": plan_id}).scalar_one())


# --- the three routes --------------------------------------------------------------------


def test_world_file_route_stores_a_cog_whose_corners_are_true(conn, settings) -> None:
    result = plans.import_plan(conn, settings.plan_store, request_for("world_file"))
    assert (result["kind"], result["source_format"], result["source_crs"]) == (
        "raster", "world_file", "EPSG:5897")
    fp = footprint_of(conn, result["id"])
    for corner in META["corners"]:
        assert shapely.Point(corner).distance(fp.boundary) < 1.0
    assert abs(fp.area - 1000 * 750) < 1.0
    cog = settings.plan_store / result["file_path"]
    with rasterio.open(cog) as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.crs.to_epsg() == 5897 and src.count == 4 and src.overviews(1)
        assert [round(v, 3) for v in src.bounds] == [X0, YB, X1, YT]
    assert_frame_within_a_metre(cog)


def test_scan_route_fits_the_control_points_and_lands_within_a_metre(conn, settings) -> None:
    result = plans.import_plan(conn, settings.plan_store, request_for("gcps"))
    g = result["georef"]
    assert (result["source_format"], g["method"], g["points"]) == ("gcps", "polynomial2", 9)
    assert g["rms_m"] < 0.01 and len(g["residuals"]) == 9
    points, _ = G.parse_control_points(GCPS.read_text())
    fit = G.fit(points, 2)
    corners = np.array(META["scan"]["corners_px"])
    xs, ys = fit.apply(corners[:, 0], corners[:, 1])
    assert np.hypot(xs - np.array(META["corners"])[:, 0],
                    ys - np.array(META["corners"])[:, 1]).max() < 1.0
    fp = footprint_of(conn, result["id"])
    assert fp.contains(shapely.box(X0, YB, X1, YT))  # the scan holds the sheet and its margin
    assert_frame_within_a_metre(settings.plan_store / result["file_path"])


def test_dxf_route_frame_and_zone_areas_match_the_generator(conn, settings) -> None:
    before = store_state(settings.plan_store)
    result = plans.import_plan(conn, settings.plan_store, request_for("dxf"))
    assert (result["kind"], result["source_format"], result["file_path"]) == ("vector", "dxf", None)
    assert store_state(settings.plan_store) == before
    fp = footprint_of(conn, result["id"])
    assert fp.symmetric_difference(shapely.box(X0, YB, X1, YT)).area < 1.0
    for corner in META["corners"]:
        assert min(shapely.Point(corner).distance(shapely.Point(c))
                   for c in fp.geoms[0].exterior.coords) < 1.0
    rows = conn.execute(text(
        "SELECT code, name, area_m2, building_density_pct, max_floors, floor_area_ratio "
        "FROM plan_zones WHERE plan_id = :id"), {"id": result["id"]}).all()
    expected = {z["label"]: z for z in META["zones"]}
    assert len(rows) == len(expected) == 15
    for code, name, area, density, floors, far in rows:
        z = expected[name or "GT"]
        assert code == z["code"]
        assert area == pytest.approx(z["area_m2"], rel=1e-3)
        ind = z["indicators"]
        got = tuple(None if v is None else float(v) for v in (density, floors, far))
        assert got == (ind.get("density"), ind.get("floors"), ind.get("far"))
    labels = conn.execute(text("SELECT text FROM plan_labels WHERE plan_id = :id"),
                          {"id": result["id"]}).scalars().all()
    assert "ĐƯỜNG THANH NHÀN" in labels and "CQ-01" in labels


def test_geotiff_in_another_crs_is_reprojected_onto_vn2000(conn, settings, tmp_path) -> None:
    with rasterio.open(PNG) as src:
        data = src.read()
        src_transform = G.parse_world_file(PGW.read_text())
        dst_crs = "EPSG:32648"
        transform, width, height = calculate_default_transform(
            "EPSG:5897", dst_crs, src.width, src.height, X0, YB, X1, YT, resolution=1.0)
    out = np.zeros((4, height, width), np.uint8)
    rgba = np.concatenate([data, np.full((1, *data.shape[1:]), 255, np.uint8)])
    for b in range(4):
        reproject(rgba[b], out[b], src_transform=src_transform, src_crs="EPSG:5897",
                  dst_transform=transform, dst_crs=dst_crs, resampling=Resampling.nearest)
    tif = tmp_path / "sheet-utm.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=width, height=height, count=4,
                       dtype="uint8", crs=dst_crs, transform=transform, photometric="RGB",
                       alpha="YES") as dst:
        dst.write(out)
    req = plans.ImportRequest(tif, tif.name, plans.PlanMeta("UTM"))
    result = plans.import_plan(conn, settings.plan_store, req)
    assert (result["source_format"], result["source_crs"]) == ("geotiff", "EPSG:32648")
    assert_frame_within_a_metre(settings.plan_store / result["file_path"])


def test_the_same_sheet_is_stored_once(conn, settings) -> None:
    a = plans.import_plan(conn, settings.plan_store, request_for("world_file"))
    b = plans.import_plan(conn, settings.plan_store, request_for("world_file"))
    assert a["file_path"] == b["file_path"] and a["id"] != b["id"]


def test_scan_with_an_affine_fit_is_refused_unless_forced(conn, settings) -> None:
    req = request_for("gcps")
    req.order = 1
    with pytest.raises(InvalidDataError, match="vượt ngưỡng") as exc:
        plans.import_plan(conn, settings.plan_store, req)
    assert "exceeds the threshold of 1.00 m" in exc.value.message_en
    req.force = True
    result = plans.import_plan(conn, settings.plan_store, req)
    assert result["georef"]["forced"] is True and result["georef"]["rms_m"] > 1.0


# --- tiles ---------------------------------------------------------------------------------


def _tile_alpha(client: TestClient, plan_id: int, tile: morecantile.Tile) -> np.ndarray:
    r = client.get(f"/plans/{plan_id}/tiles/{tile.z}/{tile.x}/{tile.y}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(r.content))
    assert img.mode == "RGBA" and img.size == (256, 256)
    return np.asarray(img)[..., 3]


def _pixel_ground(tile: morecantile.Tile) -> tuple[np.ndarray, np.ndarray]:
    b = WEB.xy_bounds(tile)
    step_x, step_y = (b.right - b.left) / 256, (b.top - b.bottom) / 256
    cols, rows = np.meshgrid(np.arange(256) + 0.5, np.arange(256) + 0.5)
    xs, ys = TO_VN.transform(b.left + cols * step_x, b.top - rows * step_y)
    return np.asarray(xs), np.asarray(ys)


@pytest.mark.parametrize("form", ["world_file", "gcps"])
def test_tiles_are_transparent_outside_the_sheet(tx_client, conn, settings, form) -> None:
    result = plans.import_plan(conn, settings.plan_store, request_for(form))
    plan_id, fp = result["id"], footprint_of(conn, result["id"])
    west, mid = shapely.Point(X0, (YT + YB) / 2), None
    lon, lat = Transformer.from_crs(5897, 4326, always_xy=True).transform(west.x, west.y)
    edge_tile = WEB.tile(lon, lat, 17)
    alpha = _tile_alpha(tx_client, plan_id, edge_tile)
    xs, ys = _pixel_ground(edge_tile)
    pts = shapely.points(xs.ravel(), ys.ravel())
    inside = shapely.contains(fp.buffer(-2.0), pts).reshape(alpha.shape)
    outside = ~shapely.intersects(fp.buffer(2.0), pts).reshape(alpha.shape)
    assert inside.sum() > 1000 and outside.sum() > 1000
    assert (alpha[inside] == 255).all()
    assert (alpha[outside] == 0).all()
    far = morecantile.Tile(edge_tile.x - 4, edge_tile.y, 17)
    assert (_tile_alpha(tx_client, plan_id, far) == 0).all()
    mid = Transformer.from_crs(5897, 4326, always_xy=True).transform((X0 + X1) / 2, (YT + YB) / 2)
    assert (_tile_alpha(tx_client, plan_id, WEB.tile(*mid, 17)) == 255).all()


def test_tile_errors(tx_client, conn, settings) -> None:
    dxf = plans.import_plan(conn, settings.plan_store, request_for("dxf"))
    assert tx_client.get(f"/plans/{dxf['id']}/tiles/17/0/0.png").status_code == 404
    assert tx_client.get("/plans/999999/tiles/17/0/0.png").status_code == 404
    raster = plans.import_plan(conn, settings.plan_store, request_for("world_file"))
    r = tx_client.get(f"/plans/{raster['id']}/tiles/3/9/0.png")
    assert r.status_code == 400 and "does not exist" in r.json()["description_en"]
    ok = tx_client.get(f"/plans/{raster['id']}/tiles/17/104072/57710.png")
    again = tx_client.get(f"/plans/{raster['id']}/tiles/17/104072/57710.png",
                          headers={"If-None-Match": ok.headers["etag"]})
    assert again.status_code == 304


# --- over HTTP -----------------------------------------------------------------------------


def test_post_a_scan_with_control_points(tx_client, settings, editor_headers) -> None:
    with open(SCAN, "rb") as img, open(GCPS, "rb") as pts:
        r = tx_client.post("/plans", headers=editor_headers, files={"file": (SCAN.name, img, "image/png"),
                                            "gcps": (GCPS.name, pts, "text/csv")},
                           data={"order": "2", "name": "Bản quét", "decision": "123/QĐ-UBND",
                                 "approved_on": "2011-05-16", "scale": "2000"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["source_format"] == "gcps" and body["georef"]["rms_m"] < 0.01
    assert r.headers["location"] == f"/plans/{body['id']}"
    props = body["plan"]["properties"]
    assert (props["name"], props["decision"], props["approved_on"]) == (
        "Bản quét", "123/QĐ-UBND", "2011-05-16")
    assert props["tiles"] == f"/plans/{body['id']}/tiles/{{z}}/{{x}}/{{y}}.png"
    assert len(props["georef"]["residuals"]) == 9
    listed = tx_client.get("/plans").json()
    assert body["id"] in [f["id"] for f in listed["features"]]
    assert tx_client.get(f"/plans/{body['id']}").json()["id"] == body["id"]


def test_post_a_world_file_image_and_a_dxf(tx_client, editor_headers) -> None:
    with open(PNG, "rb") as img, open(PGW, "rb") as wld:
        r = tx_client.post("/plans", headers=editor_headers, files={"file": (PNG.name, img, "image/png"),
                                            "world_file": (PGW.name, wld, "text/plain")})
    assert r.status_code == 201, r.text
    assert r.json()["source_format"] == "world_file"
    with open(DXF, "rb") as fh:
        r = tx_client.post("/plans", headers=editor_headers, files={"file": (DXF.name, fh, "application/dxf")},
                           data={"name": "Bản vẽ"})
    assert r.status_code == 201, r.text
    plan = r.json()["plan"]
    assert plan["properties"]["kind"] == "vector"
    assert {u["code"] for u in plan["properties"]["land_uses"]} == {
        z["code"] for z in META["zones"]}
    items = tx_client.get(f"/collections/plan_zones/items?plan_id={r.json()['id']}").json()
    assert items["numberMatched"] == 15
    assert {f["properties"]["name"] for f in items["features"]} >= {"CX-01", "MN-02"}


def test_a_plain_image_without_georeference_is_refused(tx_client, editor_headers) -> None:
    with open(SCAN, "rb") as img:
        r = tx_client.post("/plans?lang=en", headers=editor_headers, files={"file": (SCAN.name, img, "image/png")})
    assert r.status_code == 422 and "not georeferenced" in r.json()["description"]


# --- refusals leave nothing behind ------------------------------------------------------------


def corrupt_tiff(tmp: Path) -> Path:
    path = tmp / "hong.tif"
    path.write_bytes(b"II*\x00\x08\x00\x00\x00" + bytes(range(256)) * 8)
    return path


def truncated_cog(tmp: Path) -> Path:
    src = tmp / "full.tif"
    with rasterio.open(PNG) as png:
        data = png.read()
    with rasterio.open(src, "w", driver="COG", width=data.shape[2], height=data.shape[1], count=3,
                       dtype="uint8", crs="EPSG:5897", compress="DEFLATE",
                       transform=G.parse_world_file(PGW.read_text())) as dst:
        dst.write(data)
    blob = src.read_bytes()
    path = tmp / "cut.tif"
    path.write_bytes(blob[: len(blob) // 3])
    return path


def lines_only_dxf(tmp: Path) -> Path:
    doc = ezdxf.new()
    msp = doc.modelspace()
    msp.add_line((588400, 2323400), (588500, 2323500), dxfattribs={"layer": "QH_GT"})
    msp.add_lwpolyline([(588400, 2323400), (588500, 2323400), (588500, 2323500)],
                       dxfattribs={"layer": "QH_CX"})
    msp.add_text("CX-01", dxfattribs={"layer": "CHU"}).set_placement((588450, 2323450))
    path = tmp / "khong-khep-kin.dxf"
    doc.saveas(path)
    return path


BAD = {
    "corrupt TIFF": (corrupt_tiff, None, "corrupt"),
    "truncated COG": (truncated_cog, None, "corrupt"),
    "DXF without closed shapes": (lines_only_dxf, None, "no closed shapes"),
    "world file for Ho Chi Minh City": (lambda t: PNG, "1\n0\n0\n-1\n603000.5\n1190000.5\n",
                                         "outside Hanoi"),
    "world file in degrees": (lambda t: PNG, "0.00001\n0\n0\n-0.00001\n105.85\n21.0\n",
                              "EPSG:4326"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_are_refused_over_http_leaving_db_and_store_unchanged(
        client, engine, settings, tmp_path, case, editor_headers) -> None:
    make, world, message = BAD[case]
    path = make(tmp_path)
    with engine.connect() as c:
        db_before = db_state(c)
    store_before = store_state(settings.plan_store)
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    if world is not None:
        files["world_file"] = (path.with_suffix(".pgw").name, world.encode(), "text/plain")
    r = client.post("/plans?lang=en", headers=editor_headers, files=files)
    assert r.status_code == 422, r.text
    assert message in r.json()["description"]
    assert r.json()["description_vi"] != r.json()["description_en"]
    with engine.connect() as c:
        assert db_state(c) == db_before
    assert store_state(settings.plan_store) == store_before


def test_a_store_failure_rolls_the_database_back(conn, settings, tmp_path) -> None:
    blocked = tmp_path / "store-is-a-file"
    blocked.write_text("not a directory")
    before = db_state(conn)
    with pytest.raises(OSError):
        plans.import_plan(conn, blocked, request_for("world_file"))
    assert db_state(conn) == before
    assert blocked.read_text() == "not a directory"


def test_uploads_over_the_limit_get_413(settings, engine, editor_headers) -> None:
    small = settings.model_copy(update={"upload_max_bytes": 4096})
    with TestClient(create_app(small)) as c, engine.connect() as conn:
        before = db_state(conn)
        r = c.post("/plans", headers=editor_headers,
                   files={"file": (PNG.name, PNG.read_bytes(), "image/png")})
        assert r.status_code == 413 and r.json()["code"] == "PayloadTooLarge"
        boundary = "qhboundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{PNG.name}\"\r\nContent-Type: image/png\r\n\r\n").encode() + \
            PNG.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        chunks = (body[i:i + 1024] for i in range(0, len(body), 1024))
        r = c.post("/plans", content=chunks,
                   headers={**editor_headers,
                            "content-type": f"multipart/form-data; boundary={boundary}"})
        assert r.status_code == 413
        assert db_state(conn) == before


# --- lookup and analysis on the sample --------------------------------------------------------


def test_lookup_answers_the_planned_zone_at_known_points(client) -> None:
    for probe in META["probes"]:
        r = client.get(f"/plans/lookup?x={probe['x']}&y={probe['y']}&crs=EPSG:5897")
        assert r.status_code == 200, r.text
        zone = r.json()["zones"][0]
        assert (zone["code"], zone["name"]) == (probe["code"], probe["label"]), probe
        assert zone["plan"]["decision"] == META["decision"]
    park = next(p for p in META["probes"] if p["label"] == "CX-01")
    lon, lat = Transformer.from_crs(5897, 4326, always_xy=True).transform(park["x"], park["y"])
    doc = client.get(f"/plans/lookup?lon={lon}&lat={lat}").json()
    assert doc["zones"][0]["name"] == "CX-01"
    assert doc["zones"][0]["max_floors"] == 1
    assert len(doc["sheets"]) == 2
    assert doc["red_line"]["road"] in ("Thanh Nhàn", "Kim Ngưu (bờ tây)")
    assert doc["point"]["x"] == pytest.approx(park["x"], abs=0.01)


@pytest.mark.parametrize(("query", "status"), [
    ("lon=105.85", 400), ("x=1&y=2&lon=3&lat=4", 400), ("lon=abc&lat=21", 400),
    ("lon=106.7&lat=10.8", 400), ("x=588500&y=2323500&crs=EPSG:999999", 400),
])
def test_lookup_refuses_bad_points(client, query: str, status: int) -> None:
    r = client.get(f"/plans/lookup?{query}")
    assert r.status_code == status and r.json()["description_vi"]


def test_analysis_of_a_posted_polygon(client) -> None:
    park = next(z for z in META["zones"] if z["label"] == "CX-01")
    lake = next(z for z in META["zones"] if z["label"] == "MN-02")
    box = shapely.box(588530, 2323110, 588870, 2323530)
    doc = {"type": "Feature", "crs": "EPSG:5897",
           "geometry": json.loads(shapely.to_geojson(box)), "properties": {}}
    r = client.post("/plans/analysis", json=doc)
    assert r.status_code == 200, r.text
    result = r.json()
    (plan,) = result["plans"]
    uses = {u["code"]: u for u in plan["land_uses"]}
    assert set(uses) <= {"CX", "MN", "GT"}
    assert float(uses["MN"]["area_ha"]) == pytest.approx(lake["area_m2"] / 1e4, rel=1e-3)
    assert float(uses["CX"]["area_ha"]) <= park["area_m2"] / 1e4
    assert float(plan["zoned_ha"]) == pytest.approx(float(result["area_ha"]), rel=1e-3)
    assert sum(float(u["share_pct"]) for u in uses.values()) == pytest.approx(100, abs=0.05)


def test_analysis_of_a_project_a_parcel_and_errors(client, engine) -> None:
    with engine.connect() as c:
        project = c.execute(text("SELECT code, area_m2 FROM projects "
                                 "WHERE name = 'Xây dựng đường Thanh Nhàn'")).one()
        parcel = c.execute(text("SELECT pa.code FROM parcels pa JOIN projects p ON p.id = "
                                "pa.project_id WHERE p.code = :c ORDER BY pa.code LIMIT 1"),
                           {"c": project.code}).scalar_one()
    doc = client.get(f"/plans/analysis/projects/{project.code}").json()
    assert doc["subject"]["code"] == project.code
    assert float(doc["area_ha"]) == pytest.approx(project.area_m2 / 1e4, abs=1e-4)
    (plan,) = doc["plans"]
    assert max(plan["land_uses"], key=lambda u: float(u["area_ha"]))["code"] == "GT"
    assert float(plan["zoned_ha"]) == pytest.approx(float(doc["area_ha"]), rel=1e-3)
    assert client.get(f"/plans/analysis/parcels/{parcel}").json()["subject"]["kind"] == "parcel"
    assert client.get("/plans/analysis/projects/NOPE").status_code == 404
    assert client.get("/plans/analysis/parcels/999999").status_code == 404
    r = client.post("/plans/analysis", json={"type": "Point", "coordinates": [105.85, 21.0]})
    assert r.status_code == 400
    r = client.post("/plans/analysis", json={"type": "Polygon", "coordinates": [
        [[10, 10], [11, 10], [11, 11], [10, 10]]]})
    assert r.status_code == 400 and "outside Hanoi" in r.json()["description_en"]


def test_red_line_corridor_lists_what_must_be_recovered(client, engine) -> None:
    with engine.connect() as c:
        line_id = c.execute(text("SELECT id FROM red_lines WHERE road = 'Thanh Nhàn'")).scalar_one()
        lengths = c.execute(text("SELECT ST_Length((ST_Dump(geom)).geom) FROM red_lines "
                                 "WHERE id = :id"), {"id": line_id}).scalars().all()
    r = client.get(f"/plans/analysis/red-lines/{line_id}")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["red_line"]["road"] == "Thanh Nhàn"
    assert float(doc["corridor_ha"]) == pytest.approx(35.0 * np.mean(lengths) / 1e4, rel=0.02)
    assert doc["parcels_count"] == len(doc["parcels"]) > 0
    inside = sum(float(p["inside_m2"]) for p in doc["parcels"])
    assert float(doc["inside_ha"]) == pytest.approx(inside / 1e4, abs=1e-4)
    assert all(0 < float(p["inside_m2"]) <= float(p["area_m2"]) + 0.01 for p in doc["parcels"])
    assert any(float(p["inside_pct"]) < 99 for p in doc["parcels"])
    assert sum(doc["by_land_user"].values()) == pytest.approx(float(doc["inside_ha"]), abs=1e-3)
    posted = client.post("/plans/analysis/corridor", json=doc["corridor"]).json()
    assert posted["parcels_count"] == doc["parcels_count"]
    assert client.get(f"/plans/analysis/red-lines/{line_id}?width=0").status_code == 400
    assert client.get("/plans/analysis/red-lines/999999").status_code == 404


def test_plan_zones_is_an_ogc_collection(client) -> None:
    listed = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert "plan_zones" in listed
    q = client.get("/collections/plan_zones/queryables").json()
    assert set(q["properties"]) >= {"plan_id", "code", "name"}
    items = client.get("/collections/plan_zones/items?code=CX").json()
    assert items["numberMatched"] >= 1
    props = items["features"][0]["properties"]
    assert props["color"] == "#4CAF50" and props["land_use"] == "Đất cây xanh"
