"""Administrative units with validity periods and their succession: loading and reads."""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import orjson
from sqlalchemy import Connection, text

from gis.db import load_sql
from gis.ingest import copy_rows, ewkb_hex, none_if_missing
from gis.srs import VN2000

UNIT_COLUMNS = ["id", "level", "name", "parent_id", "valid_from", "valid_to"]
SUCCESSION_COLUMNS = ["successor_id", "predecessor_id", "whole"]


class UnitDataError(RuntimeError):
    """The units' files are missing or inconsistent."""


def read_units(path: Path) -> list[list[object]]:
    """The units of a GeoJSON file in VN-2000, as rows of UNIT_COLUMNS and the EWKB geometry."""
    gdf = gpd.read_file(path, engine="pyogrio")
    if gdf.crs is None or gdf.crs.to_epsg() != VN2000:
        raise UnitDataError(f"{path.name}: expected EPSG:{VN2000}, found {gdf.crs}")
    missing = [c for c in UNIT_COLUMNS if c not in gdf.columns]
    if missing:
        raise UnitDataError(f"{path.name}: missing columns {missing}")
    geoms = ewkb_hex(gdf.geometry, VN2000)
    values = gdf[UNIT_COLUMNS].astype(object).to_numpy().tolist()
    return [[none_if_missing(v) for v in row] + [g] for row, g in zip(values, geoms, strict=True)]


def read_succession(path: Path) -> list[list[object]]:
    """The succession rows of a CSV file (successor_id, predecessor_id, whole)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if rows and set(SUCCESSION_COLUMNS) - set(rows[0]):
        raise UnitDataError(f"{path.name}: expected columns {SUCCESSION_COLUMNS}")
    return [[r["successor_id"], r["predecessor_id"], r["whole"].strip().lower() == "true"]
            for r in rows]


def load_units(conn: Connection, sample_dir: Path) -> dict[str, int]:
    """Replace the units and their succession with the sample's, in the caller's transaction."""
    units = read_units(sample_dir / "admin_units.geojson")
    succession = read_succession(sample_dir / "unit_succession.csv")
    conn.execute(text("TRUNCATE unit_succession, admin_units"))
    counts = {
        "admin_units": copy_rows(conn, "admin_units", [*UNIT_COLUMNS, "geom"], units),
        "unit_succession": copy_rows(conn, "unit_succession", SUCCESSION_COLUMNS, succession),
    }
    conn.execute(text("ANALYZE admin_units, unit_succession"))
    return counts


@dataclass(frozen=True)
class Unit:
    """An administrative unit, its validity, and the units that succeeded it."""

    id: str
    level: str
    name: str
    parent_id: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    district: str | None  # the district it belongs to, now or formerly, for the pages' defaults
    successors: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The unit as i18n.unit_label and the JSON documents take it."""
        return {"id": self.id, "level": self.level, "name": self.name,
                "parent_id": self.parent_id, "valid_from": self.valid_from,
                "valid_to": self.valid_to}

    @property
    def slot(self) -> tuple[str, str | None]:
        """The unit as the other outputs name it: a district's ward by district and name."""
        if self.level in ("ward", "commune") and self.parent_id and self.parent_id == self.district:
            return self.parent_id, self.name
        return self.id, None

    def valid_on(self, day: dt.date) -> bool:
        """Whether the unit exists on a day."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def get_unit(conn: Connection, unit_id: str) -> Unit | None:
    """One unit by id (None when unknown)."""
    row = conn.execute(load_sql("units.get.sql"), {"id": unit_id}).one_or_none()
    if row is None:
        return None
    return Unit(row.id, row.level, row.name, row.parent_id, row.valid_from, row.valid_to,
                row.district, tuple(orjson.loads(row.successors)))


def unit_of(conn: Connection, district: str, ward: str | None) -> Unit | None:
    """The unit a request names the old way (a district id, or a ward by district and name)."""
    unit_id = conn.execute(text("SELECT admin_unit_id(:district, :ward)"),
                           {"district": district, "ward": ward}).scalar_one()
    return None if unit_id is None else get_unit(conn, unit_id)


def units_on(conn: Connection, day: dt.date) -> list[dict[str, Any]]:
    """The units valid on a day, with their area and lon/lat extent."""
    rows = conn.execute(load_sql("units.on.sql"), {"on": day}).mappings().all()
    return [{**{k: r[k] for k in ("id", "level", "name", "parent_id", "valid_from", "valid_to",
                                  "area_ha")},
             "bbox": None if r["w"] is None else [r["w"], r["s"], r["e"], r["n"]]}
            for r in rows]


def succession(conn: Connection, unit_id: str) -> dict[str, list[dict[str, Any]]]:
    """A unit's predecessors and successors with the shares of area between them."""
    found: dict[str, list[dict[str, Any]]] = {"predecessors": [], "successors": []}
    for r in conn.execute(load_sql("units.succession.sql"), {"id": unit_id}).mappings():
        found[f"{r['role']}s"].append({k: v for k, v in r.items() if k != "role"})
    return found


def all_units(conn: Connection) -> list[dict[str, Any]]:
    """Every unit below the city, old and new, by name: what a unit picker lists."""
    return [dict(r) for r in conn.execute(load_sql("units.all.sql")).mappings()]


def boundaries_geojson(conn: Connection, day: dt.date) -> bytes:
    """The outlines of the units below the city valid on a day, as a GeoJSON FeatureCollection."""
    return conn.execute(load_sql("units.boundaries.sql"), {"on": day}).scalar_one().encode()


def succession_features(conn: Connection, unit_id: str) -> dict[str, Any]:
    """A unit and the units it came from and went to, with shares of area, as GeoJSON (lon/lat)."""
    return orjson.loads(conn.execute(load_sql("units.succession_map.sql"),
                                     {"id": unit_id}).scalar_one())


# --- writing units from an import ---------------------------------------------------------------

UNIT_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")  # the table's CHECK on admin_units.id
LEVELS = ("city", "district", "ward", "commune")


def slug(name: str) -> str:
    """The id a unit name gives: lowercase ASCII words joined by '-' ("Bồ Đề" → "bo-de")."""
    folded = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def existing_ids(conn: Connection, ids: list[str]) -> set[str]:
    """Those of the ids that are already units."""
    return set(conn.execute(load_sql("units.existing.sql"), {"ids": ids}).scalars())


def write_units(conn: Connection, rows: list[dict[str, Any]], *, replace: bool = False) -> int:
    """Insert units (id, level, name, parent_id, valid_from, valid_to, geom as hex EWKB).

    In the caller's transaction; an existing id is replaced only with `replace`.
    """
    if not rows:
        return 0
    conn.execute(load_sql("units.insert.sql"), [{**r, "replace": replace} for r in rows])
    return len(rows)


def add_succession(conn: Connection, successor_id: str, predecessor_id: str,
                   whole: bool) -> dict[str, float | None]:
    """Record that a new unit took (the whole or part of) an old one; the shares it gives."""
    params = {"successor_id": successor_id, "predecessor_id": predecessor_id}
    conn.execute(load_sql("units.succession_add.sql"), {**params, "whole": whole})
    row = conn.execute(load_sql("units.share.sql"), params).mappings().one()
    return dict(row)
