"""A 1/2000 zoning-plan sheet for part of Hai Bà Trưng, in the three forms plans arrive in.

Run `python data/generate_plan.py` to (re)write data/plans/:

- `hbt-h13-thanh-nhan.png` + `.pgw`: the sheet as an image with a world file, VN-2000 (EPSG:5897);
- `hbt-h13-thanh-nhan.dxf`: the same plan as a CAD drawing: closed LWPOLYLINEs on layers named by
  land-use code (one zone on layer 0 with its code in a text), hatches, TEXT labels, a frame;
- `hbt-h13-thanh-nhan-scan.png` + `.gcps.csv`: a "scan" of the sheet (rotated, rescaled and
  slightly warped by a known second-order transform) with nine ground control points;
- `hbt-h13-thanh-nhan.json`: what the tests check against: true corners, zone areas, the known
  distortion, and points with their planned land use.

Zones follow the sample's real places: Thanh Nhàn street (its 35 m red-line corridor), the Kim
Ngưu river with its bank roads, Hồ Quỳnh in a park. Land uses and indicators are illustrative.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import ezdxf
import numpy as np
import shapely
from ezdxf.enums import TextEntityAlignment
from PIL import Image, ImageDraw, ImageFont
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon, box
from shapely.geometry.polygon import orient
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.landuse import BY_CODE  # noqa: E402

OUT = Path(__file__).resolve().parent / "plans"
STEM = "hbt-h13-thanh-nhan"
SRID = 5897
TO_VN = Transformer.from_crs(4326, SRID, always_xy=True)
TO_LL = Transformer.from_crs(SRID, 4326, always_xy=True)
GEOD = Geod(ellps="WGS84")

PLAN = {
    "name": "Quy hoạch phân khu H1-3 tỷ lệ 1/2000 — khu vực Thanh Nhàn, Quỳnh Mai (minh họa)",
    "decision": "2011/QĐ-UBND",
    "approved_on": "2011-05-16",
    "scale": 2000,
}
# The sheet: 1000 m × 750 m on the VN-2000 grid, 1 m per pixel.
X0, YT, W, H = 588300.0, 2323850.0, 1000, 750
X1, YB = X0 + W, YT - H
KIM_NGUU = [(105.8585, 21.0100), (105.8593, 21.0055), (105.8605, 21.0000), (105.8613, 20.9965),
            (105.8619, 20.9935)]
THANH_NHAN = [(105.8510, 21.0032), (105.8547, 21.0035), (105.8585, 21.0039)]
LAKE = ((105.8548, 21.0010), (70.0, 45.0), -15.0)
NS_ROADS = (588520.0, 588880.0)
EW_ROAD = 2323760.0
LOCAL_HALF_WIDTH = 6.75

# (column, band) of a block -> zones: (label, code, indicators, layer or None for layer 0).
BLOCK_USES: dict[tuple[int, int], list[tuple[str, str, dict[str, float]]]] = {
    (0, 0): [("ONHT-01", "ONHT", {"density": 60, "floors": 5})],
    (1, 0): [("GD-01", "GD", {"density": 40, "floors": 4})],
    (2, 0): [("HH-01", "HH", {"density": 45, "floors": 15, "far": 6.2})],
    (0, 1): [("ONM-01", "ONM", {"density": 40, "floors": 9, "far": 3.6})],
    (1, 1): [("CC-01", "CC", {"density": 40, "floors": 5}), ("CQ-01", "CQ", {"floors": 7})],
    (2, 1): [("ONHT-02", "ONHT", {"density": 55, "floors": 5})],
    (0, 2): [("ONHT-03", "ONHT", {"density": 60, "floors": 5})],
    (1, 2): [("CX-01", "CX", {"density": 5, "floors": 1})],
    (2, 2): [("YT-01", "YT", {"density": 40, "floors": 7}), ("P-01", "P", {})],
    (3, 0): [("ONHT-04", "ONHT", {"density": 60, "floors": 5})],
}
ON_LAYER_0 = {"CQ-01"}  # its land-use code comes from the text inside it
# Scan: scan pixels per sheet pixel, rotation, and the second-order warp (sheet pixels).
SCAN = {"scale": 1.1, "rotation_deg": 1.5, "margin_px": 40, "warp_length_px": 500.0,
        "warp_c_uv": 2.5, "warp_r_uu": 2.0, "warp_r_vv": -0.8}
PAPER = (247, 245, 238)


def vn(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) on the VN-2000 grid."""
    x, y = TO_VN.transform(lon, lat)
    return float(x), float(y)


def ground_area(geom: Polygon | MultiPolygon) -> float:
    """Area on the WGS 84 ellipsoid, in square metres."""
    ll = shapely.transform(geom, lambda c: np.column_stack(TO_LL.transform(c[:, 0], c[:, 1])))
    return abs(GEOD.geometry_area_perimeter(orient(ll) if isinstance(ll, Polygon) else ll)[0])


def extend(line: LineString, before: float, after: float) -> LineString:
    """The line lengthened along its first and last segments."""
    (ax, ay), (bx, by) = line.coords[0], line.coords[1]
    (cx, cy), (dx, dy) = line.coords[-2], line.coords[-1]
    n0, n1 = math.hypot(bx - ax, by - ay), math.hypot(dx - cx, dy - cy)
    start = (ax - (bx - ax) / n0 * before, ay - (by - ay) / n0 * before)
    end = (dx + (dx - cx) / n1 * after, dy + (dy - cy) / n1 * after)
    return LineString([start, *line.coords, end])


def ellipse(centre: tuple[float, float], axes: tuple[float, float], rotation_deg: float,
            n: int = 72) -> Polygon:
    """An ellipse polygon around a VN-2000 centre."""
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    a, b, rot = axes[0], axes[1], math.radians(rotation_deg)
    xs = a * np.cos(t) * math.cos(rot) - b * np.sin(t) * math.sin(rot) + centre[0]
    ys = a * np.cos(t) * math.sin(rot) + b * np.sin(t) * math.cos(rot) + centre[1]
    return Polygon(np.column_stack([np.round(xs, 3), np.round(ys, 3)]))


def round_geom(geom: Any) -> Any:
    """Coordinates to the millimetre."""
    return shapely.set_precision(geom, 0.001)


def layout() -> list[dict[str, Any]]:
    """The plan's zones, tiling the sheet: label, land-use code, indicators, geometry."""
    sheet = box(X0, YB, X1, YT)
    river = LineString([vn(*p) for p in KIM_NGUU])
    water = river.buffer(12.0, cap_style="flat", join_style="mitre")
    bank_roads = river.buffer(32.0, cap_style="flat", join_style="mitre").difference(water)
    thanh_nhan_axis = extend(LineString([vn(*p) for p in THANH_NHAN]), 80.0, 140.0)
    thanh_nhan = thanh_nhan_axis.buffer(17.5, cap_style="flat", join_style="mitre")
    locals_ = [LineString([(x, YB - 20), (x, YT + 20)]) for x in NS_ROADS]
    east_end = river.intersection(LineString([(X0, EW_ROAD), (X1 + 500, EW_ROAD)])).x
    locals_.append(LineString([(X0 - 20, EW_ROAD), (east_end, EW_ROAD)]))
    roads = shapely.union_all([bank_roads, thanh_nhan,
                               *[ln.buffer(LOCAL_HALF_WIDTH, cap_style="flat") for ln in locals_]])
    blocks = sheet.difference(shapely.union_all([roads, water]))

    def river_x(y: float) -> float:
        return river.intersection(LineString([(X0 - 500, y), (X1 + 500, y)])).centroid.x

    def axis_y(x: float) -> float:
        return thanh_nhan_axis.intersection(LineString([(x, YB - 500), (x, YT + 500)])).centroid.y

    zones: list[dict[str, Any]] = []
    for block in sorted(blocks.geoms, key=lambda g: (-g.centroid.y, g.centroid.x)):
        if block.area < 200.0:
            continue
        c = block.centroid
        col = 3 if c.x > river_x(c.y) else (0 if c.x < NS_ROADS[0] else 1 if c.x < NS_ROADS[1] else 2)
        band = 0 if col == 3 or c.y > EW_ROAD else 1 if c.y > axis_y(c.x) else 2
        uses = BLOCK_USES[(col, band)]
        parts = [block]
        if len(uses) == 2 and col == 1:
            minx, miny, maxx, maxy = block.bounds
            cut = (minx + maxx) / 2
            parts = [block.intersection(box(minx - 1, miny - 1, cut, maxy + 1)),
                     block.intersection(box(cut, miny - 1, maxx + 1, maxy + 1))]
        elif len(uses) == 2:
            minx, miny, maxx, maxy = block.bounds
            cut = miny + 0.55 * (maxy - miny)
            parts = [block.intersection(box(minx - 1, cut, maxx + 1, maxy + 1)),
                     block.intersection(box(minx - 1, miny - 1, maxx + 1, cut))]
        for (label, code, ind), part in zip(uses, parts, strict=True):
            zones.append({"label": label, "code": code, "indicators": ind,
                          "geom": round_geom(part)})
    lake = round_geom(ellipse(vn(*LAKE[0]), LAKE[1], LAKE[2]))
    park = next(z for z in zones if z["label"] == "CX-01")
    assert park["geom"].contains(lake)
    park["outer"] = park["geom"]
    park["geom"] = round_geom(park["geom"].difference(lake))
    zones.append({"label": "MN-02", "code": "MN", "indicators": {}, "geom": lake,
                  "name": "Hồ Quỳnh"})
    zones.append({"label": "MN-01", "code": "MN", "indicators": {},
                  "geom": round_geom(water.intersection(sheet)), "name": "Sông Kim Ngưu"})
    others = shapely.union_all([z["geom"] for z in zones])
    zones.append({"label": "GT", "code": "GT", "indicators": {},
                  "geom": round_geom(sheet.difference(others))})
    for z in zones:
        g = z["geom"]
        z["geom"] = MultiPolygon([p for p in getattr(g, "geoms", [g]) if p.area > 1.0])
        z["area_m2"] = ground_area(z["geom"])
        z["grid_area_m2"] = z["geom"].area
        biggest = max(z["geom"].geoms, key=lambda p: p.area)
        z["anchor"] = polylabel(biggest, tolerance=0.5)
    return zones


def indicator_texts(ind: dict[str, float]) -> list[str]:
    """The indicator lines written under a plot label, as Vietnamese sheets write them."""
    out = []
    if "density" in ind:
        out.append(f"MĐXD {ind['density']:g}%")
    if "floors" in ind:
        out.append(f"TC {ind['floors']:g}")
    if "far" in ind:
        out.append(f"HSSDĐ {str(ind['far']).replace('.', ',')}")
    return out


# ----------------------------------------------------------------------------- the image


def _font(size: int, bold: bool = False) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path("/usr/share/fonts/truetype/dejavu") / name
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def to_px(x: float, y: float) -> tuple[float, float]:
    """Sheet pixel position (column, row from the top-left corner) of a VN-2000 point."""
    return x - X0, YT - y


def render_sheet(zones: list[dict[str, Any]]) -> Image.Image:
    """The plan sheet as an RGB image, 1 m per pixel."""
    img = Image.new("RGB", (W, H), BY_CODE["GT"].color)
    draw = ImageDraw.Draw(img)
    order = sorted(zones, key=lambda z: (z["code"] == "MN" and z["label"] == "MN-02", z["label"]))
    for z in order:
        if z["code"] == "GT":
            continue
        for poly in z["geom"].geoms:
            draw.polygon([to_px(*c) for c in poly.exterior.coords], fill=BY_CODE[z["code"]].color,
                         outline=(90, 90, 90))
    lake = next(z for z in zones if z["label"] == "MN-02")
    for poly in lake["geom"].geoms:
        draw.polygon([to_px(*c) for c in poly.exterior.coords], fill=BY_CODE["MN"].color,
                     outline=(40, 90, 160))
    label_font, small = _font(13, bold=True), _font(10)
    for z in zones:
        if z["code"] == "GT":
            continue
        px, py = to_px(z["anchor"].x, z["anchor"].y)
        lines = [z["label"], *indicator_texts(z["indicators"])]
        for i, text in enumerate(lines):
            font = label_font if i == 0 else small
            draw.text((px, py - 8 + 13 * i), text, fill=(20, 20, 20), font=font, anchor="mm")
    street = _font(12, bold=True)
    tx, ty = to_px(*vn(105.8530, 21.00337))
    draw.text((tx, ty), "ĐƯỜNG THANH NHÀN", fill=(60, 60, 60), font=street, anchor="mm")
    draw.rectangle([8, H - 62, 420, H - 8], fill=(255, 255, 255), outline=(0, 0, 0), width=1)
    draw.text((16, H - 56), "QUY HOẠCH PHÂN KHU H1-3 — TỶ LỆ 1/2000", fill=(0, 0, 0),
              font=_font(14, bold=True))
    draw.text((16, H - 34), "Khu vực Thanh Nhàn, Quỳnh Mai — bản vẽ minh họa, VN-2000",
              fill=(0, 0, 0), font=_font(11))
    draw.rectangle([0, 0, W - 1, H - 1], outline=(0, 0, 0), width=2)
    return img


def world_file(transform: tuple[float, float, float, float, float, float]) -> str:
    """World file lines (A, D, B, E, C, F) of a pixel-corner transform (a, b, c, d, e, f)."""
    a, b, c, d, e, f = transform
    cx, cy = c + a / 2 + b / 2, f + d / 2 + e / 2
    return "\n".join(f"{v:.6f}" for v in (a, d, b, e, cx, cy)) + "\n"


# ----------------------------------------------------------------------------- the scan


class Warp:
    """The known distortion: scan pixel (u, v) → sheet pixel (c, r), second order."""

    def __init__(self) -> None:
        k, th = SCAN["scale"], math.radians(SCAN["rotation_deg"])
        corners = np.array([[0, 0], [W, 0], [W, H], [0, H]], float)
        rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
        spun = (corners - [W / 2, H / 2]) @ rot.T * k
        m = SCAN["margin_px"]
        self.width = int(math.ceil(np.ptp(spun[:, 0]))) + 2 * m
        self.height = int(math.ceil(np.ptp(spun[:, 1]))) + 2 * m
        self.uc, self.vc = self.width / 2, self.height / 2
        self.k, self.th = k, th

    def __call__(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sheet pixel position of scan pixel positions."""
        du, dv = u - self.uc, v - self.vc
        cos, sin, k = math.cos(self.th), math.sin(self.th), self.k
        c = W / 2 + (cos * du + sin * dv) / k
        r = H / 2 + (-sin * du + cos * dv) / k
        L = SCAN["warp_length_px"]
        un, vn_ = du / L, dv / L
        c = c + SCAN["warp_c_uv"] * un * vn_
        r = r + SCAN["warp_r_uu"] * un * un + SCAN["warp_r_vv"] * vn_ * vn_
        return c, r

    def inverse(self, c: float, r: float) -> tuple[float, float]:
        """Scan pixel position of a sheet pixel position (Newton's method)."""
        cos, sin, k = math.cos(self.th), math.sin(self.th), self.k
        dc, dr = c - W / 2, r - H / 2
        u = self.uc + k * (cos * dc - sin * dr)
        v = self.vc + k * (sin * dc + cos * dr)
        for _ in range(30):
            fc, fr = (float(a) for a in self(np.array(u), np.array(v)))
            e = 1e-3
            jc_u, jr_u = (float(a) for a in self(np.array(u + e), np.array(v)))
            jc_v, jr_v = (float(a) for a in self(np.array(u), np.array(v + e)))
            jac = np.array([[jc_u - fc, jc_v - fc], [jr_u - fr, jr_v - fr]]) / e
            step = np.linalg.solve(jac, [fc - c, fr - r])
            u, v = u - step[0], v - step[1]
            if abs(step).max() < 1e-9:
                break
        return float(u), float(v)


def render_scan(sheet: Image.Image, warp: Warp) -> Image.Image:
    """The sheet as scanned: every scan pixel takes the sheet pixel under its centre."""
    src = np.asarray(sheet)
    vv, uu = np.mgrid[0:warp.height, 0:warp.width].astype(float)
    c, r = warp(uu + 0.5, vv + 0.5)
    ci, ri = np.floor(c).astype(int), np.floor(r).astype(int)
    inside = (ci >= 0) & (ci < W) & (ri >= 0) & (ri < H)
    out = np.empty((warp.height, warp.width, 3), np.uint8)
    out[:] = PAPER
    out[inside] = src[ri[inside], ci[inside]]
    return Image.fromarray(out)


def control_points(warp: Warp) -> list[dict[str, Any]]:
    """Nine points spread over the sheet: their scan pixel and VN-2000 coordinates."""
    points = []
    for j, fy in enumerate((0.08, 0.5, 0.92)):
        for i, fx in enumerate((0.06, 0.5, 0.94)):
            x, y = round(X0 + fx * W, 3), round(YT - fy * H, 3)
            u, v = warp.inverse(x - X0, YT - y)
            points.append({"id": f"K{j * 3 + i + 1}", "pixel_x": round(u, 3),
                           "pixel_y": round(v, 3), "x": x, "y": y})
    return points


# ----------------------------------------------------------------------------- the drawing


def write_dxf(zones: list[dict[str, Any]], path: Path) -> None:
    """The plan as a DXF drawing in VN-2000 metres."""
    ezdxf.options.write_fixed_meta_data_for_testing = True  # no timestamps or random GUIDs
    doc = ezdxf.new("R2010", setup=True)
    doc.header["$INSUNITS"] = 6
    msp = doc.modelspace()
    for code in sorted({z["code"] for z in zones}):
        layer = doc.layers.add(f"QH_{code}")
        layer.rgb = tuple(int(BY_CODE[code].color[i:i + 2], 16) for i in (1, 3, 5))
    doc.layers.add("KHUNG", color=7)
    doc.layers.add("CHU", color=7)
    msp.add_lwpolyline([(X0, YT), (X1, YT), (X1, YB), (X0, YB)], close=True,
                       dxfattribs={"layer": "KHUNG"})
    for z in zones:
        layer = "0" if z["label"] in ON_LAYER_0 else f"QH_{z['code']}"
        if z["code"] == "GT":
            hatch = msp.add_hatch(dxfattribs={"layer": layer})
            hatch.set_solid_fill(rgb=(217, 217, 217))
            for poly in z["geom"].geoms:
                hatch.paths.add_polyline_path(list(poly.exterior.coords)[:-1], is_closed=True,
                                              flags=ezdxf.const.BOUNDARY_PATH_EXTERNAL)
                for hole in poly.interiors:
                    hatch.paths.add_polyline_path(list(hole.coords)[:-1], is_closed=True,
                                                  flags=ezdxf.const.BOUNDARY_PATH_DEFAULT)
            continue
        outer = z.get("outer", z["geom"])
        for poly in getattr(outer, "geoms", [outer]):
            msp.add_lwpolyline(list(poly.exterior.coords)[:-1], close=True,
                               dxfattribs={"layer": layer})
        if "outer" in z:  # the park is also hatched, with the lake as an island
            hatch = msp.add_hatch(dxfattribs={"layer": layer})
            hatch.set_solid_fill(rgb=(76, 175, 80))
            for poly in z["geom"].geoms:
                hatch.paths.add_polyline_path(list(poly.exterior.coords)[:-1], is_closed=True,
                                              flags=ezdxf.const.BOUNDARY_PATH_EXTERNAL)
                for hole in poly.interiors:
                    hatch.paths.add_polyline_path(list(hole.coords)[:-1], is_closed=True)
        x, y = z["anchor"].x, z["anchor"].y
        lines = [z["label"], *indicator_texts(z["indicators"])]
        for i, text in enumerate(lines):
            height = 6.0 if i == 0 else 4.0
            msp.add_text(text, height=height, dxfattribs={"layer": "CHU"}).set_placement(
                (x, y + 6 - 9 * i), align=TextEntityAlignment.MIDDLE_CENTER)
    msp.add_text("ĐƯỜNG THANH NHÀN", height=5.0, dxfattribs={"layer": "CHU", "rotation": 5.0}
                 ).set_placement(vn(105.8530, 21.00337), align=TextEntityAlignment.MIDDLE_CENTER)
    msp.add_text("SÔNG KIM NGƯU", height=5.0, dxfattribs={"layer": "CHU", "rotation": 78.0}
                 ).set_placement(vn(105.8597, 21.0040), align=TextEntityAlignment.MIDDLE_CENTER)
    msp.add_text("QUY HOẠCH PHÂN KHU H1-3 — TỶ LỆ 1/2000 (MINH HỌA)", height=10.0,
                 dxfattribs={"layer": "CHU"}).set_placement((X0, YT + 15))
    doc.saveas(path)


# ----------------------------------------------------------------------------- all of it


def probes(zones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Points with the zone planned there: each zone's label anchor, and one point on a road."""
    out = [{"x": round(z["anchor"].x, 3), "y": round(z["anchor"].y, 3), "code": z["code"],
            "label": z["label"]} for z in zones if z["code"] != "GT"]
    gt = next(z for z in zones if z["code"] == "GT")
    x, y = vn(105.8547, 21.0035)  # on Thanh Nhàn's axis
    assert gt["geom"].contains(shapely.Point(x, y))
    out.append({"x": round(x, 3), "y": round(y, 3), "code": "GT", "label": None})
    return out


def generate(out: Path = OUT) -> dict[str, Any]:
    """Write the sheet in its three forms and the metadata the tests check against."""
    out.mkdir(parents=True, exist_ok=True)
    zones = layout()
    sheet = render_sheet(zones)
    sheet.save(out / f"{STEM}.png", optimize=True)
    (out / f"{STEM}.pgw").write_text(world_file((1.0, 0.0, X0, 0.0, -1.0, YT)))
    write_dxf(zones, out / f"{STEM}.dxf")
    warp = Warp()
    render_scan(sheet, warp).save(out / f"{STEM}-scan.png", optimize=True)
    gcps = control_points(warp)
    with open(out / f"{STEM}-scan.gcps.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["id", "pixel_x", "pixel_y", "x", "y"])
        writer.writeheader()
        writer.writerows(gcps)
    corners = [(X0, YT), (X1, YT), (X1, YB), (X0, YB)]
    meta = {
        **PLAN,
        "crs": f"EPSG:{SRID}",
        "corners": [list(c) for c in corners],
        "resolution_m": 1.0,
        "size_px": [W, H],
        "zones": [{"label": z["label"], "code": z["code"], "name": z.get("name"),
                   "indicators": z["indicators"], "area_m2": round(z["area_m2"], 3),
                   "grid_area_m2": round(z["grid_area_m2"], 3)} for z in zones],
        "probes": probes(zones),
        "scan": {
            "file": f"{STEM}-scan.png",
            "gcps": f"{STEM}-scan.gcps.csv",
            "size_px": [warp.width, warp.height],
            "distortion": SCAN,
            "corners_px": [[round(v, 4) for v in warp.inverse(c - X0, YT - y)]
                           for c, y in corners],
        },
    }
    (out / f"{STEM}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n",
                                      encoding="utf-8")
    return meta


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        # ezdxf orders some DXF objects through sets of strings: fix the hash seed so the
        # drawing is the same bytes on every run.
        os.execve(sys.executable, [sys.executable, *sys.argv],
                  {**os.environ, "PYTHONHASHSEED": "0"})
    meta = generate()
    total = sum(f.stat().st_size for f in OUT.iterdir())
    print(f"{len(meta['zones'])} zones, {len(meta['probes'])} probes, "
          f"files {total / 1024:.0f} KiB in {OUT}")
