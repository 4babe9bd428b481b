"""Deterministic sample of the programme layers: green spaces, workshops, streets and alleys,
public facilities and building permits, in VN-2000, inside the wards of data/sample/wards.geojson.

Run `python data/generate_programme.py` to (re)write the files, `--check` to read them back and
print the figures they reproduce. Real ward names, approximate places, invented shapes and dates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely import affinity
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

OUT = Path(__file__).resolve().parent / "sample"
SRID = 5897
CRS_MEMBER = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{SRID}"}}
TO_LL = Transformer.from_crs(SRID, 4326, always_xy=True)
GEOD = Geod(ellps="WGS84")
SEED = 2011
LB, HBT = "long-bien", "hai-ba-trung"

# The figures the sample reproduces (DOMAIN.md); the programme's targets are in
# programme_targets.csv, not here.
LB_GARDENS, LB_FEATURES, LB_MEDIANS = 28, 17, 5  # 45 gardens and features, 5 median strips
LB_WORKSHOPS = {"woodworking": 19, "laundry": 19, "metalwork_scrap": 169}
HBT_ASPHALT, HBT_CONCRETE = 90, 821
HBT_LIT_M, HBT_LAMPS = 92_000.0, 2649  # alleys at least 2 m wide lit by 2010
HBT_BUILT_2006_2010 = {"health_station": 10, "kindergarten": 10, "primary_school": 4,
                       "lower_secondary_school": 3, "administrative_office": 8,
                       "cultural_house": 18}
# Constructions started per year: (all, with a permit, built not as permitted, violations handled).
PERMITS = {2006: (140, 92, 4, 36), 2007: (150, 113, 4, 31), 2008: (160, 136, 4, 23),
           2009: (170, 157, 4, 15), 2010: (175, 170, 3, 7), 2011: (180, 176, 3, 7),
           2012: (185, 182, 2, 5), 2013: (190, 187, 2, 5), 2014: (195, 193, 2, 4),
           2015: (200, 198, 1, 3)}

HBT_STREETS = [
    "Phố Huế", "Bà Triệu", "Lê Đại Hành", "Bạch Mai", "Minh Khai", "Trương Định", "Đại La",
    "Lò Đúc", "Trần Khát Chân", "Lạc Trung", "Kim Ngưu", "Hồng Mai", "Võ Thị Sáu",
    "Tô Hiến Thành", "Nguyễn Du", "Trần Nhân Tông", "Bùi Thị Xuân", "Thái Phiên", "Tuệ Tĩnh",
    "Hàn Thuyên", "Hòa Mã", "Ngô Thì Nhậm", "Trần Xuân Soạn", "Yết Kiêu", "Quang Trung",
    "Nguyễn Công Trứ", "Phạm Đình Hổ", "Lê Văn Hưu", "Mai Hắc Đế", "Triệu Việt Vương",
    "Hương Viên", "Thịnh Yên", "Vân Hồ", "Lê Thanh Nghị", "Tạ Quang Bửu", "Đại Cồ Việt",
    "Trần Đại Nghĩa", "Giải Phóng", "Nguyễn Khoái", "Bạch Đằng", "Lãng Yên", "Vĩnh Tuy",
    "Thanh Lương", "Thể Giao", "Hàng Chuối", "Lê Quý Đôn", "Nguyễn Cao", "Nguyễn Huy Tự",
    "Lê Gia Đỉnh", "Đỗ Hành", "Tăng Bạt Hổ", "Ngô Văn Sở", "Trần Cao Vân", "Đồng Nhân",
    "Đống Mác", "Lương Yên", "Hồ Xuân Hương", "Tam Trinh", "Lê Duẩn", "Trần Hưng Đạo",
]
LB_MEDIAN_ROADS = ["Nguyễn Văn Cừ", "Nguyễn Văn Linh", "Ngô Gia Tự", "Nguyễn Sơn", "Cổ Linh"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương",
            "Lý", "Phan", "Đinh", "Trịnh"]


# ----------------------------------------------------------------------------- geometry


def _round(coords: np.ndarray) -> np.ndarray:
    return np.array([round(v, 3) for v in coords.ravel().tolist()]).reshape(coords.shape)


def mm(geom: BaseGeometry) -> BaseGeometry:
    """The geometry with coordinates rounded to the millimetre."""
    return shapely.transform(geom, _round)


def _lonlat(coords: np.ndarray) -> np.ndarray:
    lon, lat = TO_LL.transform(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def ground_length(geom: BaseGeometry) -> float:
    """Length on the WGS 84 ellipsoid, in metres, of a VN-2000 line."""
    return GEOD.geometry_length(shapely.transform(geom, _lonlat))


def ground_area(geom: BaseGeometry) -> float:
    """Area on the WGS 84 ellipsoid, in square metres, of a VN-2000 polygon."""
    return abs(GEOD.geometry_area_perimeter(shapely.transform(geom, _lonlat))[0])


class Places:
    """The sample's wards, and random places inside them that keep clear of their edges."""

    def __init__(self, rng: np.random.Generator) -> None:
        doc = json.loads((OUT / "wards.geojson").read_text(encoding="utf-8"))
        self.rng = rng
        self.wards: dict[str, dict[str, BaseGeometry]] = {}
        for f in doc["features"]:
            p = f["properties"]
            self.wards.setdefault(p["district"], {})[p["name"]] = shape(f["geometry"])

    def names(self, district: str) -> list[str]:
        """The district's ward names, in file order."""
        return list(self.wards[district])

    def point(self, district: str, ward: str, margin: float = 15.0) -> Point:
        """A point inside the ward, at least `margin` metres from its boundary."""
        inner = self.wards[district][ward].buffer(-margin)
        x0, y0, x1, y1 = inner.bounds
        while True:
            p = Point(self.rng.uniform(x0, x1), self.rng.uniform(y0, y1))
            if inner.contains(p):
                return mm(p)

    def line(self, district: str, ward: str, length: float, bend: bool = True) -> LineString:
        """A line of about `length` grid metres inside the ward, straight or bent once."""
        ward_geom = self.wards[district][ward].buffer(-3.0)
        for _ in range(500):
            start = self.point(district, ward, 5.0)
            angle = self.rng.uniform(0, 2 * np.pi)
            turn = self.rng.uniform(-0.5, 0.5) if bend else 0.0
            half = length / 2 if bend else length
            mid = (start.x + half * np.cos(angle), start.y + half * np.sin(angle))
            pts = [(start.x, start.y), mid]
            if bend:
                pts.append((mid[0] + half * np.cos(angle + turn),
                            mid[1] + half * np.sin(angle + turn)))
            line = mm(LineString(pts))
            if ward_geom.contains(line):
                return line
        raise ValueError(f"no room for a {length:.0f} m line in {ward}")

    def box(self, district: str, ward: str, area: float, ratio: float = 1.6) -> Polygon:
        """A rotated rectangle of about `area` grid square metres inside the ward."""
        w = (area / ratio) ** 0.5
        h = area / w
        ward_geom = self.wards[district][ward].buffer(-3.0)
        for _ in range(500):
            c = self.point(district, ward, 5.0)
            poly = affinity.rotate(
                shapely.box(c.x - h / 2, c.y - w / 2, c.x + h / 2, c.y + w / 2),
                float(self.rng.uniform(0, 180)), origin=c)
            poly = mm(poly)
            if ward_geom.contains(poly) and poly.is_valid:
                return poly
        raise ValueError(f"no room for a {area:.0f} m² polygon in {ward}")

    def strip(self, district: str, ward: str, length: float, width: float) -> Polygon:
        """A long thin polygon (a median strip) inside the ward."""
        line = self.line(district, ward, length, bend=False)
        return mm(line.buffer(width / 2, cap_style="flat"))


def pick(rng: np.random.Generator, items: list[str], weights: list[float] | None = None) -> str:
    """One of the items, by weight."""
    p = None if weights is None else np.asarray(weights) / sum(weights)
    return items[int(rng.choice(len(items), p=p))]


def day_in(rng: np.random.Generator, start: date, end: date) -> date:
    """A day between start and end, inclusive."""
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


# ----------------------------------------------------------------------------- layers


def green_spaces(pl: Places) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Long Biên's maintained gardens, features and median strips; Hai Bà Trưng's green area."""
    rng, rows = pl.rng, []
    lb = pl.names(LB)

    def add(name: str, district: str, ward: str, kind: str, geom: BaseGeometry,
            created: date | None, start: date | None, end: date | None) -> None:
        rows.append(({"name": name, "district": district, "ward": ward, "kind": kind,
                      "created_on": created, "maintained_from": start, "maintained_to": end},
                     geom))

    for i in range(LB_GARDENS):
        ward = lb[i % len(lb)]
        add(f"Vườn hoa {ward} số {i // len(lb) + 1}", LB, ward, "flower_garden",
            pl.box(LB, ward, float(rng.uniform(900, 4500))), day_in(rng, date(2004, 1, 1),
            date(2015, 12, 31)), day_in(rng, date(2016, 1, 1), date(2021, 12, 31)), None)
    for i in range(LB_FEATURES):
        ward = lb[(i * 5) % len(lb)]
        add(f"Tiểu cảnh {ward} số {i // len(lb) + 1}", LB, ward, "landscape_feature",
            pl.box(LB, ward, float(rng.uniform(150, 600)), 1.2),
            day_in(rng, date(2012, 1, 1), date(2020, 12, 31)),
            day_in(rng, date(2018, 1, 1), date(2021, 12, 31)), date(2024, 12, 31))
    for i, road in enumerate(LB_MEDIAN_ROADS):
        ward = ["Bồ Đề", "Phúc Đồng", "Đức Giang", "Thạch Bàn", "Cự Khối"][i]
        add(f"Dải phân cách đường {road}", LB, ward, "median_strip",
            pl.strip(LB, ward, float(rng.uniform(350, 700)), float(rng.uniform(2.5, 5.0))),
            day_in(rng, date(2010, 1, 1), date(2016, 12, 31)),
            date(2019, 1, 1), None)
    # Outside 2022: maintenance handed back at the end of 2021; a garden opened late in 2022.
    for i in range(2):
        ward = lb[3 + i]
        add(f"Tiểu cảnh {ward} (đã bàn giao)", LB, ward, "landscape_feature",
            pl.box(LB, ward, 300.0, 1.2), date(2015, 5, 1), date(2016, 1, 1),
            date(2021, 12, 31))
    add("Vườn hoa Thạch Bàn số 3", LB, "Thạch Bàn", "flower_garden",
        pl.box(LB, "Thạch Bàn", 2500.0), date(2022, 10, 15), date(2023, 1, 1), None)

    # Hai Bà Trưng: gardens kept before the programme, and the area its projects added.
    for ward, name in [("Bạch Mai", "Vườn hoa Bạch Mai"), ("Lê Đại Hành", "Vườn hoa Lê Đại Hành"),
                       ("Đồng Tâm", "Vườn hoa Đồng Tâm"), ("Cầu Dền", "Vườn hoa Cầu Dền"),
                       ("Nguyễn Du", "Tiểu cảnh Nguyễn Du")]:
        kind = "landscape_feature" if name.startswith("Tiểu") else "flower_garden"
        add(name, HBT, ward, kind, pl.box(HBT, ward, float(rng.uniform(400, 2500))),
            day_in(rng, date(1998, 1, 1), date(2008, 12, 31)), date(2009, 1, 1), None)
    added = [("Vĩnh Tuy", "Vườn hoa khu đô thị Vĩnh Tuy", "flower_garden", 6200.0,
              date(2014, 10, 20)),
             ("Vĩnh Tuy", "Hồ cảnh quan khu đô thị Vĩnh Tuy", "water_surface", 4500.0,
              date(2014, 10, 20)),
             ("Thanh Lương", "Vườn hoa tổ 24-25 Vĩnh Tuy", "flower_garden", 3800.0,
              date(2013, 6, 1)),
             ("Minh Khai", "Vườn hoa khu Dệt 8/3", "park", 4000.0, date(2015, 9, 2))]
    for ward, name, kind, area, opened in added:
        add(name, HBT, ward, kind, pl.box(HBT, ward, area, 1.4), opened,
            opened + timedelta(days=1), None)
    return [(p, MultiPolygon([orient(g, 1.0)])) for p, g in rows]


def facilities(pl: Places) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Long Biên's list of woodworking shops, laundries, metalwork and scrap yards."""
    rng, rows = pl.rng, []
    lb = pl.names(LB)
    weights = [float(rng.uniform(0.5, 2.0)) for _ in lb]
    words = {"woodworking": "Xưởng mộc", "laundry": "Cơ sở giặt là",
             "metalwork_scrap": "Cơ sở cơ khí, sắt vụn"}

    def add(kind: str, ward: str, listed: date, status: str, closed: date | None) -> None:
        owner = f"{pick(rng, SURNAMES)} {pick(rng, ['Văn', 'Thị', 'Đức', 'Minh', 'Hữu'])}"
        rows.append(({"name": f"{words[kind]} {owner}", "address":
                      f"Tổ {int(rng.integers(1, 40))}, phường {ward}", "district": LB,
                      "ward": ward, "kind": kind, "status": status, "listed_on": listed,
                      "closed_on": closed}, pl.point(LB, ward)))

    for kind, n in LB_WORKSHOPS.items():
        for _ in range(n):
            add(kind, pick(rng, lb, weights), day_in(rng, date(2022, 1, 10), date(2022, 5, 31)),
                "operating", None)
    # Relocated before 2022, and listed after it: outside the year's list.
    for _ in range(4):
        closed = day_in(rng, date(2021, 3, 1), date(2021, 11, 30))
        add("metalwork_scrap", pick(rng, lb), day_in(rng, date(2019, 1, 1), date(2020, 12, 31)),
            "relocated", closed)
    for kind in ("woodworking", "laundry", "metalwork_scrap"):
        add(kind, pick(rng, lb), day_in(rng, date(2023, 2, 1), date(2023, 6, 30)), "operating",
            None)
    return rows


def _lamps(lengths: list[float], total: int) -> list[int]:
    """One lamp about every (length / total) metres, at least one an alley, summing to total."""
    spacing = sum(lengths) / total
    lamps = [max(1, round(length / spacing)) for length in lengths]
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    i = 0
    while sum(lamps) != total:
        j = order[i % len(order)]
        step = 1 if sum(lamps) < total else -1
        if lamps[j] + step >= 1:
            lamps[j] += step
        i += 1
    return lamps


def alleys(pl: Places) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Hai Bà Trưng's streets and alleys: surfaced, lit by 2010, and lit or surfaced after."""
    rng, rows = pl.rng, []
    hbt = pl.names(HBT)
    areas = [pl.wards[HBT][w].area for w in hbt]

    def add(name: str, ward: str, kind: str, width: float, surface: str, lamps: int, lit: bool,
            surfaced: date | None, lit_on: date | None, geom: LineString) -> None:
        rows.append(({"name": name, "district": HBT, "ward": ward, "kind": kind,
                      "width_m": round(width, 2), "surface": surface, "lamps": lamps, "lit": lit,
                      "surfaced_on": surfaced, "lit_on": lit_on}, geom))

    def alley_name(ward: str, n: int) -> str:
        street = pick(rng, HBT_STREETS)
        return f"Ngõ {n} {street}" if rng.random() < 0.7 else f"Ngách {n}/{rng.integers(2, 60)} {street}"

    # Asphalted streets (the city lights them; the district's lighting counts alleys).
    seen: Counter[str] = Counter()
    for i in range(HBT_ASPHALT):
        base = HBT_STREETS[i % len(HBT_STREETS)]
        seen[base] += 1
        name = f"Phố {base}" + (f" (đoạn {seen[base]})" if seen[base] > 1 else "")
        ward = pick(rng, hbt, areas)
        length = float(rng.uniform(250, 600))
        add(name, ward, "street", float(rng.uniform(7, 24)), "asphalt",
            max(1, round(length / 30)), True, day_in(rng, date(1996, 1, 1), date(2010, 10, 31)),
            day_in(rng, date(1996, 1, 1), date(2010, 10, 31)), pl.line(HBT, ward, length))
    for name, ward in [("Phố Thanh Nhàn (mở mới)", "Thanh Nhàn"),
                       ("Đường nối phố Trần Đại Nghĩa - phố Trương Định", "Trương Định"),
                       ("Phố Nguyễn Đình Chiểu kéo dài", "Lê Đại Hành")]:
        length = float(rng.uniform(300, 500))
        done = day_in(rng, date(2012, 6, 1), date(2015, 9, 30))
        add(name, ward, "street", 13.5, "asphalt", round(length / 30), True, done, done,
            pl.line(HBT, ward, length, bend=False))

    # Concreted alleys at least 2 m wide, lit by 2010: 92 km on the ground, 2,649 lamps.
    n_lit = 700
    wanted = rng.uniform(60, 200, n_lit - 1)
    wanted *= (HBT_LIT_M - 130.0) / wanted.sum()  # the last one takes the rest, about 130 m
    lines: list[tuple[str, LineString]] = []
    for length in wanted:
        ward = pick(rng, hbt, areas)
        lines.append((ward, pl.line(HBT, ward, float(length))))
    rest = HBT_LIT_M - sum(ground_length(g) for _, g in lines)
    ward = "Thanh Lương"
    for _ in range(200):
        start = pl.point(HBT, ward, 5.0)
        angle = float(rng.uniform(0, 2 * np.pi))
        grid = rest
        for _ in range(4):
            line = mm(LineString([(start.x, start.y), (start.x + grid * np.cos(angle),
                                                       start.y + grid * np.sin(angle))]))
            grid *= rest / ground_length(line)
        if pl.wards[HBT][ward].buffer(-3.0).contains(line):
            lines.append((ward, line))
            break
    else:
        raise ValueError("no room for the last lit alley")
    lamps = _lamps([ground_length(g) for _, g in lines], HBT_LAMPS)
    n = 0
    for (ward, line), k in zip(lines, lamps, strict=True):
        n += 1
        surfaced = day_in(rng, date(1998, 1, 1), date(2010, 6, 30))
        add(alley_name(ward, 2 * n), ward, "alley", float(rng.uniform(2.0, 5.0)), "concrete", k,
            True, surfaced, day_in(rng, max(surfaced, date(2003, 1, 1)), date(2010, 12, 15)),
            line)
    # Concreted alleys 1.5-2 m wide: unlit in 2010; 60 lit under the 2011-2015 target.
    for i in range(95):
        ward = pick(rng, hbt, areas)
        length = float(rng.uniform(50, 140))
        lit_on = day_in(rng, date(2012, 1, 1), date(2015, 11, 30)) if i < 60 else None
        add(alley_name(ward, 2 * (n + i) + 1), ward, "alley", float(rng.uniform(1.5, 1.95)),
            "concrete", max(1, round(length / 35)) if lit_on else 0, lit_on is not None,
            day_in(rng, date(1999, 1, 1), date(2010, 9, 30)), lit_on, pl.line(HBT, ward, length))
    # Narrower concreted alleys, unlit.
    for _ in range(HBT_CONCRETE - n_lit - 95):
        ward = pick(rng, hbt, areas)
        add(f"Ngõ {int(rng.integers(3, 400))} {pick(rng, HBT_STREETS)} (nhánh)", ward, "alley",
            float(rng.uniform(0.8, 1.45)), "concrete", 0, False,
            day_in(rng, date(2000, 1, 1), date(2010, 9, 30)), None,
            pl.line(HBT, ward, float(rng.uniform(30, 90))))
    # Earth alleys: six concreted and lit during the programme, eight still earth.
    for i in range(14):
        ward = pick(rng, ["Thanh Lương", "Vĩnh Tuy", "Minh Khai", "Trương Định"])
        done = i < 6
        surfaced = day_in(rng, date(2012, 1, 1), date(2014, 6, 30)) if done else None
        lit_on = surfaced + timedelta(days=int(rng.integers(60, 400))) if surfaced else None
        length = float(rng.uniform(60, 160))
        add(f"Ngõ xóm {ward} số {i + 1}", ward, "alley",
            float(rng.uniform(2.0, 3.0)) if done else float(rng.uniform(1.0, 2.5)),
            "concrete" if done else "earth", max(1, round(length / 35)) if done else 0, done,
            surfaced, lit_on, pl.line(HBT, ward, length))
    return [(p, MultiLineString([g])) for p, g in rows]


def public_facilities(pl: Places) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Hai Bà Trưng's public buildings of 2006-2010 and the 2011-2015 programme's works."""
    rng, rows = pl.rng, []
    hbt = pl.names(HBT)

    def add(name: str, ward: str, kind: str, works: str, status: str, planned: int | None,
            done: date | None, target: int | None = None, standard: date | None = None) -> None:
        rows.append(({"name": name, "district": HBT, "ward": ward, "kind": kind, "works": works,
                      "status": status, "planned_year": planned, "completed_on": done,
                      "standard_target_year": target, "national_standard_on": standard},
                     pl.point(HBT, ward)))

    def built(name: str, ward: str, kind: str, works: str) -> None:
        done = day_in(rng, date(2006, 3, 1), date(2010, 11, 30))
        add(name, ward, kind, works, "completed", None, done)

    # 2006-2010, every ward but those the next programme builds in.
    later = {"Quỳnh Mai", "Phố Huế", "Bạch Đằng", "Minh Khai"}
    free = [w for w in hbt if w not in later]
    for i in range(HBT_BUILT_2006_2010["health_station"]):
        built(f"Trạm y tế phường {free[i]}", free[i], "health_station",
              "new" if i < 6 else "renovation")
    for i, name in enumerate(["Hoa Sen", "Hoa Mai", "Bách Khoa", "Đồng Tâm", "Lê Đại Hành",
                              "Vĩnh Tuy", "Hoa Hồng", "Hương Sen", "Sơn Ca", "Họa Mi"]):
        built(f"Trường mầm non {name}", free[(i * 3) % len(free)], "kindergarten",
              "new" if i < 5 else "renovation")
    for i, name in enumerate(["Lê Ngọc Hân", "Tô Hoàng", "Đoàn Kết", "Vĩnh Tuy"]):
        built(f"Trường tiểu học {name}", free[(i * 5 + 1) % len(free)], "primary_school",
              "new" if i < 2 else "renovation")
    for i, name in enumerate(["Ngô Gia Tự", "Lê Ngọc Hân", "Vân Hồ"]):
        built(f"Trường THCS {name}", free[(i * 7 + 2) % len(free)], "lower_secondary_school",
              "new" if i < 1 else "renovation")
    for i in range(HBT_BUILT_2006_2010["administrative_office"]):
        ward = free[(i * 2 + 1) % len(free)]
        built(f"Trụ sở UBND phường {ward}", ward, "administrative_office",
              "new" if i < 5 else "renovation")
    for i in range(HBT_BUILT_2006_2010["cultural_house"]):
        ward = free[i % len(free)]
        built(f"Nhà văn hóa tổ dân phố {int(rng.integers(1, 60))}, phường {ward}", ward,
              "cultural_house", "new" if i % 3 else "renovation")

    # Older schools set to reach the national standard in 2011-2015: five did.
    standard = [("Trường mầm non Quỳnh Mai", "Quỳnh Mai", "kindergarten", date(2013, 5, 20)),
                ("Trường tiểu học Minh Khai", "Minh Khai", "primary_school", date(2012, 11, 20)),
                ("Trường tiểu học Ngô Quyền", "Bạch Đằng", "primary_school", date(2014, 5, 15)),
                ("Trường THCS Minh Khai", "Minh Khai", "lower_secondary_school",
                 date(2015, 4, 10)),
                ("Trường tiểu học Trưng Nhị", "Đồng Nhân", "primary_school", date(2013, 12, 5)),
                ("Trường THCS Tây Sơn", "Thanh Nhàn", "lower_secondary_school", None),
                ("Trường mầm non 8/3", "Vĩnh Tuy", "kindergarten", None)]
    for i, (name, ward, kind, reached) in enumerate(standard):
        add(name, ward, kind, "new", "completed", None,
            day_in(rng, date(1994, 1, 1), date(2004, 12, 31)), 2012 + i % 4, reached)
    # New schools of the programme: five completed, two being built, one planned.
    new_schools = [("Trường mầm non Bạch Đằng", "Bạch Đằng", "kindergarten", date(2013, 8, 15)),
                   ("Trường mầm non Thanh Nhàn", "Thanh Nhàn", "kindergarten",
                    date(2014, 8, 20)),
                   ("Trường mầm non Thanh Lương", "Thanh Lương", "kindergarten",
                    date(2012, 8, 25)),
                   ("Trường tiểu học Thanh Lương", "Thanh Lương", "primary_school",
                    date(2015, 8, 10)),
                   ("Trường THCS Vĩnh Tuy", "Vĩnh Tuy", "lower_secondary_school",
                    date(2014, 8, 5)),
                   ("Trường mầm non Vĩnh Tuy 2", "Vĩnh Tuy", "kindergarten", None),
                   ("Trường tiểu học Minh Khai 2", "Minh Khai", "primary_school", None),
                   ("Trường mầm non Trương Định", "Trương Định", "kindergarten", None)]
    for i, (name, ward, kind, done) in enumerate(new_schools):
        status = "completed" if done else ("under_construction" if i < 7 else "planned")
        add(name, ward, kind, "new", status, done.year if done else 2015, done)
    for name, ward, kind, status, planned, done in [
        ("Trạm y tế phường Quỳnh Mai", "Quỳnh Mai", "health_station", "completed", 2013,
         date(2014, 6, 20)),
        ("Trạm y tế phường Phố Huế", "Phố Huế", "health_station", "under_construction", 2015,
         None),
        ("Nhà văn hóa phường Thanh Nhàn", "Thanh Nhàn", "cultural_house", "completed", 2013,
         date(2013, 12, 18)),
        ("Nhà văn hóa phường Trương Định", "Trương Định", "cultural_house", "planned", 2015,
         None),
        ("Trụ sở UBND phường Bạch Đằng", "Bạch Đằng", "administrative_office", "completed",
         2012, date(2013, 9, 2)),
        ("Trụ sở UBND phường Minh Khai", "Minh Khai", "administrative_office",
         "under_construction", 2015, None),
    ]:
        add(name, ward, kind, "new", status, planned, done)
    return rows


def building_permits(pl: Places) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Hai Bà Trưng's constructions by the year they started, 2006-2015."""
    rng, rows = pl.rng, []
    hbt = pl.names(HBT)
    areas = [pl.wards[HBT][w].area for w in hbt]
    for year, (total, permitted, not_as_permitted, handled) in PERMITS.items():
        violations = total - permitted + not_as_permitted
        flags = ([(True, True)] * (permitted - not_as_permitted)
                 + [(True, False)] * not_as_permitted + [(False, None)] * (total - permitted))
        order = rng.permutation(total)
        handled_left = handled
        for k, idx in enumerate(order):
            has_permit, as_permitted = flags[idx]
            started = day_in(rng, date(year, 1, 5), date(year, 12, 20))
            ward = pick(rng, hbt, areas)
            violation = not has_permit or as_permitted is False
            done = None
            if violation and handled_left > 0:
                handled_left -= 1
                done = started + timedelta(days=int(rng.integers(10, 90)))
            issued = started - timedelta(days=int(rng.integers(20, 90))) if has_permit else None
            rows.append(({
                "code": f"HBT-XD-{year}-{k + 1:04d}",
                "address": f"Số {int(rng.integers(1, 300))}, tổ {int(rng.integers(1, 60))}, "
                           f"phường {ward}",
                "district": HBT, "ward": ward, "construction_started_on": started,
                "permit_issued": has_permit,
                "permit_no": f"{k + 1}/GPXD-UBND {year} (minh họa)" if has_permit else None,
                "permit_issued_on": issued, "built_as_permitted": as_permitted,
                "violation_handled": (done is not None) if violation else None,
                "handled_on": done}, pl.point(HBT, ward)))
        assert handled_left == 0 and handled <= violations
    rows.sort(key=lambda r: r[0]["code"])
    return rows


# ----------------------------------------------------------------------------- files


def _json(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, np.generic):
        return v.item()
    return v


def write_geojson(path: Path, layer: str,
                  features: Iterable[tuple[dict[str, Any], BaseGeometry]]) -> int:
    """Write a FeatureCollection in VN-2000, one feature per line; return the feature count."""
    lines = []
    for props, geom in features:
        if geom.is_empty or not geom.is_valid:
            raise ValueError(f"{layer}: invalid geometry for {props}")
        feature = {"type": "Feature", "properties": {k: _json(v) for k, v in props.items()},
                   "geometry": shapely.geometry.mapping(geom)}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "name": layer, "crs": CRS_MEMBER},
                      ensure_ascii=False, separators=(",", ":"))[:-1]
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n")
    return len(lines)


LAYERS = {"green_spaces": green_spaces, "facilities": facilities, "alleys": alleys,
          "public_facilities": public_facilities, "building_permits": building_permits}


def generate() -> dict[str, int]:
    """Write every programme layer; the same seed gives the same files."""
    counts = {}
    for i, (layer, make) in enumerate(LAYERS.items()):
        pl = Places(np.random.default_rng(SEED + i))
        counts[layer] = write_geojson(OUT / f"{layer}.geojson", layer, make(pl))
    return counts


def check() -> None:
    """Read the files back and print the figures they reproduce."""
    import geopandas as gpd

    frames = {}
    for layer in LAYERS:
        gdf = gpd.read_file(OUT / f"{layer}.geojson", engine="pyogrio")
        if gdf.crs is None or gdf.crs.to_epsg() != SRID:
            sys.exit(f"{layer}: expected EPSG:{SRID}, found {gdf.crs}")
        if not gdf.geometry.is_valid.all():
            sys.exit(f"{layer}: invalid geometry")
        frames[layer] = gdf
    gs = frames["green_spaces"]
    kept = gs[(gs.district == LB) & (gs.maintained_from <= "2022-12-31")
              & (gs.maintained_to.isna() | (gs.maintained_to >= "2022-01-01"))]
    print("Long Biên 2022, maintained:", dict(Counter(kept.kind)))
    fa = frames["facilities"]
    listed = fa[(fa.listed_on <= "2022-06-30") & (fa.closed_on.isna() | (fa.closed_on >= "2022-01-01"))]
    print("Long Biên 2022, workshops listed:", dict(Counter(listed.kind)))
    al = frames["alleys"]
    by2010 = al[al.surfaced_on <= "2010-12-31"]
    print("Hai Bà Trưng by 2010, surfaced:", dict(Counter(by2010.surface)))
    lit = al[(al.kind == "alley") & al.lit & (al.lit_on <= "2010-12-31") & (al.width_m >= 2)]
    metres = sum(ground_length(g) for g in lit.geometry)
    print(f"Hai Bà Trưng by 2010, alleys ≥ 2 m lit: {metres / 1000:.3f} km, "
          f"{int(lit.lamps.sum())} lamps")
    pf = frames["public_facilities"]
    built = pf[(pf.completed_on >= "2006-01-01") & (pf.completed_on <= "2010-12-31")]
    print("Hai Bà Trưng 2006-2010, built:", dict(Counter(built.kind)))
    added = gs[(gs.district == HBT) & (gs.created_on >= "2011-01-01")
               & (gs.created_on <= "2015-12-31")]
    ha = sum(ground_area(g) for g in added.geometry) / 10000
    print(f"Hai Bà Trưng 2011-2015, green and water added: {ha:.2f} ha")


def main() -> None:
    """Generate (and check) the programme layers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only read the files back")
    args = parser.parse_args()
    if not args.check:
        print("written:", generate())
    check()


if __name__ == "__main__":
    main()
