"""The planning information sheet of one parcel: JSON figures, what anonymous readers see, PDF."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import Point, Polygon
from sqlalchemy import text

# A Thanh Nhàn parcel of the sample: in two 1/2000 zones and in Thanh Nhàn street's corridor.
CODE = "HBT-2011-002-P044"
GEOD = Geod(ellps="WGS84")
TO_LONLAT = Transformer.from_crs(5897, 4326, always_xy=True)


def ground_m2(geom) -> float:
    """Area on the WGS 84 ellipsoid of a VN-2000 geometry, as the database measures it."""
    lonlat = shapely.transform(geom, lambda x, y: TO_LONLAT.transform(x, y), interleaved=False)
    return abs(GEOD.geometry_area_perimeter(lonlat)[0])


def _wkb(conn, sql: str, **params):
    return [(r[0], shapely.from_wkb(bytes(r[1]))) for r in conn.execute(text(sql), params)]


@pytest.fixture(scope="module")
def parcel(engine) -> dict:
    with engine.connect() as c:
        row = c.execute(text("SELECT id, map_sheet, parcel_no FROM parcels WHERE code = :code"),
                        {"code": CODE}).one()
        geom = _wkb(c, "SELECT id, ST_AsBinary(geom) FROM parcels WHERE id = :id", id=row.id)[0][1]
        zones = dict(_wkb(c, "SELECT id, ST_AsBinary(geom) FROM plan_zones WHERE geom && "
                             "(SELECT geom FROM parcels WHERE id = :id)", id=row.id))
        lines = _wkb(c, "SELECT road, ST_AsBinary(geom) FROM red_lines")
    return {"id": row.id, "ref": f"{row.map_sheet}-{row.parcel_no}", "geom": geom,
            "zones": zones, "lines": lines}


@pytest.fixture(scope="module")
def sheet(client, parcel) -> dict:
    r = client.get(f"/parcels/{parcel['ref']}/planning")
    assert r.status_code == 200, r.text
    return r.json()


def test_reference_id_and_code_give_the_same_parcel(client, parcel, sheet):
    assert sheet["parcel"]["id"] == parcel["id"]
    assert sheet["parcel"]["ref"] == parcel["ref"]
    for ref in (str(parcel["id"]), CODE):
        assert client.get(f"/parcels/{ref}/planning").json()["parcel"]["id"] == parcel["id"]


def test_zone_areas_match_shapely(sheet, parcel):
    zones = sheet["zones"]
    assert len(zones) >= 2
    for z in zones:
        inside = parcel["zones"][z["id"]].intersection(parcel["geom"])
        assert z["area_m2"] == pytest.approx(ground_m2(inside), abs=0.02)
    assert sum(z["share_pct"] for z in zones) == pytest.approx(100, abs=0.1)
    assert sheet["parcel"]["area_m2"] == pytest.approx(ground_m2(parcel["geom"]), abs=0.02)


def test_corridor_area_matches_shapely(sheet, parcel):
    found = {c["road"]: c for c in sheet["red_lines"]}
    assert "Thanh Nhàn" in found
    for road, lines in parcel["lines"]:
        # The road between its two sides: one side, then the other walked back.
        a, b = list(lines.geoms)
        other = list(b.coords)
        end = Point(a.coords[-1])
        if end.distance(Point(other[-1])) < end.distance(Point(other[0])):
            other.reverse()
        ring = [*a.coords, *other]
        inside = shapely.make_valid(Polygon(ring)).intersection(parcel["geom"])
        m2 = ground_m2(inside) if not inside.is_empty else 0.0
        if m2 > 0.01:
            assert found[road]["inside_m2"] == pytest.approx(m2, abs=0.02), road
        else:
            assert road not in found


def test_units_hold_the_parcel_today_and_formerly(sheet, engine, parcel):
    units = sheet["units"]
    today = dt.date.today().isoformat()
    assert units["current"]
    assert all(u["valid_to"] is None or u["valid_to"] >= today for u in units["current"])
    assert all(u["valid_to"] < today for u in units["former"])
    with engine.connect() as c:
        if not c.execute(text("SELECT EXISTS (SELECT 1 FROM admin_units)")).scalar_one():
            return
        holding = set(c.execute(text(
            "SELECT u.id FROM admin_units u, parcels pa WHERE pa.id = :id "
            "AND ST_Intersects(u.geom, ST_PointOnSurface(pa.geom))"), {"id": parcel["id"]}).scalars())
    assert {u["id"] for u in units["current"] + units["former"]} == holding
    assert any(u["level"] == "ward" for u in units["former"])


def test_clearance_and_sources(sheet):
    project = sheet["clearance"]["project"]
    assert project["code"] == "HBT-2011-002"
    assert [p["code"] for p in sheet["clearance"]["plans"]] == [CODE]
    decisions = {s["decision"] for s in sheet["sources"]}
    assert "2011/QĐ-UBND" in decisions
    assert all(s["approved_on"] for s in sheet["sources"])


def test_anonymous_reader_gets_no_amount_or_land_user_name(client, engine, parcel):
    with engine.connect() as c:
        amount = c.execute(text("SELECT compensation_vnd FROM parcels WHERE id = :id"),
                           {"id": parcel["id"]}).scalar_one()
    assert amount > 0
    r = client.get(f"/parcels/{parcel['ref']}/planning")
    body = r.json()
    for plan in body["clearance"]["plans"]:
        assert "compensation_vnd" not in plan and "land_user_name" not in plan
        assert plan["status"] and plan["land_user_kind"]
    assert str(int(amount)) not in r.text
    assert "compensation_vnd" in body["staff_only_hidden"]


def test_click_on_the_map_finds_the_parcel(client, sheet, parcel):
    lon, lat = sheet["parcel"]["point"]
    r = client.get("/planning", params={"lon": lon, "lat": lat})
    assert r.status_code == 200
    assert r.json()["parcel"]["id"] == parcel["id"]


def test_pdf_sheet(client, parcel, tmp_path: Path):
    r = client.get(f"/parcels/{parcel['ref']}/planning", params={"f": "pdf"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(r.content)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    info = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}
    assert info["Pages"] == "1"
    assert info["Page size"].endswith("(A4)")
    body = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    sheet_no, parcel_no = parcel["ref"].split("-")
    assert f"Thửa đất số {parcel_no}, tờ bản đồ số {sheet_no}" in body
    assert "1:500" in body or "1:1000" in body
    assert "2011/QĐ-UBND" in body
    assert dt.date.today().strftime("%d/%m/%Y") in body
    assert "tỷ đồng" not in body and "compensation" not in body.lower()


@pytest.mark.parametrize("ref", ["999999999", "9999-9999", "tờ 9999 thửa 1", "KHONG-CO", "x" * 300])
def test_unknown_parcel_is_404_in_vietnamese(client, ref):
    r = client.get(f"/parcels/{ref}/planning")
    assert r.status_code == 404
    assert r.json()["description_vi"].startswith("Không có thửa đất")


def test_click_outside_any_parcel_is_404_and_outside_hanoi_400(client):
    r = client.get("/planning", params={"lon": 105.80, "lat": 21.10})
    assert r.status_code == 404
    assert "Không có thửa đất" in r.json()["description_vi"]
    assert client.get("/planning", params={"lon": 2.35, "lat": 48.85}).status_code == 400
    assert client.get("/planning", params={"lon": "x", "lat": 21}).status_code == 400


def test_bad_format_is_400(client, parcel):
    assert client.get(f"/parcels/{parcel['ref']}/planning", params={"f": "xls"}).status_code == 400
