"""Migrations and the constraints that keep the data sane."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.settings import Settings
from gis.db import make_engine
from layers.migrate import current, upgrade
from layers.sample import LAYER_TABLES

SQUARE = "MULTIPOLYGON(((586000 2326000,586100 2326000,586100 2326100,586000 2326100,586000 2326000)))"
BOWTIE = "MULTIPOLYGON(((586000 2326000,586100 2326100,586100 2326000,586000 2326100,586000 2326000)))"


def test_migrations_apply_to_empty_and_up_to_date_database(fresh_database) -> None:
    url = fresh_database("migrate")
    engine = make_engine(Settings(database_url=url), url)
    try:
        assert current(engine) is None
        upgrade(engine)
        head = current(engine)
        assert head is not None
        upgrade(engine)  # already at head: a no-op, no error
        assert current(engine) == head
        with engine.connect() as conn:
            tables = set(conn.execute(text(
                "SELECT f_table_name FROM geometry_columns WHERE srid = 5897")).scalars())
            assert set(LAYER_TABLES) <= tables
            untyped = conn.execute(text(
                "SELECT count(*) FROM geometry_columns WHERE srid = 0 OR type = 'GEOMETRY'"
            )).scalar_one()
            assert untyped == 0
            indexed = set(conn.execute(text(
                "SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")).scalars())
            assert set(LAYER_TABLES) <= indexed
    finally:
        engine.dispose()


def _insert_ward(conn, wkt: str, srid: int = 5897) -> float:
    return conn.execute(text(
        "INSERT INTO wards (district, name, geom) VALUES ('test', 'X', ST_GeomFromText(:w, :s)) "
        "RETURNING area_m2"), {"w": wkt, "s": srid}).scalar_one()


def test_invalid_geometry_is_refused(conn) -> None:
    with pytest.raises(IntegrityError, match="check constraint"):
        _insert_ward(conn, BOWTIE)


def test_wrong_srid_is_refused(conn) -> None:
    with pytest.raises(Exception, match="SRID"):
        _insert_ward(conn, "MULTIPOLYGON(((105.8 21,105.81 21,105.81 21.01,105.8 21)))", 4326)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [("projects", "status", "finished"), ("projects", "funding", "private"),
     ("parcels", "status", "accepted"), ("lakes", "works", "filling"),
     ("civilized_streets", "kind", "pedestrian"), ("red_line_markers", "status", "moved")],
)
def test_unknown_status_values_are_refused(conn, table: str, column: str, value: str) -> None:
    row_id = conn.execute(text(f"SELECT min(id) FROM {table}")).scalar_one()
    with pytest.raises(IntegrityError, match="check constraint"):
        conn.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                     {"v": value, "id": row_id})


def test_negative_amounts_are_refused(conn) -> None:
    with pytest.raises(IntegrityError, match="check constraint"):
        conn.execute(text("UPDATE parcels SET compensation_vnd = -1 WHERE id = 1"))


def test_plan_status_needs_its_step_dates(conn) -> None:
    with pytest.raises(IntegrityError, match="check constraint"):
        conn.execute(text(
            "UPDATE parcels SET status = 'handed_over', handed_over_on = NULL "
            "WHERE id = (SELECT min(id) FROM parcels WHERE status = 'drafted')"))


def test_marker_keeps_surveyed_coordinates_exactly(conn) -> None:
    conn.execute(text(
        "INSERT INTO red_line_markers (code, district, road, status, northing_m, easting_m) "
        "VALUES ('T-1', 'test', 'Test', 'planted', 2324567.891, 588123.456)"))
    row = conn.execute(text(
        "SELECT northing_m::text, easting_m::text, ST_X(geom), ST_Y(geom), ST_SRID(geom) "
        "FROM red_line_markers WHERE code = 'T-1'")).one()
    assert row == ("2324567.891", "588123.456", 588123.456, 2324567.891, 5897)
