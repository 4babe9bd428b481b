"""Hectares on the ground, and VN-2000 ↔ WGS 84 as PROJ's EPSG definitions give it."""

from __future__ import annotations

import pytest
import shapely
from pyproj import CRS, Transformer
from pyproj.transformer import TransformerGroup
from shapely.geometry import LineString, Polygon
from sqlalchemy import text

from gis.measure import area_ha, length_m
from gis.srs import VN2000, WGS84, from_wgs84, to_wgs84, transformer

X0, Y0 = 588_000.0, 2_325_000.0  # Hai Bà Trưng, VN-2000 / TM-3 105°00'
SQUARE = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 100)])


def _db_area_ha(conn, geom: Polygon) -> float:
    return conn.execute(text(
        "INSERT INTO wards (district, name, geom) "
        "VALUES ('test', :n, ST_Multi(ST_GeomFromText(:w, 5897))) RETURNING area_m2 / 10000"),
        {"n": str(id(geom)), "w": geom.wkt}).scalar_one()


def test_square_of_100_m_is_one_hectare(conn) -> None:
    assert area_ha(SQUARE, VN2000) == pytest.approx(1.0, rel=1e-4)
    assert _db_area_ha(conn, SQUARE) == pytest.approx(1.0, rel=1e-4)


def test_square_survives_round_trip_through_wgs84(conn) -> None:
    lonlat = shapely.transform(SQUARE, lambda x, y: transformer(VN2000, WGS84).transform(x, y),
                               interleaved=False)
    assert area_ha(lonlat, WGS84) == pytest.approx(1.0, rel=1e-4)
    back = shapely.transform(lonlat, lambda x, y: transformer(WGS84, VN2000).transform(x, y),
                             interleaved=False)
    assert _db_area_ha(conn, back) == pytest.approx(1.0, rel=1e-4)


def test_web_mercator_would_be_wrong(conn) -> None:
    merc = conn.execute(text(
        "SELECT ST_Area(ST_Transform(ST_GeomFromText(:w, 5897), 3857)) / 10000"),
        {"w": SQUARE.wkt}).scalar_one()
    assert merc > 1.14  # the error the project avoids


def test_line_length_on_the_ground(conn) -> None:
    line = LineString(SQUARE.exterior.coords)
    assert length_m(line, VN2000) == pytest.approx(400.0, rel=1e-4)
    db = conn.execute(text(
        "INSERT INTO red_lines (district, road, geom) VALUES ('test', 'T', "
        "ST_Multi(ST_GeomFromText(:w, 5897))) RETURNING length_m"), {"w": line.wkt}).scalar_one()
    assert db == pytest.approx(400.0, rel=1e-4)


def test_control_point_matches_proj_within_a_centimetre(conn) -> None:
    x, y = 588_123.456, 2_324_567.891
    op = TransformerGroup(VN2000, WGS84, always_xy=True, allow_ballpark=False).transformers[0]
    assert "VN-2000 to WGS 84" in op.description
    lon_ref, lat_ref = op.transform(x, y)
    lon, lat = to_wgs84(x, y)
    geod_m = _geod_distance(lon, lat, lon_ref, lat_ref)
    assert geod_m < 0.01
    lon_db, lat_db = conn.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 5897), 4326) p"),
        {"x": x, "y": y}).one()
    assert _geod_distance(lon_db, lat_db, lon_ref, lat_ref) < 0.01
    bx, by = from_wgs84(lon, lat)
    assert abs(bx - x) < 0.001 and abs(by - y) < 0.001


def test_datum_shift_is_applied() -> None:
    x, y = 588_123.456, 2_324_567.891
    lon, lat = to_wgs84(x, y)
    naive = Transformer.from_crs(
        CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 "
                       "+ellps=WGS84 +units=m"), 4326, always_xy=True)
    lon_n, lat_n = naive.transform(x, y)
    assert 150 < _geod_distance(lon, lat, lon_n, lat_n) < 300


def _geod_distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    from gis.measure import GEOD

    return abs(GEOD.inv(lon1, lat1, lon2, lat2)[2])
