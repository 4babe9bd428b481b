"""Deterministic sample data for Long Biên (2022) and Hai Bà Trưng (2011–2015), in VN-2000.

Run `python data/generate.py` to (re)write data/sample/, `python data/generate.py --check` to read
the files back and print the Long Biên figures. Real names, approximate locations and shapes.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

OUT = Path(__file__).resolve().parent / "sample"
SRID = 5897
CRS_MEMBER = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{SRID}"}}
TO_VN = Transformer.from_crs(4326, SRID, always_xy=True)
TO_LL = Transformer.from_crs(SRID, 4326, always_xy=True)
GEOD = Geod(ellps="WGS84")
SEED = 2022
HANOI_TZ = timezone(timedelta(hours=7))

LB, HBT = "long-bien", "hai-ba-trung"
H1_FROM, H1_TO = date(2022, 1, 1), date(2022, 6, 30)
LB_SNAPSHOT, HBT_SNAPSHOT = date(2022, 12, 31), date(2015, 12, 31)

# The figures of Long Biên's first half of 2022 (DOMAIN.md).
TARGET = {
    "projects": 64, "budget": 59, "non_budget": 5, "plans_total": 1315, "plans_approved": 405,
    "recovered_m2": 38_000.0, "compensation_vnd": 182_900_000_000, "ahead_of_schedule": 2,
}
AREA_TOLERANCE_M2 = 1.0
MARGIN = 1.5  # metres between a project's boundary and its parcels

LonLat = tuple[float, float]

# ----------------------------------------------------------------------------- places

LB_OUTLINE: list[LonLat] = [
    (105.862, 21.072), (105.872, 21.078), (105.890, 21.080), (105.910, 21.078), (105.930, 21.074),
    (105.948, 21.068), (105.955, 21.055), (105.950, 21.040), (105.940, 21.028), (105.930, 21.015),
    (105.922, 21.002), (105.910, 20.998), (105.898, 21.002), (105.885, 21.012), (105.872, 21.022),
    (105.862, 21.035), (105.858, 21.048), (105.858, 21.060),
]
LB_WARDS: dict[str, LonLat] = {
    "Bồ Đề": (105.872, 21.034), "Cự Khối": (105.906, 21.006), "Đức Giang": (105.893, 21.061),
    "Gia Thụy": (105.885, 21.048), "Giang Biên": (105.918, 21.068), "Long Biên": (105.888, 21.022),
    "Ngọc Lâm": (105.871, 21.045), "Ngọc Thụy": (105.864, 21.060), "Phúc Đồng": (105.902, 21.039),
    "Phúc Lợi": (105.933, 21.047), "Sài Đồng": (105.916, 21.030), "Thạch Bàn": (105.917, 21.015),
    "Thượng Thanh": (105.884, 21.071), "Việt Hưng": (105.905, 21.054),
}
HBT_OUTLINE: list[LonLat] = [
    (105.8405, 21.0220), (105.8520, 21.0225), (105.8610, 21.0222), (105.8675, 21.0205),
    (105.8730, 21.0130), (105.8765, 21.0040), (105.8775, 20.9960), (105.8700, 20.9915),
    (105.8620, 20.9925), (105.8520, 20.9905), (105.8440, 20.9915), (105.8400, 20.9960),
    (105.8400, 21.0080), (105.8410, 21.0150),
]
HBT_WARDS: dict[str, LonLat] = {
    "Bạch Đằng": (105.8645, 21.0165), "Bách Khoa": (105.8465, 21.0045),
    "Bạch Mai": (105.8515, 21.0015), "Bùi Thị Xuân": (105.8490, 21.0160),
    "Cầu Dền": (105.8535, 21.0080), "Đống Mác": (105.8610, 21.0100),
    "Đồng Nhân": (105.8590, 21.0150), "Đồng Tâm": (105.8430, 20.9975),
    "Lê Đại Hành": (105.8470, 21.0115), "Minh Khai": (105.8615, 20.9960),
    "Ngô Thì Nhậm": (105.8515, 21.0200), "Nguyễn Du": (105.8465, 21.0195),
    "Phạm Đình Hổ": (105.8560, 21.0185), "Phố Huế": (105.8540, 21.0140),
    "Quỳnh Lôi": (105.8545, 20.9980), "Quỳnh Mai": (105.8590, 21.0015),
    "Thanh Lương": (105.8690, 21.0065), "Thanh Nhàn": (105.8555, 21.0050),
    "Trương Định": (105.8480, 20.9935), "Vĩnh Tuy": (105.8710, 20.9985),
}

# Streets of Long Biên by ward: civilized streets and the names of clearance projects.
LB_STREETS: dict[str, list[str]] = {
    "Bồ Đề": ["Bồ Đề", "Hồng Tiến", "Lâm Du", "Ái Mộ", "Hoàng Như Tiếp", "Phú Viên"],
    "Cự Khối": ["Cự Khối", "Bát Khối", "Ngõ 83 Cự Khối", "Ngõ 250 Bát Khối"],
    "Đức Giang": ["Đức Giang", "Ngô Gia Tự", "Trường Lâm", "Ngõ 562 Ngô Gia Tự",
                  "Ngõ 300 Đức Giang"],
    "Gia Thụy": ["Gia Thụy", "Nguyễn Sơn", "Ngõ 66 Gia Thụy", "Ngõ 218 Nguyễn Sơn"],
    "Giang Biên": ["Giang Biên", "Kẻ Tạnh", "Ngõ 35 Kẻ Tạnh", "Ngõ 2 Giang Biên"],
    "Long Biên": ["Long Biên 1", "Long Biên 2", "Tư Đình", "Lý Sơn", "Thạch Cầu"],
    "Ngọc Lâm": ["Ngọc Lâm", "Ngõ 88 Ngọc Lâm", "Ngõ 264 Ngọc Lâm", "Ngõ 73 Ngọc Lâm"],
    "Ngọc Thụy": ["Ngọc Thụy", "Gia Thượng", "Ngõ 279 Ngọc Thụy", "Ngõ 489 Ngọc Thụy"],
    "Phúc Đồng": ["Chu Huy Mân", "Mai Phúc", "Ngõ 21 Chu Huy Mân", "Ngõ 16 Mai Phúc"],
    "Phúc Lợi": ["Phúc Lợi", "Tân Thụy", "Ngõ 2 Phúc Lợi", "Ngõ 16 Tân Thụy"],
    "Sài Đồng": ["Sài Đồng", "Vũ Xuân Thiều", "Nguyễn Văn Linh", "Ngõ 6 Vũ Xuân Thiều",
                 "Ngõ 409 Nguyễn Văn Linh"],
    "Thạch Bàn": ["Thạch Bàn", "Cổ Linh", "Đàm Quang Trung", "Ngõ 137 Thạch Bàn"],
    "Thượng Thanh": ["Thượng Thanh", "Ngõ 129 Thượng Thanh", "Ngõ 231 Thượng Thanh",
                     "Ngõ 18 Thượng Thanh"],
    "Việt Hưng": ["Việt Hưng", "Đoàn Khuê", "Nguyễn Cao Luyện", "Vũ Đức Thận", "Hoa Lâm",
                  "Lệ Mật"],
}
NVC_LINE: list[LonLat] = [(105.8655, 21.0395), (105.8745, 21.0425), (105.8820, 21.0450)]

KIM_NGUU: list[LonLat] = [
    (105.8585, 21.0100), (105.8593, 21.0055), (105.8605, 21.0000), (105.8613, 20.9965),
    (105.8619, 20.9935),
]
THANH_NHAN: list[LonLat] = [(105.8510, 21.0032), (105.8547, 21.0035), (105.8585, 21.0039)]
RING_1: list[LonLat] = [
    (105.8405, 21.0070), (105.8490, 21.0087), (105.8515, 21.0090), (105.8598, 21.0108),
    (105.8665, 21.0128),
]
HBT_NO_PARKING: dict[str, list[LonLat]] = {
    "Bà Triệu": [(105.8512, 21.0220), (105.8503, 21.0180), (105.8495, 21.0135),
                 (105.8490, 21.0092)],
    "Phố Huế": [(105.8537, 21.0220), (105.8530, 21.0180), (105.8522, 21.0135),
                (105.8515, 21.0092)],
    "Bạch Mai": [(105.8515, 21.0090), (105.8512, 21.0050), (105.8508, 21.0000),
                 (105.8505, 20.9960)],
    "Trương Định": [(105.8505, 20.9960), (105.8490, 20.9935), (105.8475, 20.9912)],
    "Bùi Thị Xuân": [(105.8488, 21.0195), (105.8483, 21.0160), (105.8478, 21.0125)],
}
# name: (centre, semi-axes in metres, rotation in degrees, works, status, completed_on)
HBT_LAKES: dict[str, tuple[LonLat, tuple[float, float], float, str, str, date | None]] = {
    "Hồ Thiền Quang": ((105.8445, 21.0178), (120.0, 80.0), 20.0, "dredging", "completed",
                       date(2009, 11, 30)),
    "Hồ Quỳnh": ((105.8548, 21.0010), (70.0, 45.0), -15.0, "dredging", "completed",
                 date(2008, 12, 15)),
    "Hồ Hai Bà Trưng": ((105.8608, 21.0152), (45.0, 30.0), 35.0, "dredging", "completed",
                        date(2010, 6, 30)),
    "Hồ Quang Trung": ((105.8705, 20.9975), (60.0, 40.0), 10.0, "renovation", "completed",
                       date(2010, 9, 2)),
    "Hồ Công viên Tuổi trẻ Thủ đô": ((105.8650, 21.0035), (170.0, 110.0), 8.0, "embankment",
                                     "in_progress", None),
}

# ----------------------------------------------------------------------------- geometry


def vn(lon: float, lat: float) -> tuple[float, float]:
    """Transform (lon, lat) to VN-2000 (easting, northing)."""
    x, y = TO_VN.transform(lon, lat)
    return float(x), float(y)


def vn_line(points: Sequence[LonLat]) -> LineString:
    """A line given in lon/lat, in VN-2000."""
    return LineString([vn(*p) for p in points])


def vn_polygon(points: Sequence[LonLat]) -> Polygon:
    """A polygon given in lon/lat, in VN-2000."""
    return Polygon([vn(*p) for p in points])


def _round_coords(coords: np.ndarray) -> np.ndarray:
    """Coordinates rounded to 3 decimals exactly as Python's round() (and the files) do."""
    return np.array([round(v, 3) for v in coords.ravel().tolist()]).reshape(coords.shape)


def mm(geom: Any) -> Any:
    """The geometry (or array of geometries) with coordinates rounded to the millimetre."""
    return shapely.transform(geom, _round_coords)


def _to_lonlat(coords: np.ndarray) -> np.ndarray:
    """VN-2000 coordinates to lon/lat, with PROJ's EPSG datum shift."""
    lon, lat = TO_LL.transform(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def ground_areas(geoms: Sequence[BaseGeometry]) -> list[float]:
    """Areas on the WGS 84 ellipsoid, in square metres, of VN-2000 polygons."""
    lonlat = shapely.transform(np.asarray(geoms, dtype=object), _to_lonlat)
    return [abs(GEOD.geometry_area_perimeter(g)[0]) for g in lonlat]


def as_multi(geom: BaseGeometry) -> MultiPolygon | MultiLineString:
    """Polygons as a MultiPolygon, lines as a MultiLineString."""
    parts = list(getattr(geom, "geoms", [geom]))
    if all(isinstance(p, Polygon) for p in parts):
        return MultiPolygon([orient(p, 1.0) for p in parts if not p.is_empty])
    if all(isinstance(p, LineString) for p in parts):
        return MultiLineString([p for p in parts if not p.is_empty])
    raise ValueError(f"mixed geometry: {geom.geom_type}")


def tile_wards(outline: Polygon, seeds: dict[str, LonLat]) -> dict[str, MultiPolygon]:
    """Voronoi cells of the ward seeds clipped to the district outline, on a millimetre grid."""
    points = {name: Point(vn(*ll)) for name, ll in seeds.items()}
    for name, p in points.items():
        if not outline.contains(p):
            raise ValueError(f"ward seed outside its district: {name}")
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(points.values())),
                                     extend_to=outline.buffer(5000))
    wards: dict[str, MultiPolygon] = {}
    for name, p in points.items():
        cell = next(c for c in cells.geoms if c.contains(p))
        wards[name] = as_multi(shapely.intersection(mm(cell), outline, grid_size=0.001))
    return wards


def rand_point_in(rng: np.random.Generator, poly: BaseGeometry) -> tuple[float, float]:
    """A uniformly drawn point inside a polygon."""
    x0, y0, x1, y1 = poly.bounds
    for _ in range(10_000):
        x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        if poly.contains(Point(x, y)):
            return x, y
    raise RuntimeError("no point found inside polygon")


def blob(centre: tuple[float, float], axes: tuple[float, float], rotation_deg: float,
         rng: np.random.Generator, n: int = 48) -> Polygon:
    """A smooth lake-like shape: a wobbly ellipse."""
    phase = rng.uniform(0, 2 * math.pi, 2)
    a, b = axes
    rot = math.radians(rotation_deg)
    pts = []
    for k in range(n):
        t = 2 * math.pi * k / n
        r = 1 + 0.08 * math.sin(2 * t + phase[0]) + 0.05 * math.sin(3 * t + phase[1])
        u, v = a * r * math.cos(t), b * r * math.sin(t)
        pts.append((centre[0] + u * math.cos(rot) - v * math.sin(rot),
                    centre[1] + u * math.sin(rot) + v * math.cos(rot)))
    return Polygon(pts)


# ----------------------------------------------------------------------------- layouts


@dataclass
class Row:
    """A row of parcels along a project: (width, land user kind or None for a gap) items."""

    depth: float
    items: list[tuple[float, str | None]]


@dataclass
class Layout:
    """Rows of parcels inside a project rectangle, across its length."""

    rows: list[Row]
    gaps: list[float] = field(default_factory=list)
    slack: float = 0.0
    length: float | None = None

    def parcel_count(self) -> int:
        """Number of parcels in the layout."""
        return sum(1 for r in self.rows for _, kind in r.items if kind)

    def size(self, f: float) -> tuple[float, float]:
        """Length and width of the project rectangle with row depths scaled by f."""
        length = self.length or max(sum(w for w, _ in r.items) for r in self.rows) + 2 * MARGIN
        width = 2 * MARGIN + sum(r.depth * f for r in self.rows) + sum(self.gaps) + self.slack
        return length, width

    def planar_areas(self, f: float) -> list[float]:
        """Planar parcel areas, in layout order."""
        return [w * r.depth * f for r in self.rows for w, kind in r.items if kind]

    def kinds(self) -> list[str]:
        """Land user kinds of the parcels, in layout order."""
        return [kind for r in self.rows for _, kind in r.items if kind]

    def build(self, centre: tuple[float, float], angle: float, f: float
              ) -> tuple[Polygon, list[Polygon]]:
        """The project rectangle and its parcels, placed and rotated, in VN-2000."""
        length, width = self.size(f)
        c, s = math.cos(angle), math.sin(angle)
        cx, cy = centre

        def at(u: float, v: float) -> tuple[float, float]:
            """Layout coordinates (along, across) to VN-2000."""
            du, dv = u - length / 2, v - width / 2
            return cx + c * du - s * dv, cy + s * du + c * dv

        project = Polygon([at(0, 0), at(length, 0), at(length, width), at(0, width)])
        parcels: list[Polygon] = []
        v0 = MARGIN
        for i, row in enumerate(self.rows):
            v1 = v0 + row.depth * f
            u = (length - sum(w for w, _ in row.items)) / 2
            for w, kind in row.items:
                u1 = u + w
                if kind:
                    parcels.append(Polygon([at(u, v0), at(u1, v0), at(u1, v1), at(u, v1)]))
                u = u1
            v0 = v1 + (self.gaps[i] if i < len(self.gaps) else 0.0)
        return project, parcels


def row_of(rng: np.random.Generator, n: int, depth: float, widths: tuple[float, float],
           org_p: float = 0.0, skip_p: float = 0.0) -> Row:
    """A row of n parcels with drawn widths, some for organisations, some gaps between."""
    items: list[tuple[float, str | None]] = []
    while len(items) - sum(1 for _, k in items if k is None) < n:
        if items and rng.random() < skip_p:
            items.append((round(float(rng.uniform(6, 20)), 2), None))
        elif rng.random() < org_p:
            items.append((round(float(rng.uniform(15, 32)), 2), "organisation"))
        else:
            items.append((round(float(rng.uniform(*widths)), 2), "household"))
    return Row(round(depth, 2), items)


def fill_row(rng: np.random.Generator, length: float, depth: float, widths: tuple[float, float],
             org_p: float = 0.0, skip_p: float = 0.0) -> Row:
    """A row of parcels filling a given length."""
    items: list[tuple[float, str | None]] = []
    used = 0.0
    while True:
        if items and rng.random() < skip_p:
            item: tuple[float, str | None] = (round(float(rng.uniform(8, 30)), 2), None)
        elif rng.random() < org_p:
            item = (round(float(rng.uniform(15, 32)), 2), "organisation")
        else:
            item = (round(float(rng.uniform(*widths)), 2), "household")
        if used + item[0] > length:
            break
        items.append(item)
        used += item[0]
    while items and items[-1][1] is None:
        items.pop()
    return Row(round(depth, 2), items)


def split(n: int, parts: int) -> list[int]:
    """n split into nearly equal parts."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def lb_layout(rng: np.random.Generator, kind: str, n: int) -> Layout:
    """A Long Biên project's parcel layout for its kind and parcel count."""
    u = rng.uniform
    if kind == "road":
        a, b = split(n, 2)
        return Layout([row_of(rng, a, float(u(12, 20)), (5, 10), 0.06, 0.05),
                       row_of(rng, b, float(u(12, 20)), (5, 10), 0.06, 0.05)],
                      [round(float(u(4, 9)), 2)])
    if kind == "alley":
        a, b = split(n, 2)
        return Layout([row_of(rng, a, float(u(3, 6)), (4, 7)),
                       row_of(rng, b, float(u(3, 6)), (4, 7))], [round(float(u(2, 4)), 2)])
    if kind == "site":
        return Layout([row_of(rng, n, float(u(15, 25)), (6, 14), 0.12)],
                      slack=round(float(u(20, 45)), 2))
    if kind == "housing":
        a, b = split(n, 2)
        return Layout([row_of(rng, a, float(u(14, 22)), (6, 12), 0.1),
                       row_of(rng, b, float(u(14, 22)), (6, 12), 0.1)],
                      [round(float(u(1.5, 3)), 2)], slack=round(float(u(10, 30)), 2))
    raise ValueError(kind)


# ----------------------------------------------------------------------------- projects


@dataclass
class Plan:
    """A clearance project being generated, with its parcels' intended stages."""

    district: str
    kind: str
    funding: str
    status: str
    started_on: date | None
    target_date: date | None
    completed_on: date | None
    layout: Layout
    tags: list[str] = field(default_factory=list)
    ward: str = ""
    is_key: bool = False
    has_complaints: bool = False
    name: str = ""
    code: str = ""
    centre: tuple[float, float] = (0.0, 0.0)
    angle: float = 0.0
    window: tuple[date, date] | None = None
    f: float = 1.0
    snapshot: date = LB_SNAPSHOT
    geom: Polygon | None = None
    parcels: list[dict[str, Any]] = field(default_factory=list)


def rand_date(rng: np.random.Generator, lo: date, hi: date) -> date:
    """A uniformly drawn date in [lo, hi]."""
    if hi < lo:
        raise ValueError(f"empty date range {lo}..{hi}")
    return lo + timedelta(days=int(rng.integers(0, (hi - lo).days + 1)))


def allocate(total: int, weights: Sequence[float], caps: Sequence[int]) -> list[int]:
    """Split an integer total in proportion to weights, each share within its cap."""
    w = np.asarray(weights, dtype=float)
    cap = np.asarray(caps, dtype=int)
    out = np.zeros(len(w), dtype=int)
    remaining = total
    while remaining > 0:
        free = (out < cap) & (w > 0)
        if not free.any():
            raise ValueError("caps too small for the total")
        share = np.where(free, w, 0.0)
        share = share / share.sum() * remaining
        add = np.minimum(np.floor(share).astype(int), cap - out)
        if add.sum() == 0:
            add[int(np.argmax(np.where(free, share, -1.0)))] = 1
        out += add
        remaining -= int(add.sum())
    return out.tolist()


D = timedelta


def parcel_record(rng: np.random.Generator, plan: Plan, tag: str) -> dict[str, Any]:
    """Stage and dates of one compensation plan, from its tag and its project's schedule."""
    start = plan.started_on
    assert start is not None
    cap = plan.completed_on or plan.snapshot
    rec: dict[str, Any] = dict.fromkeys(
        ["drafted_on", "published_on", "approved_on", "paid_on", "handed_over_on"])
    if tag in ("h1", "h2", "appr"):
        lo, hi = {"h1": (H1_FROM, H1_TO), "h2": (date(2022, 7, 1), date(2022, 12, 15))
                  }.get(tag, plan.window or (start, cap))
        if plan.completed_on:
            hi = min(hi, plan.completed_on - D(20))
        approved = rand_date(rng, max(lo, start + D(45)), hi)
        published = rand_date(rng, max(start + D(15), approved - D(150)), approved - D(10))
        drafted = rand_date(rng, max(start, published - D(90)), published - D(5))
        if plan.completed_on:
            status = "handed_over"
        else:
            status = str(rng.choice(["approved", "paid", "handed_over"], p=[0.2, 0.35, 0.45]))
        rec.update(drafted_on=drafted, published_on=published, approved_on=approved)
        if status in ("paid", "handed_over"):
            rec["paid_on"] = min(approved + D(int(rng.integers(5, 60))), cap)
        if status == "handed_over":
            rec["handed_over_on"] = min(rec["paid_on"] + D(int(rng.integers(3, 45))), cap)
    elif tag == "pub":
        published = rand_date(rng, start + D(15), cap)
        rec.update(drafted_on=rand_date(rng, max(start, published - D(90)), published - D(5)),
                   published_on=published)
        status = "published"
    elif tag == "draft":
        lo, hi = plan.window if plan.status == "planned" and plan.window else (start, cap)
        rec["drafted_on"] = rand_date(rng, lo, hi)
        status = "drafted"
    else:
        raise ValueError(tag)
    rec["status"] = status
    return rec


def lb_plans(rng: np.random.Generator) -> list[Plan]:
    """Long Biên's clearance projects: 64 carried out in H1 2022 and a few outside the period."""
    plans: list[Plan] = []

    def add(kind: str, funding: str, status: str, start: date, target: date,
            done: date | None, n: int, **kw: Any) -> Plan:
        """Add a project with a layout of n parcels."""
        plan = Plan(LB, kind, funding, status, start, target, done, lb_layout(rng, kind, n), **kw)
        plans.append(plan)
        return plan

    # Two completed ahead of schedule and one completed late, every plan approved in H1 2022.
    add("site", "budget", "completed", date(2021, 3, 15), date(2022, 6, 30), date(2022, 4, 22),
        14, tags=["h1"] * 14)
    add("road", "budget", "completed", date(2021, 6, 1), date(2022, 9, 30), date(2022, 6, 10),
        22, tags=["h1"] * 22, is_key=True)
    add("alley", "budget", "completed", date(2020, 5, 10), date(2021, 12, 31), date(2022, 3, 25),
        9, tags=["h1"] * 9)
    fixed = 14 + 22 + 9
    # Four suspended, nothing approved.
    for kind, funding in [("road", "budget"), ("housing", "non_budget"), ("site", "budget"),
                          ("alley", "budget")]:
        n = int(rng.integers(10, 31))
        start = rand_date(rng, date(2020, 1, 1), date(2021, 9, 30))
        p = add(kind, funding, "suspended", start, start + D(int(rng.integers(540, 1100))), None,
                n, has_complaints=kind != "site")
        p.tags = [("pub" if rng.random() < 0.5 else "draft") for _ in range(n)]
        fixed += n
    # Fifty-seven in progress.
    kinds = ["road"] * 21 + ["alley"] * 16 + ["site"] * 16 + ["housing"] * 4
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    nominal = {"road": (15, 60), "alley": (8, 40), "site": (4, 20), "housing": (10, 40)}
    weights = [float(rng.uniform(*nominal[k])) for k in kinds]
    counts = [c + 4 for c in allocate(TARGET["plans_total"] - fixed - 4 * len(kinds), weights,
                                      [10_000] * len(kinds))]
    starts = [rand_date(rng, date(2019, 6, 1), date(2021, 12, 31)) for _ in range(45)]
    starts += [rand_date(rng, date(2022, 1, 5), date(2022, 6, 10)) for _ in range(12)]
    starts = [starts[i] for i in rng.permutation(len(starts))]
    eligible = [s <= date(2022, 3, 1) for s in starts]
    h1 = allocate(TARGET["plans_approved"] - 45,
                  [c * float(rng.uniform(0.2, 0.8)) if e else 0.0
                   for c, e in zip(counts, eligible, strict=True)],
                  [c - 1 for c in counts])
    h2 = allocate(170, [(c - a) * float(rng.uniform(0.1, 0.5)) for c, a in zip(counts, h1,
                                                                                 strict=True)],
                  [c - a for c, a in zip(counts, h1, strict=True)])
    key_left, complaints_left = 4, 5
    for kind, n, start, a, b in zip(kinds, counts, starts, h1, h2, strict=True):
        rest = n - a - b
        n_pub = int(round(rest * float(rng.uniform(0.3, 0.7))))
        tags = ["h1"] * a + ["h2"] * b + ["pub"] * n_pub + ["draft"] * (rest - n_pub)
        tags = [tags[i] for i in rng.permutation(n)]
        is_key = kind == "road" and n > 35 and key_left > 0
        key_left -= is_key
        complaints = bool(complaints_left > 0 and rng.random() < 0.15)
        complaints_left -= complaints
        funding = "non_budget" if kind == "housing" else "budget"
        add(kind, funding, "in_progress", start, start + D(int(rng.integers(500, 1200))), None, n,
            tags=tags, is_key=is_key, has_complaints=complaints)
    # Outside the period: completed in 2021, planned for 2023, started in the second half of 2022.
    for kind, start, done, target in [("site", date(2019, 9, 1), date(2021, 4, 20),
                                       date(2021, 6, 30)),
                                      ("alley", date(2020, 2, 15), date(2021, 8, 31),
                                       date(2021, 6, 30)),
                                      ("road", date(2019, 11, 1), date(2021, 11, 15),
                                       date(2021, 12, 31))]:
        n = int(rng.integers(8, 21))
        add(kind, "budget", "completed", start, target, done, n, tags=["appr"] * n,
            window=(start + D(60), done))
    for kind, start, target in [("road", date(2023, 3, 1), date(2024, 12, 31)),
                                ("site", date(2023, 5, 15), date(2024, 6, 30))]:
        n = 10 if kind == "road" else 6
        add(kind, "budget", "planned", start, target, None, n, tags=["draft"] * n,
            window=(date(2022, 10, 1), date(2022, 12, 20)))
    add("road", "budget", "in_progress", date(2022, 8, 15), date(2024, 6, 30), None, 18,
        tags=["h2"] * 6 + ["pub"] * 8 + ["draft"] * 4)
    for p in plans:
        assert len(p.tags) == p.layout.parcel_count(), (p.kind, len(p.tags))
    return plans


def place_plans(rng: np.random.Generator, plans: list[Plan], wards: dict[str, MultiPolygon],
                district: Polygon, f: float, ward_order: list[str]) -> None:
    """Give each project a ward, a centre and an angle, inside the district, apart from others."""
    inside = district.buffer(-15)
    placed: list[Polygon] = []
    for plan, ward in zip(plans, ward_order, strict=True):
        plan.ward, plan.f = ward, f
        core = wards[ward].buffer(-30)
        for _ in range(5000):
            centre = rand_point_in(rng, core)
            angle = float(rng.uniform(0, math.pi))
            rect, _ = plan.layout.build(centre, angle, f)
            if inside.contains(rect) and not any(rect.buffer(30).intersects(o) for o in placed):
                break
        else:
            raise RuntimeError(f"cannot place a project in {ward}")
        plan.centre, plan.angle = centre, angle
        placed.append(rect)


def ward_at(wards: dict[str, MultiPolygon], x: float, y: float) -> str:
    """Name of the ward holding a point."""
    p = Point(x, y)
    return next(name for name, g in wards.items() if g.contains(p))


def name_lb_plans(rng: np.random.Generator, plans: list[Plan],
                  wards: dict[str, MultiPolygon]) -> None:
    """Plausible Vietnamese names from each project's kind and ward."""
    used: set[str] = set()
    sites = ["Trường THCS {w}", "Trường Mầm non {w}", "Trường Tiểu học {w}",
             "Trạm y tế phường {w}", "Nhà văn hóa tổ dân phố {n} phường {w}",
             "Vườn hoa, sân chơi tổ dân phố {n} phường {w}", "Bãi đỗ xe tập trung phường {w}",
             "Trụ sở Công an phường {w}", "Trường Mầm non {w} cơ sở 2",
             "Nhà văn hóa phường {w}"]
    housing = ["Khu nhà ở thấp tầng phường {w}", "Khu đô thị mới phường {w}",
               "Khu nhà ở xã hội phường {w}", "Trung tâm thương mại phường {w}",
               "Khu nhà ở tái định cư phường {w}"]
    for plan in plans:
        ward = ward_at(wards, *plan.centre)
        streets = [s for s in LB_STREETS[ward] if not s.startswith("Ngõ")]
        for _ in range(200):
            street = streets[int(rng.integers(len(streets)))]
            n = int(rng.integers(2, 40))
            if plan.kind == "road":
                options = [f"Cải tạo, mở rộng đường {street}",
                           f"Xây dựng tuyến đường quy hoạch {int(rng.choice([13, 17, 22, 30, 40]))}"
                           f" m phường {ward}",
                           f"Đường {street} kéo dài"]
                name = options[int(rng.integers(len(options)))]
            elif plan.kind == "alley":
                name = f"Mở rộng ngõ {int(rng.integers(2, 600))} {street}"
            elif plan.kind == "site":
                name = sites[int(rng.integers(len(sites)))].format(w=ward, n=n)
            else:
                name = housing[int(rng.integers(len(housing)))].format(w=ward)
            if name not in used:
                break
        else:
            raise RuntimeError("no free project name")
        used.add(name)
        plan.name = name


Place = tuple[tuple[float, float], float, float]


def strip(p0: LonLat, p1: LonLat) -> Place:
    """Centre (VN-2000), angle and length of a project rectangle along a segment."""
    (x0, y0), (x1, y1) = vn(*p0), vn(*p1)
    return ((x0 + x1) / 2, (y0 + y1) / 2), math.atan2(y1 - y0, x1 - x0), math.hypot(x1 - x0,
                                                                                    y1 - y0)


def block(centre: LonLat, angle_deg: float, length: float) -> Place:
    """Centre (VN-2000), angle and length of a project rectangle around a point."""
    return vn(*centre), math.radians(angle_deg), length


@dataclass
class HbtProject:
    """A Hai Bà Trưng clearance project as specified: schedule, place and rows of parcels."""

    name: str
    funding: str
    status: str
    start: date
    target: date
    key: bool
    complaints: bool
    place: Place
    rows: list[tuple[float, float]]  # (depth, chance of a gap between parcels)
    gaps: list[float]
    widths: tuple[float, float]
    slack: float = 0.0


HBT_PROJECTS = [
    HbtProject("Xây dựng đường Thanh Nhàn", "budget", "in_progress", date(2011, 6, 15),
               date(2014, 12, 31), True, False, strip((105.8522, 21.0033), (105.8574, 21.0037)),
               [(8.0, 0.0), (7.0, 0.0)], [14.0], (4, 8)),
    HbtProject("Đường Vành đai 1 đoạn Ô Đống Mác – Nguyễn Khoái", "budget", "in_progress",
               date(2012, 3, 1), date(2015, 12, 31), True, True,
               strip((105.8602, 21.0111), (105.8662, 21.0127)),
               [(14.0, 0.15), (12.0, 0.15)], [20.0], (4, 9)),
    HbtProject("Tôn tạo cụm di tích chùa Thiền Quang – Quan Hoa – Pháp Hoa", "budget",
               "in_progress", date(2013, 4, 1), date(2015, 6, 30), False, False,
               block((105.8470, 21.0160), 12, 95.0), [(12.0, 0.0)], [], (4, 8), slack=55.0),
    HbtProject("Công viên Tuổi trẻ Thủ đô", "budget", "suspended", date(2011, 9, 1),
               date(2013, 12, 31), True, True, block((105.8650, 21.0035), 8, 480.0),
               [(14.0, 0.3), (12.0, 0.3)], [300.0], (5, 10)),
    HbtProject("Thoát nước nhằm cải tạo môi trường Hà Nội giai đoạn II", "budget", "in_progress",
               date(2011, 1, 10), date(2015, 12, 31), True, False, strip(KIM_NGUU[1], KIM_NGUU[2]),
               [(16.0, 0.1), (16.0, 0.1)], [26.0], (4, 9)),
    HbtProject("Cải tạo, xây dựng lại chung cư cũ Nguyễn Công Trứ", "non_budget", "in_progress",
               date(2014, 5, 1), date(2017, 12, 31), False, True,
               block((105.8560, 21.0160), 5, 110.0), [(14.0, 0.0), (14.0, 0.0)], [30.0], (4, 7)),
]


def hbt_plans(rng: np.random.Generator) -> list[Plan]:
    """Hai Bà Trưng's clearance projects named in the 2011–2015 programme."""
    plans = []
    for seq, s in enumerate(sorted(HBT_PROJECTS, key=lambda s: s.start), start=1):
        centre, angle, length = s.place
        rows = [fill_row(rng, length - 2 * MARGIN, d, s.widths, 0.05, skip) for d, skip in s.rows]
        layout = Layout(rows, s.gaps, s.slack, length)
        n = layout.parcel_count()
        n_appr = int(round(n * (0.3 + 0.5 * float(rng.beta(2.0, 2.0)))))
        n_pub = int(round((n - n_appr) * float(rng.uniform(0.3, 0.7))))
        tags = ["appr"] * n_appr + ["pub"] * n_pub + ["draft"] * (n - n_appr - n_pub)
        tags = [tags[i] for i in rng.permutation(n)]
        plans.append(Plan(HBT, "hbt", s.funding, s.status, s.start, s.target, None, layout,
                          tags=tags, is_key=s.key, has_complaints=s.complaints, name=s.name,
                          code=f"HBT-{s.start.year}-{seq:03d}", centre=centre, angle=angle,
                          window=(s.start + D(60), date(2015, 10, 31)), snapshot=HBT_SNAPSHOT))
    return plans


def build_geometries(plans: Iterable[Plan]) -> None:
    """Project and parcel polygons of each plan, rounded to the millimetre."""
    for plan in plans:
        rect, parcels = plan.layout.build(plan.centre, plan.angle, plan.f)
        plan.geom = mm(rect)
        for rec, poly in zip(plan.parcels, parcels, strict=True):
            rec["geom"] = mm(poly)


def approved_h1(plans: Iterable[Plan]) -> list[dict[str, Any]]:
    """Long Biên parcels of projects carried out in H1 2022, approved in H1 2022."""
    return [r for p in plans if p.district == LB and carried_out(p, H1_FROM, H1_TO)
            for r in p.parcels if r["approved_on"] and H1_FROM <= r["approved_on"] <= H1_TO]


def carried_out(p: Plan, lo: date, hi: date) -> bool:
    """Whether a project is carried out in a period (the report's definition)."""
    return bool(p.started_on and p.started_on <= hi
                and (p.completed_on is None or p.completed_on >= lo))


def set_compensation(rng: np.random.Generator, plans: list[Plan]) -> None:
    """Amounts of approved plans: area times a drawn unit price, H1 2022 summing to the target."""
    for p in plans:
        median = 4.2e6 if p.district == LB else 32e6
        areas = ground_areas([r["geom"] for r in p.parcels])
        for r, area in zip(p.parcels, areas, strict=True):
            price = median * float(rng.lognormal(0.0, 0.5))
            r["raw_vnd"] = area * price if r["approved_on"] else 0.0
    target = approved_h1(plans)
    k = TARGET["compensation_vnd"] / sum(r["raw_vnd"] for r in target)
    for p in plans:
        for r in p.parcels:
            scale = k if p.district == LB else 1.0
            r["compensation_vnd"] = int(round(r.pop("raw_vnd") * scale / 1000)) * 1000
    residual = TARGET["compensation_vnd"] - sum(r["compensation_vnd"] for r in target)
    max(target, key=lambda r: (r["compensation_vnd"], r["code"]))["compensation_vnd"] += residual


# ----------------------------------------------------------------------------- lines


def offset(line: LineString, distance: float) -> LineString:
    """A parallel line, left of the direction of travel when the distance is positive."""
    return shapely.offset_curve(line, distance, join_style="mitre", mitre_limit=5.0)


def red_lines() -> list[tuple[str, str, str, str, MultiLineString]]:
    """Red lines as (district, road, plan reference, marker code prefix, lines)."""
    hbt = vn_polygon(HBT_OUTLINE)
    lb = vn_polygon(LB_OUTLINE)
    river = vn_line(KIM_NGUU)
    ref_h13 = "QHPK H1-3 1/2000, QĐ 2011/QĐ-UBND (minh họa)"
    out = []
    for road, sign, code in [("Kim Ngưu (bờ tây)", -1, "KNT"), ("Kim Ngưu (bờ đông)", 1, "KND")]:
        lines = MultiLineString([offset(river, sign * 12.0), offset(river, sign * 32.0)])
        out.append((HBT, road, ref_h13, code, lines))
    for road, pts, half, code in [("Thanh Nhàn", THANH_NHAN, 17.5, "TN"),
                                  ("Vành đai 1", RING_1, 25.0, "VD1")]:
        line = vn_line(pts)
        out.append((HBT, road, ref_h13, code,
                    MultiLineString([offset(line, half), offset(line, -half)])))
    nvc = vn_line(NVC_LINE)
    out.append((LB, "Nguyễn Văn Cừ", "QHPK N10 1/2000, QĐ 2022/QĐ-UBND (minh họa)", "NVC",
                MultiLineString([offset(nvc, 22.5), offset(nvc, -22.5)])))
    clipped = []
    for district, road, ref, code, lines in out:
        outline = hbt if district == HBT else lb
        clipped.append((district, road, ref, code, as_multi(mm(lines.intersection(outline)))))
    return clipped


def markers(rng: np.random.Generator, lines: list[tuple[str, str, str, str, MultiLineString]]
            ) -> list[dict[str, Any]]:
    """Red-line markers every 50 m along each red line."""
    rows = []
    for district, road, _, code, geom in lines:
        seq = 0
        years = (date(2011, 9, 1), date(2015, 6, 30)) if district == HBT else (
            date(2021, 3, 1), date(2022, 11, 30))
        for part in geom.geoms:
            for d in np.arange(0.0, part.length + 1e-6, 50.0):
                seq += 1
                p = part.interpolate(float(d))
                status = str(rng.choice(["planted", "planned", "lost", "replaced"],
                                        p=[0.62, 0.2, 0.08, 0.1]))
                surveyed = None if status == "planned" else rand_date(rng, *years)
                rows.append({"code": f"{code}-{seq:03d}", "district": district, "road": road,
                             "status": status, "surveyed_on": surveyed,
                             "x": round(p.y, 3), "y": round(p.x, 3)})
    return rows


def street_in(rng: np.random.Generator, ward: BaseGeometry, length: float) -> LineString:
    """A bent street line of about the given length inside a ward."""
    core = ward.buffer(-40)
    for attempt in range(2000):
        ln = length if attempt < 1000 else length / 2
        x, y = rand_point_in(rng, core)
        a = float(rng.uniform(0, 2 * math.pi))
        b = a + float(rng.uniform(-0.4, 0.4))
        l1 = ln * float(rng.uniform(0.4, 0.6))
        x1, y1 = x + l1 * math.cos(a), y + l1 * math.sin(a)
        line = LineString([(x, y), (x1, y1), (x1 + (ln - l1) * math.cos(b),
                                              y1 + (ln - l1) * math.sin(b))])
        if core.contains(line):
            return line
    raise RuntimeError("cannot fit a street")


def ward_of_line(wards: dict[str, MultiPolygon], line: BaseGeometry) -> str:
    """The ward holding the longest part of a line."""
    return max(wards, key=lambda name: (line.intersection(wards[name]).length, name))


def civilized_streets(rng: np.random.Generator, lb_wards: dict[str, MultiPolygon],
                      hbt_wards: dict[str, MultiPolygon]) -> list[dict[str, Any]]:
    """Long Biên's civilized streets and Hai Bà Trưng's no-parking, no-vending streets."""
    rows: list[dict[str, Any]] = []
    names = [(ward, street) for ward, streets in LB_STREETS.items() for street in streets]
    assert len(names) == 63, len(names)
    planned = {int(i) for i in rng.choice(len(names), 13, replace=False)}
    special = as_multi(mm(vn_line(NVC_LINE)))
    rows.append({"name": "Long Biên – Nguyễn Văn Cừ", "district": LB,
                 "ward": ward_of_line(lb_wards, special), "kind": "civilized",
                 "year_recognised": 2022, "status": "planned", "geom": special})
    for i, (ward, street) in enumerate(names):
        line = street_in(rng, lb_wards[ward], float(rng.uniform(250, 800)))
        if i in planned:
            year, status = 2022, "planned"
        else:
            year = int(rng.integers(2015, 2022))
            status = "maintained" if year <= 2019 or rng.random() < 0.4 else "recognised"
        rows.append({"name": street, "district": LB, "ward": ward, "kind": "civilized",
                     "year_recognised": year, "status": status, "geom": as_multi(mm(line))})
    outline = vn_polygon(HBT_OUTLINE)
    for name, pts in HBT_NO_PARKING.items():
        geom = as_multi(mm(vn_line(pts).intersection(outline)))
        rows.append({"name": name, "district": HBT, "ward": ward_of_line(hbt_wards, geom),
                     "kind": "no_parking_no_vending", "year_recognised": int(rng.integers(2011,
                                                                                          2014)),
                     "status": "maintained", "geom": geom})
    return rows


# ----------------------------------------------------------------------------- history

STEPS = ["drafted", "published", "approved", "paid", "handed_over"]
EVENT_COLUMNS = ["entity", "code", "from_status", "to_status", "effective_on", "recorded_at",
                 "recorded_by", "note"]
OFFICES = {LB: ("UBND quận Long Biên", "Trung tâm Phát triển quỹ đất quận Long Biên"),
           HBT: ("UBND quận Hai Bà Trưng", "Ban Bồi thường, giải phóng mặt bằng quận Hai Bà Trưng")}


def status_events(plans: list[Plan]) -> list[dict[str, Any]]:
    """The month-by-month status history behind each project's and plan's current state."""
    rng = np.random.default_rng([SEED, 3])
    decisions: dict[tuple[str, int], int] = {}
    rows: list[dict[str, Any]] = []

    def add(entity: str, code: str, prev: str | None, to: str, day: date, by: str,
            note: str = "") -> str:
        """Append one event, recorded a few working hours or days after it took effect."""
        at = datetime(day.year, day.month, day.day, int(rng.integers(8, 17)),
                      int(rng.integers(0, 60)), tzinfo=HANOI_TZ)
        at += timedelta(days=int(rng.choice([0, 0, 0, 1, 1, 2, 3, 5])))
        rows.append({"entity": entity, "code": code, "from_status": prev, "to_status": to,
                     "effective_on": day, "recorded_at": at, "recorded_by": by, "note": note})
        return to

    for p in sorted(plans, key=lambda p: p.code):
        assert p.started_on is not None
        council, centre = OFFICES[p.district]
        snapshot = p.snapshot
        steps = [r[f"{s}_on"] for r in p.parcels for s in STEPS if r[f"{s}_on"]]
        first_draft = min(r["drafted_on"] for r in p.parcels)
        planned_on = p.started_on - D(int(rng.integers(60, 300)))
        if p.status == "planned":
            planned_on = first_draft - D(int(rng.integers(20, 90)))
        prev = add("project", p.code, None, "planned", planned_on, council,
                   "Phê duyệt kế hoạch thu hồi đất, GPMB (minh họa)")
        if p.status != "planned":
            prev = add("project", p.code, prev, "in_progress", p.started_on, council,
                       "Triển khai công tác GPMB")
        if p.status == "completed":
            assert p.completed_on is not None
            add("project", p.code, prev, "completed", p.completed_on, council,
                "Hoàn thành GPMB, bàn giao mặt bằng cho chủ đầu tư")
        elif p.status == "suspended":
            day = min(max(steps) + D(int(rng.integers(5, 40))), snapshot)
            add("project", p.code, prev, "suspended", day, council,
                "Tạm dừng: vướng mắc về nguồn gốc đất, chờ giải quyết đơn thư (minh họa)")
        for r in sorted(p.parcels, key=lambda r: r["code"]):
            prev_step: str | None = None
            for step in STEPS:
                day = r[f"{step}_on"]
                if day is None:
                    break
                note = ""
                if step == "approved":
                    key = (p.district, day.year)
                    decisions[key] = decisions.get(key, 0) + 1
                    note = f"QĐ phê duyệt phương án số {1000 + decisions[key]}/QĐ-UBND (minh họa)"
                prev_step = add("plan", r["code"], prev_step, step, day, centre, note)
    return rows


def write_events(path: Path, rows: list[dict[str, Any]]) -> int:
    """Write the status history as CSV, each entity's events in the order they took effect."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(EVENT_COLUMNS)
        for r in rows:
            w.writerow([r["entity"], r["code"], r["from_status"] or "", r["to_status"],
                        r["effective_on"].isoformat(), r["recorded_at"].isoformat(),
                        r["recorded_by"], r["note"]])
    return len(rows)


def replay(events: Any, day: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """The state of each entity on a day, replaying the events (the database's definition)."""
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events[events["effective_on"] <= day].itertuples():
        s = state.setdefault((e.entity, e.code), {"status": None, "completed_on": None})
        s["status"] = e.to_status
        if e.entity == "project":
            s["completed_on"] = e.effective_on if e.to_status == "completed" else None
        else:
            for step in STEPS[:STEPS.index(e.to_status) + 1]:
                s.setdefault(f"{step}_on", e.effective_on)
    return state


# ----------------------------------------------------------------------------- output


def _coords(geom: BaseGeometry) -> list[Any]:
    """GeoJSON coordinates of a Multi* geometry, rounded to the millimetre."""

    def ring(cs: Iterable[Sequence[float]]) -> list[list[float]]:
        """A ring or line's coordinates."""
        return [[round(float(x), 3), round(float(y), 3)] for x, y, *_ in cs]

    if isinstance(geom, MultiPolygon):
        return [[ring(p.exterior.coords), *(ring(i.coords) for i in p.interiors)]
                for p in geom.geoms]
    if isinstance(geom, MultiLineString):
        return [ring(ln.coords) for ln in geom.geoms]
    raise ValueError(geom.geom_type)


def _json_value(v: Any) -> Any:
    """Dates as ISO strings, other values as they are."""
    return v.isoformat() if isinstance(v, date) else v


def write_geojson(path: Path, layer: str, features: Iterable[tuple[dict[str, Any], BaseGeometry]]
                  ) -> int:
    """Write a FeatureCollection in VN-2000, one feature per line; return the feature count."""
    lines = []
    for props, geom in features:
        if geom.is_empty or not geom.is_valid:
            raise ValueError(f"{layer}: invalid geometry for {props}")
        feature = {"type": "Feature",
                   "properties": {k: _json_value(v) for k, v in props.items()},
                   "geometry": {"type": geom.geom_type, "coordinates": _coords(geom)}}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "name": layer, "crs": CRS_MEMBER},
                      ensure_ascii=False, separators=(",", ":"))[:-1]
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n")
    return len(lines)


def write_markers(path: Path, rows: list[dict[str, Any]]) -> int:
    """Write the markers' CSV (x = northing, y = easting, as on Vietnamese survey sheets)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "district", "road", "status", "surveyed_on", "x", "y"])
        for r in sorted(rows, key=lambda r: r["code"]):
            w.writerow([r["code"], r["district"], r["road"], r["status"],
                        r["surveyed_on"].isoformat() if r["surveyed_on"] else "",
                        f"{r['x']:.3f}", f"{r['y']:.3f}"])
    return len(rows)


# ----------------------------------------------------------------------------- generate


def tune_depths(plans: list[Plan], f: float) -> float:
    """Scale Long Biên row depths until H1 2022's approved parcels measure the target area."""
    for _ in range(6):
        for p in plans:
            if p.district == LB:
                p.f = f
        build_geometries(plans)
        area = sum(ground_areas([r["geom"] for r in approved_h1(plans)]))
        if abs(area - TARGET["recovered_m2"]) < AREA_TOLERANCE_M2 / 10:
            return f
        f *= TARGET["recovered_m2"] / area
    raise RuntimeError("recovered area did not converge")


def generate(out: Path) -> dict[str, int]:
    """Generate every sample file into `out`; return feature counts per file."""
    rng = np.random.default_rng(SEED)
    lb_outline, hbt_outline = mm(vn_polygon(LB_OUTLINE)), mm(vn_polygon(HBT_OUTLINE))
    lb_wards = tile_wards(lb_outline, LB_WARDS)
    hbt_wards = tile_wards(hbt_outline, HBT_WARDS)

    lb = lb_plans(rng)
    others = [w for w in LB_WARDS if w != "Bồ Đề"]
    order = ["Bồ Đề"] * 8 + [others[i % len(others)] for i in range(len(lb) - 8)]
    order = [order[i] for i in rng.permutation(len(order))]
    h1_planar = sum(a for p in lb for a, t in zip(p.layout.planar_areas(1.0), p.tags,
                                                  strict=True) if t == "h1")
    f0 = TARGET["recovered_m2"] / h1_planar
    place_plans(rng, lb, lb_wards, lb_outline, f0, order)
    lb.sort(key=lambda p: (p.started_on or date.max, p.centre))
    for seq, p in enumerate(lb, start=1):
        assert p.started_on is not None
        p.code = f"LB-{p.started_on.year}-{seq:03d}"
    name_lb_plans(rng, lb, lb_wards)
    hbt = hbt_plans(rng)
    plans = lb + hbt
    for p in plans:
        p.parcels = [parcel_record(rng, p, t) for t in p.tags]
        for i, (rec, kind) in enumerate(zip(p.parcels, p.layout.kinds(), strict=True), start=1):
            rec["code"], rec["land_user_kind"] = f"{p.code}-P{i:03d}", kind
    f = tune_depths(plans, f0)
    set_compensation(rng, plans)

    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    wards = [({"district": d, "name": n}, g) for d, ws in [(LB, lb_wards), (HBT, hbt_wards)]
             for n, g in sorted(ws.items())]
    counts["wards"] = write_geojson(out / "wards.geojson", "wards", wards)
    plans.sort(key=lambda p: p.code)
    counts["projects"] = write_geojson(out / "projects.geojson", "projects", (
        ({"code": p.code, "name": p.name, "district": p.district, "funding": p.funding,
          "is_key": p.is_key, "has_complaints": p.has_complaints, "status": p.status,
          "started_on": p.started_on, "target_date": p.target_date,
          "completed_on": p.completed_on}, as_multi(p.geom)) for p in plans))
    parcel_keys = ["code", "project_code", "land_user_kind", "status", "drafted_on",
                   "published_on", "approved_on", "paid_on", "handed_over_on", "compensation_vnd"]
    counts["parcels"] = write_geojson(out / "parcels.geojson", "parcels", (
        ({k: (p.code if k == "project_code" else r[k]) for k in parcel_keys}, as_multi(r["geom"]))
        for p in plans for r in p.parcels))
    lines = red_lines()
    counts["red_lines"] = write_geojson(out / "red_lines.geojson", "red_lines", (
        ({"district": d, "road": road, "plan_ref": ref}, g)
        for d, road, ref, _, g in sorted(lines, key=lambda t: (t[0], t[1]))))
    counts["red_line_markers"] = write_markers(out / "red_line_markers.csv", markers(rng, lines))
    lakes = []
    for name, (ll, axes, rot, works, status, done) in HBT_LAKES.items():
        lakes.append(({"name": name, "district": HBT, "works": works, "status": status,
                       "completed_on": done}, as_multi(mm(blob(vn(*ll), axes, rot, rng)))))
    counts["lakes"] = write_geojson(out / "lakes.geojson", "lakes",
                                    sorted(lakes, key=lambda t: t[0]["name"]))
    streets = civilized_streets(rng, lb_wards, hbt_wards)
    counts["civilized_streets"] = write_geojson(
        out / "civilized_streets.geojson", "civilized_streets",
        (({k: v for k, v in s.items() if k != "geom"}, s["geom"])
         for s in sorted(streets, key=lambda s: (s["district"], s["name"]))))
    counts["status_events"] = write_events(out / "status_events.csv", status_events(plans))
    print(f"row depth factor for Long Biên: {f:.6f}")
    return counts


# ----------------------------------------------------------------------------- check


def check(out: Path) -> bool:
    """Read the files back with GDAL, check their invariants, print Long Biên's figures."""
    import geopandas as gpd
    import pandas as pd

    ok = True

    def expect(cond: bool, what: str) -> None:
        """Record and report a failed check."""
        nonlocal ok
        if not cond:
            ok = False
            print(f"  FAILED: {what}")

    kinds = {"wards": "MultiPolygon", "projects": "MultiPolygon", "parcels": "MultiPolygon",
             "red_lines": "MultiLineString", "lakes": "MultiPolygon",
             "civilized_streets": "MultiLineString"}
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name, gtype in kinds.items():
        gdf = gpd.read_file(out / f"{name}.geojson", engine="pyogrio")
        layers[name] = gdf
        epsg = gdf.crs.to_epsg() if gdf.crs else None
        size = (out / f"{name}.geojson").stat().st_size
        print(f"{name}: {len(gdf)} features, EPSG:{epsg}, {size / 1024:.0f} KiB")
        expect(epsg == SRID, f"{name} CRS is EPSG:{SRID}")
        expect(set(gdf.geom_type) == {gtype}, f"{name} geometries are {gtype}")
        expect(bool(gdf.is_valid.all() and not gdf.is_empty.any()), f"{name} geometries valid")
    mk = pd.read_csv(out / "red_line_markers.csv", dtype={"x": str, "y": str})
    print(f"red_line_markers: {len(mk)} rows, "
          f"{(out / 'red_line_markers.csv').stat().st_size / 1024:.0f} KiB")

    pr, pa, wards = layers["projects"], layers["parcels"], layers["wards"]
    dates = ["drafted_on", "published_on", "approved_on", "paid_on", "handed_over_on"]
    for col in ["started_on", "target_date", "completed_on"]:
        pr[col] = pd.to_datetime(pr[col])
    for col in dates:
        pa[col] = pd.to_datetime(pa[col])

    # Invariants of the schema and of the brief.
    expect(pr["code"].is_unique and pa["code"].is_unique, "codes unique")
    expect(bool(((pr["status"] == "completed") == pr["completed_on"].notna()).all()),
           "completed_on set iff completed")
    expect(not bool((pr["completed_on"] < pr["started_on"]).any()), "completed after started")
    steps = ["drafted", "published", "approved", "paid", "handed_over"]
    rank = pa["status"].map(steps.index)
    for i, col in enumerate(dates):
        expect(bool((pa[col].notna() == (rank >= i)).all()), f"{col} set iff reached")
    for a, b in zip(dates, dates[1:], strict=False):
        expect(not bool((pa[b] < pa[a]).any()), f"{a} <= {b}")
    expect(bool((pa["compensation_vnd"] >= 0).all()), "compensation >= 0")
    by_code = dict(zip(pr["code"], pr.geometry, strict=True))
    expect(all(by_code[c].contains(g) for c, g in zip(pa["project_code"], pa.geometry,
                                                      strict=True)),
           "parcels inside their project")
    for code, group in pa.groupby("project_code"):
        geoms = list(group.geometry)
        tree = shapely.STRtree(geoms)
        pairs = tree.query(geoms, predicate="overlaps")
        expect(pairs.shape[1] == 0, f"parcels of {code} do not overlap")
    for d, group in wards.groupby("district"):
        union = shapely.union_all(list(group.geometry))
        overlap = sum(a.area for a in group.geometry) - union.area
        expect(overlap < 1e-3, f"wards of {d} do not overlap ({overlap:.6f} m²)")
        projects = list(pr[pr["district"] == d].geometry)
        expect(all(g.within(union.buffer(1e-6)) for g in projects),
               f"projects of {d} inside the district")
        pairs = shapely.STRtree(projects).query(projects, predicate="intersects")
        expect(bool((pairs[0] == pairs[1]).all()), f"projects of {d} apart from each other")
    rl = layers["red_lines"]
    for r in mk.itertuples():
        p = Point(float(r.y), float(r.x))
        lines = rl[(rl["road"] == r.road) & (rl["district"] == r.district)].geometry
        expect(bool(len(lines)) and float(lines.distance(p).min()) <= 0.5,
               f"marker {r.code} on its red line")

    # The Long Biên figures, by the report's definitions.
    lo, hi = pd.Timestamp(H1_FROM), pd.Timestamp(H1_TO)
    lb = pr[pr["district"] == LB]
    carried = lb[(lb["started_on"] <= hi)
                 & (lb["completed_on"].isna() | (lb["completed_on"] >= lo))]
    plans = pa[pa["project_code"].isin(carried["code"])]
    approved = plans[(plans["approved_on"] >= lo) & (plans["approved_on"] <= hi)]
    area = sum(ground_areas(list(approved.geometry)))
    ahead = lb[(lb["completed_on"] >= lo) & (lb["completed_on"] <= hi)
               & (lb["completed_on"] < lb["target_date"])]
    cs = layers["civilized_streets"]
    cs = cs[(cs["district"] == LB) & (cs["kind"] == "civilized")]
    planned_2022 = int(((cs["status"] == "planned") & (cs["year_recognised"] == 2022)).sum())
    compensation = int(approved["compensation_vnd"].sum())
    budget = int((carried["funding"] == "budget").sum())
    print(f"\nLong Biên, {H1_FROM} → {H1_TO} (ground areas on the WGS 84 ellipsoid)")
    print(f"  projects carried out:        {len(carried)} ({budget} budget, "
          f"{len(carried) - budget} non-budget)")
    print(f"  compensation plans:          {len(plans)}")
    print(f"  plans approved in period:    {len(approved)}")
    print(f"  land recovered:              {area / 10_000:.4f} ha ({area:,.2f} m²)")
    print(f"  compensation:                {compensation:,} VND "
          f"({compensation / 1e9:.1f} billion)")
    print(f"  completed ahead of schedule: {len(ahead)} ({', '.join(ahead['code'])})")
    print(f"  civilized streets:           {planned_2022} planned for 2022, "
          f"{len(cs) - planned_2022} recognised/maintained")
    expect(len(carried) == TARGET["projects"], "64 projects")
    expect((budget, len(carried) - budget) == (TARGET["budget"], TARGET["non_budget"]), "59/5")
    expect(len(plans) == TARGET["plans_total"], "1,315 plans")
    expect(len(approved) == TARGET["plans_approved"], "405 approved")
    expect(abs(area - TARGET["recovered_m2"]) <= AREA_TOLERANCE_M2, "3.80 ha")
    expect(compensation == TARGET["compensation_vnd"], "182.9 billion VND")
    expect(len(ahead) == TARGET["ahead_of_schedule"], "2 ahead of schedule")
    expect(not bool((approved["approved_on"].isna()).any()), "approved dates")
    expect(not bool((plans["approved_on"] < lo).any()), "no approvals before 2022 in the 64")
    expect((planned_2022, len(cs) - planned_2022) == (14, 50), "14 + 50 civilized streets")

    year = plans_of(pr, pa, LB, pd.Timestamp(2022, 1, 1), pd.Timestamp(2022, 12, 31))
    print(f"  (whole of 2022: {year[0]} projects, {year[2]} of {year[1]} plans approved, "
          f"{year[3] / 10_000:.2f} ha)")
    bode = wards[(wards["district"] == LB) & (wards["name"] == "Bồ Đề")].geometry.iloc[0]
    in_bode = approved[approved.geometry.representative_point().within(bode)]
    n_bode = int(carried.geometry.apply(lambda g: bode.relate_pattern(g, "T********")).sum())
    print(f"  (ward Bồ Đề: {n_bode} projects, {len(in_bode)} plans approved in the period)")

    # The status history: each entity's events continue one another, and replaying them gives
    # the files' statuses and step dates; the first half of 2022 as of 31 March is no larger.
    ev = pd.read_csv(out / "status_events.csv", dtype=str, keep_default_na=False)
    ev["effective_on"] = pd.to_datetime(ev["effective_on"])
    print(f"status_events: {len(ev)} rows, "
          f"{(out / 'status_events.csv').stat().st_size / 1024:.0f} KiB")
    prev = ev.groupby(["entity", "code"])["to_status"].shift().fillna("")
    expect(bool((prev == ev["from_status"]).all()), "events continue one another")
    expect(bool((ev.groupby(["entity", "code"])["effective_on"].diff().dropna()
                 >= pd.Timedelta(0)).all()), "events in the order they took effect")
    expect(set(ev.loc[ev["entity"] == "plan", "code"]) == set(pa["code"]), "every plan has events")
    expect(set(ev.loc[ev["entity"] == "project", "code"]) == set(pr["code"]),
           "every project has events")
    now = replay(ev, pd.Timestamp(LB_SNAPSHOT))
    def same(a: Any, b: Any) -> bool:
        """Equal values, or both missing."""
        return bool(pd.isna(a) and pd.isna(b)) or a == b

    expect(all(now[("plan", r.code)]["status"] == r.status
               and all(same(now[("plan", r.code)].get(c), getattr(r, c)) for c in dates)
               for r in pa.itertuples()), "replayed plans equal the parcels' statuses and dates")
    expect(all(now[("project", r.code)]["status"] == r.status
               and same(now[("project", r.code)]["completed_on"], r.completed_on)
               for r in pr.itertuples()), "replayed projects equal the projects' statuses")
    march = replay(ev, pd.Timestamp(2022, 3, 31))
    n_march = sum(1 for r in approved.itertuples()
                  if march.get(("plan", r.code), {}).get("approved_on") is not None)
    print(f"  (as of 2022-03-31: {n_march} of the {len(approved)} plans approved)")
    expect(0 < n_march < len(approved), "fewer approvals as of 31 March")
    print("\nall checks passed" if ok else "\nSOME CHECKS FAILED")
    return ok


def plans_of(pr: Any, pa: Any, district: str, lo: Any, hi: Any) -> tuple[int, int, int, float]:
    """Projects, plans, approved plans and recovered m² of a district over a period."""
    d = pr[pr["district"] == district]
    carried = d[(d["started_on"] <= hi) & (d["completed_on"].isna() | (d["completed_on"] >= lo))]
    plans = pa[pa["project_code"].isin(carried["code"])]
    approved = plans[(plans["approved_on"] >= lo) & (plans["approved_on"] <= hi)]
    return len(carried), len(plans), len(approved), sum(ground_areas(list(approved.geometry)))


def main(argv: list[str] | None = None) -> int:
    """Generate the sample (default) or check it (--check)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only read back and check the files")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (data/sample)")
    args = parser.parse_args(argv)
    if not args.check:
        counts = generate(args.out)
        print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0 if check(args.out) else 1


if __name__ == "__main__":
    sys.exit(main())
