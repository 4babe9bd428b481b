"""A deterministic city-scale synthetic data set of Hanoi's planning layers, written with COPY.

Twelve districts of 5 km × 5 km laid on a grid around Hanoi's centre (VN-2000 / TM-3 105°00'),
each with 16 wards, a road grid with red lines on both kerbs, markers along the red lines,
lakes, civilized streets, and site-clearance projects whose parcels form dense blocks. Inner
districts are denser than outer ones, so some tiles hold many parcels and others few.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely

from gis.srs import HANOI_VN2000, VN2000, from_wgs84

FULL = {"parcels": 100_000, "projects": 2_000, "red_line_markers": 20_000, "lakes": 240,
        "civilized_streets": 600}
GENERATOR_VERSION = 4
SEED = 20221
DISTRICT_M = 5000.0
# Parcels twelve 5 km districts hold comfortably (the densest is then about two thirds built
# up); larger data sets get larger districts, so the parcels, blocks and tiles look the same.
DISTRICT_CAPACITY = 140_000
WARDS_PER_SIDE = 4
ROADS_PER_SIDE = 5
ROAD_HALF_WIDTH = 15.0
PITCH = (22.0, 28.0)  # parcel grid pitch in metres (x, y): parcels of about 20 m × 26 m
HANOI_CENTRE = (105.8542, 21.0285)
# (slug, name, relative parcel density), north row first, west to east.
DISTRICTS = (
    ("tay-ho", "Tây Hồ", 0.6), ("ba-dinh", "Ba Đình", 1.0),
    ("hoan-kiem", "Hoàn Kiếm", 1.2), ("long-bien", "Long Biên", 1.0),
    ("cau-giay", "Cầu Giấy", 1.0), ("dong-da", "Đống Đa", 1.6),
    ("hai-ba-trung", "Hai Bà Trưng", 1.7), ("gia-lam", "Gia Lâm", 0.5),
    ("nam-tu-liem", "Nam Từ Liêm", 0.7), ("thanh-xuan", "Thanh Xuân", 1.2),
    ("hoang-mai", "Hoàng Mai", 1.0), ("ha-dong", "Hà Đông", 0.5),
)
COLUMNS = 4
PROJECT_STATUSES = (("planned", 0.15), ("in_progress", 0.6), ("completed", 0.2),
                    ("suspended", 0.05))
PLAN_STATUSES = (("drafted", 0.2), ("published", 0.2), ("approved", 0.25), ("paid", 0.15),
                 ("handed_over", 0.2))
PARCEL_COLUMNS = ["id", "code", "project_id", "land_user_kind", "status", "drafted_on",
                  "published_on", "approved_on", "paid_on", "handed_over_on", "compensation_vnd",
                  "geom"]
TABLES = ("wards", "projects", "parcels", "red_lines", "red_line_markers", "lakes",
          "civilized_streets")


@dataclass
class Dataset:
    """Rows of every layer table, ready for COPY (geometries as hex EWKB in EPSG:5897)."""

    counts: dict[str, int]
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    parcel_geoms: np.ndarray | None = None


def counts_for(parcels: int) -> dict[str, int]:
    """Row counts of every layer for a data set of `parcels` parcels (scaled from the full set)."""
    scale = parcels / FULL["parcels"]
    return {k: max(4, round(v * scale)) if k != "parcels" else parcels for k, v in FULL.items()}


def district_side(parcels: int) -> float:
    """Side of a district (m): 5 km up to DISTRICT_CAPACITY parcels, then growing with the area."""
    if parcels <= DISTRICT_CAPACITY:
        return DISTRICT_M
    return math.ceil(DISTRICT_M * math.sqrt(parcels / DISTRICT_CAPACITY) / 100) * 100


def _origin(side: float) -> tuple[float, float]:
    cx, cy = from_wgs84(*HANOI_CENTRE)
    rows = math.ceil(len(DISTRICTS) / COLUMNS)
    x0, y0 = round(cx - COLUMNS * side / 2), round(cy + rows * side / 2)
    # A large city is moved west or south as far as needed to stay inside Hanoi's extent, which
    # an import checks every row against.
    xmin, ymin, xmax, ymax = HANOI_VN2000
    x0 = max(xmin + 1000, min(x0, xmax - 1000 - COLUMNS * side))
    y0 = min(ymax - 1000, max(y0, ymin + 1000 + rows * side))
    return x0, y0


def district_boxes(side: float = DISTRICT_M) -> list[tuple[str, str, float, float, float, float]]:
    """(slug, name, xmin, ymin, xmax, ymax) of each district, in VN-2000 metres."""
    x0, y0 = _origin(side)
    out = []
    for i, (slug, name, _) in enumerate(DISTRICTS):
        r, c = divmod(i, COLUMNS)
        xmin, ymax = x0 + c * side, y0 - r * side
        out.append((slug, name, xmin, ymax - side, xmin + side, ymax))
    return out


def _ewkb(geoms: np.ndarray) -> list[str]:
    return list(shapely.to_wkb(shapely.set_srid(geoms, VN2000), hex=True, include_srid=True))


def _multi_polygons(polys: np.ndarray) -> np.ndarray:
    return shapely.multipolygons(polys, indices=np.arange(len(polys)))


def _multi_lines(lines: np.ndarray) -> np.ndarray:
    return shapely.multilinestrings(lines, indices=np.arange(len(lines)))


def _pick(rng: np.random.Generator, choices: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    names = np.array([c[0] for c in choices], dtype=object)
    p = np.array([c[1] for c in choices])
    return names[rng.choice(len(names), size=n, p=p / p.sum())]


def _blocks(xmin: float, ymin: float, side: float) -> list[tuple[float, float, float, float]]:
    """The blocks between a district's roads, nearest the district's centre first."""
    step = side / (ROADS_PER_SIDE + 1)
    margin = ROAD_HALF_WIDTH + 8
    out = []
    for i in range(ROADS_PER_SIDE + 1):
        for j in range(ROADS_PER_SIDE + 1):
            out.append((xmin + i * step + margin, ymin + j * step + margin,
                        xmin + (i + 1) * step - margin, ymin + (j + 1) * step - margin))
    mid = xmin + side / 2, ymin + side / 2
    return sorted(out, key=lambda b: ((b[0] + b[2]) / 2 - mid[0]) ** 2
                  + ((b[1] + b[3]) / 2 - mid[1]) ** 2)


def _day(base: dt.date, days: int) -> dt.date:
    return base + dt.timedelta(days=int(days))


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to weights summing exactly to total."""
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(int)
    for i in np.argsort(raw - out)[::-1][: total - out.sum()]:
        out[i] += 1
    return out


class _Occupancy:
    """A coarse raster of taken ground, to keep blocks, lakes and roads apart."""

    CELL = 10.0

    def __init__(self, box: tuple[float, float, float, float]):
        self.x0, self.y0 = box[0], box[1]
        n = int((box[2] - box[0]) / self.CELL)
        self.grid = np.zeros((n, n), dtype=bool)

    def _span(self, xmin: float, ymin: float, xmax: float, ymax: float) -> tuple[slice, slice]:
        n = self.grid.shape[0]
        i0 = max(0, int((xmin - self.x0) / self.CELL) - 1)
        i1 = min(n, int(math.ceil((xmax - self.x0) / self.CELL)) + 1)
        j0 = max(0, int((ymin - self.y0) / self.CELL) - 1)
        j1 = min(n, int(math.ceil((ymax - self.y0) / self.CELL)) + 1)
        return slice(j0, j1), slice(i0, i1)

    def free(self, *box: float) -> bool:
        """Whether the box (with a one-cell margin) is untaken."""
        return not self.grid[self._span(*box)].any()

    def take(self, *box: float) -> None:
        """Mark the box as taken."""
        self.grid[self._span(*box)] = True


def generate(parcels: int = FULL["parcels"], seed: int = SEED) -> Dataset:
    """Build the whole data set in memory, deterministically from `seed`."""
    rng = np.random.default_rng(seed)
    counts = counts_for(parcels)
    ds = Dataset(counts)
    dside = district_side(parcels)
    boxes = district_boxes(dside)
    occ = {b[0]: _Occupancy(b[2:]) for b in boxes}

    # Wards: a 4 × 4 grid per district.
    ward_rows, ward_polys = [], []
    side = dside / WARDS_PER_SIDE
    for slug, _, xmin, ymin, _, _ in boxes:
        for k in range(WARDS_PER_SIDE**2):
            r, c = divmod(k, WARDS_PER_SIDE)
            ward_polys.append(shapely.box(xmin + c * side, ymin + r * side,
                                          xmin + (c + 1) * side, ymin + (r + 1) * side))
            ward_rows.append([len(ward_rows) + 1, slug, f"Phường {k + 1}"])
    for row, g in zip(ward_rows, _ewkb(_multi_polygons(np.array(ward_polys))), strict=True):
        row.append(g)
    ds.rows["wards"] = [tuple(r) for r in ward_rows]
    ds.columns["wards"] = ["id", "district", "name", "geom"]

    # Roads: a grid per district; each road has a red line on both kerbs.
    roads = []  # (district, name, x1, y1, x2, y2)
    step = dside / (ROADS_PER_SIDE + 1)
    for slug, name, xmin, ymin, xmax, ymax in boxes:
        for k in range(1, ROADS_PER_SIDE + 1):
            y = ymin + k * step
            roads.append((slug, f"Đường {name} {k}", xmin, y, xmax, y))
            occ[slug].take(xmin, y - ROAD_HALF_WIDTH, xmax, y + ROAD_HALF_WIDTH)
            x = xmin + k * step
            roads.append((slug, f"Phố {name} {k}", x, ymin, x, ymax))
            occ[slug].take(x - ROAD_HALF_WIDTH, ymin, x + ROAD_HALF_WIDTH, ymax)
    red_rows, red_lines = [], []
    for slug, road, x1, y1, x2, y2 in roads:
        horizontal = y1 == y2
        for sign in (-1, 1):
            dx, dy = (0.0, sign * ROAD_HALF_WIDTH) if horizontal else (sign * ROAD_HALF_WIDTH, 0.0)
            red_lines.append(shapely.linestrings([[x1 + dx, y1 + dy], [x2 + dx, y2 + dy]]))
            red_rows.append([len(red_rows) + 1, slug, road, f"QĐ {1000 + len(red_rows) % 97}/QĐ-UBND"])
    for row, g in zip(red_rows, _ewkb(_multi_lines(np.array(red_lines))), strict=True):
        row.append(g)
    ds.rows["red_lines"] = [tuple(r) for r in red_rows]
    ds.columns["red_lines"] = ["id", "district", "road", "plan_ref", "geom"]

    # Markers: evenly spaced along the red lines.
    per_line = _split(counts["red_line_markers"], np.ones(len(red_rows)))
    marker_rows = []
    statuses = _pick(rng, (("planned", 0.2), ("planted", 0.7), ("lost", 0.05),
                           ("replaced", 0.05)), counts["red_line_markers"])
    base = dt.date(2012, 1, 1)
    for line_id, (line, n) in enumerate(zip(red_lines, per_line, strict=True), start=1):
        for t in (np.arange(n) + 0.5) / max(n, 1):
            p = shapely.line_interpolate_point(line, t, normalized=True)
            i = len(marker_rows)
            status = statuses[i]
            surveyed = None if status == "planned" else _day(base, rng.integers(0, 4000))
            marker_rows.append((i + 1, f"M-{i + 1:06d}", red_rows[line_id - 1][1],
                                red_rows[line_id - 1][2], line_id, status, surveyed,
                                f"{p.y:.3f}", f"{p.x:.3f}"))
    ds.rows["red_line_markers"] = marker_rows
    ds.columns["red_line_markers"] = ["id", "code", "district", "road", "red_line_id", "status",
                                      "surveyed_on", "northing_m", "easting_m"]

    # Projects and their parcels: projects packed in rows inside the blocks between roads,
    # from the district's centre outwards, so dense districts have fully built-up blocks.
    weights = np.array([d[2] for d in DISTRICTS])
    projects_per = _split(counts["projects"], weights)
    sizes = rng.integers(20, 81, size=counts["projects"]).astype(float)
    parcels_per_project = _split(counts["parcels"], sizes)
    proj_rows, proj_polys, parcel_polys, parcel_project = [], [], [], []
    pid = 0
    for d, (slug, name, xmin, ymin, _, _) in enumerate(boxes):
        blocks = _blocks(xmin, ymin, dside)
        b = 0
        bx0, by0, bx1, by1 = blocks[0]
        x, y, shelf = bx0, by0, 0.0
        for _ in range(projects_per[d]):
            k = int(parcels_per_project[pid])
            cols = max(1, math.ceil(math.sqrt(k * PITCH[1] / PITCH[0])))
            rows_ = max(1, math.ceil(k / cols))
            w, h = cols * PITCH[0], rows_ * PITCH[1]
            gap = float(rng.uniform(6, 20))
            if x + w > bx1:
                x, y, shelf = bx0, y + shelf + gap, 0.0
            if y + h > by1:
                b += 1
                if b == len(blocks):
                    raise RuntimeError(f"district {slug} is full: fewer parcels, please")
                bx0, by0, bx1, by1 = blocks[b]
                x, y, shelf = bx0, by0, 0.0
            px, py = x, y
            x += w + gap
            shelf = max(shelf, h)
            occ[slug].take(px - 3, py - 3, px + w + 3, py + h + 3)
            pid += 1
            proj_polys.append(shapely.box(px - 3, py - 3, px + w + 3, py + h + 3))
            idx = np.arange(k)
            cx = px + (idx % cols) * PITCH[0]
            cy = py + (idx // cols) * PITCH[1]
            j = rng.uniform(-0.4, 0.4, size=(k, 4, 2))
            x0, x1 = cx + 1 + j[:, 0, 0], cx + PITCH[0] - 1 + j[:, 1, 0]
            y0, y1 = cy + 1 + j[:, 0, 1], cy + PITCH[1] - 1 + j[:, 2, 1]
            ring = np.stack([
                np.stack([x0, y0], 1), np.stack([x1, y0 + j[:, 1, 1]], 1),
                np.stack([x1 + j[:, 2, 0], y1], 1), np.stack([x0 + j[:, 3, 0], y1 + j[:, 3, 1]], 1),
                np.stack([x0, y0], 1)], axis=1)
            parcel_polys.append(shapely.polygons(ring))
            parcel_project.append(np.full(k, pid))
            status = _pick(rng, PROJECT_STATUSES, 1)[0]
            started = _day(dt.date(2016, 1, 1), rng.integers(0, 2400))
            target = _day(started, rng.integers(365, 1800))
            completed = _day(started, rng.integers(200, 2000)) if status == "completed" else None
            proj_rows.append([pid, f"DA-{pid:05d}", f"Dự án GPMB {name} số {pid}", slug,
                              "budget" if rng.random() < 0.92 else "non_budget",
                              bool(rng.random() < 0.05), bool(rng.random() < 0.08), status,
                              started, target, completed])
    for row, g in zip(proj_rows, _ewkb(_multi_polygons(np.array(proj_polys))), strict=True):
        row.append(g)
    ds.rows["projects"] = [tuple(r) for r in proj_rows]
    ds.columns["projects"] = ["id", "code", "name", "district", "funding", "is_key",
                              "has_complaints", "status", "started_on", "target_date",
                              "completed_on", "geom"]

    geoms = _multi_polygons(np.concatenate(parcel_polys))
    owners = np.concatenate(parcel_project)
    n = len(geoms)
    pstat = _pick(rng, PLAN_STATUSES, n)
    drafted = rng.integers(0, 2500, size=n)
    gaps = rng.integers(10, 120, size=(n, 4))
    amounts = rng.integers(100, 5000, size=n) * 1_000_000
    kinds = np.where(rng.random(n) < 0.9, "household", "organisation")
    order = {s: i for i, (s, _) in enumerate(PLAN_STATUSES)}
    hexes = _ewkb(geoms)
    prows = []
    base = dt.date(2017, 1, 1)
    for i in range(n):
        level = order[pstat[i]]
        d0 = _day(base, drafted[i])
        dates = [d0]
        for g in gaps[i]:
            dates.append(_day(dates[-1], g))
        prows.append((
            i + 1, f"PA-{i + 1:06d}", int(owners[i]), kinds[i], pstat[i], d0,
            dates[1] if level >= 1 else None, dates[2] if level >= 2 else None,
            dates[3] if level >= 3 else None, dates[4] if level >= 4 else None,
            int(amounts[i]) if level >= 2 else 0, hexes[i]))
    ds.rows["parcels"] = prows
    ds.columns["parcels"] = PARCEL_COLUMNS
    ds.parcel_geoms = geoms

    # Lakes: round ponds on free ground.
    lake_rows, lake_polys = [], []
    lakes_per = _split(counts["lakes"], np.ones(len(boxes)))
    works = _pick(rng, (("renovation", 0.4), ("dredging", 0.35), ("embankment", 0.25)),
                  counts["lakes"])
    lstat = _pick(rng, (("planned", 0.3), ("in_progress", 0.3), ("completed", 0.4)),
                  counts["lakes"])
    for d, (slug, name, xmin, ymin, _, _) in enumerate(boxes):
        for _ in range(lakes_per[d]):
            r = float(rng.uniform(30, 160))
            for _attempt in range(500):
                x = xmin + r + 20 + rng.random() * (dside - 2 * r - 40)
                y = ymin + r + 20 + rng.random() * (dside - 2 * r - 40)
                if occ[slug].free(x - r, y - r, x + r, y + r):
                    break
            occ[slug].take(x - r, y - r, x + r, y + r)
            i = len(lake_rows)
            lake_polys.append(shapely.buffer(shapely.points(x, y), r, quad_segs=6))
            done = _day(dt.date(2015, 1, 1), rng.integers(0, 3000)) if lstat[i] == "completed" \
                else None
            lake_rows.append([i + 1, f"Hồ {name} {i + 1}", slug, works[i], lstat[i], done])
    for row, g in zip(lake_rows, _ewkb(_multi_polygons(np.array(lake_polys))), strict=True):
        row.append(g)
    ds.rows["lakes"] = [tuple(r) for r in lake_rows]
    ds.columns["lakes"] = ["id", "name", "district", "works", "status", "completed_on", "geom"]

    # Civilized streets: stretches of the district roads.
    street_rows, street_lines = [], []
    kinds_s = _pick(rng, (("civilized", 0.7), ("no_parking_no_vending", 0.3)),
                    counts["civilized_streets"])
    sstat = _pick(rng, (("planned", 0.3), ("recognised", 0.3), ("maintained", 0.4)),
                  counts["civilized_streets"])
    for i in range(counts["civilized_streets"]):
        slug, road, x1, y1, x2, y2 = roads[int(rng.integers(0, len(roads)))]
        a = float(rng.uniform(0, 0.7))
        b = a + float(rng.uniform(0.08, 0.3))
        street_lines.append(shapely.linestrings([[x1 + (x2 - x1) * a, y1 + (y2 - y1) * a],
                                                 [x1 + (x2 - x1) * b, y1 + (y2 - y1) * b]]))
        year = None if sstat[i] == "planned" else int(rng.integers(2010, 2023))
        street_rows.append([i + 1, road, slug, None, kinds_s[i], year, sstat[i]])
    for row, g in zip(street_rows, _ewkb(_multi_lines(np.array(street_lines))), strict=True):
        row.append(g)
    ds.rows["civilized_streets"] = [tuple(r) for r in street_rows]
    ds.columns["civilized_streets"] = ["id", "name", "district", "ward", "kind",
                                       "year_recognised", "status", "geom"]
    return ds


def copy_table(conn: psycopg.Connection, table: str, columns: list[str],
               rows: list[tuple[Any, ...]]) -> None:
    """COPY rows into a table and move its id sequence past them."""
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if "id" in columns:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table}), 1))")


def load(url: str, ds: Dataset, tables: tuple[str, ...] = TABLES) -> None:
    """Replace the layer tables' contents with the data set, in one transaction, then analyze."""
    with psycopg.connect(url) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        for table in ("wards", "projects", "parcels", "red_lines", "red_line_markers", "lakes",
                      "civilized_streets"):
            if table in tables:
                copy_table(conn, table, ds.columns[table], ds.rows[table])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def write_geopackage(ds: Dataset, path: Path) -> Path:
    """The parcels as a GeoPackage in EPSG:5897, as a surveyor would hand them over."""
    import geopandas as gpd
    import pandas as pd

    cols = PARCEL_COLUMNS[1:-1]
    frame = pd.DataFrame([r[1:-1] for r in ds.rows["parcels"]], columns=cols)
    for c in ("drafted_on", "published_on", "approved_on", "paid_on", "handed_over_on"):
        frame[c] = pd.to_datetime(frame[c])
    gdf = gpd.GeoDataFrame(frame, geometry=ds.parcel_geoms, crs=VN2000)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    gdf.to_file(path, driver="GPKG", layer="parcels", engine="pyogrio",
                dataset_options={"VERSION": "1.3"})
    return path
