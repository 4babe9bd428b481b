"""Land-use zones and labels from DXF drawings (ezdxf).

Closed polylines, circles, closed splines and hatches become zones; the layer name gives the
land-use code (`QH_CX`, `ONM`, `Đất cây xanh`) or, on other layers, a text inside the shape does
(`CX-01`). Texts become labels; a text inside a zone names it (the plot label) and carries its
indicators: building density (MĐXD %), height in floors (TC) and floor-area ratio (HSSDĐ).
A closed shape on a frame layer (KHUNG, FRAME, RANH GIỚI QUY HOẠCH) is the sheet's footprint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import Point, Polygon, make_valid
from shapely.geometry import MultiPolygon
from shapely.strtree import STRtree

from core.i18n import ascii_fold
from gis.georef import PlanFileError, check_in_hanoi
from gis.safe_open import (
    PLAN_LIMITS,
    FileRefusedError,
    Limits,
    check_features,
    check_file,
    count_vertices,
)
from gis.srs import VN2000, transformer

FLATTEN_M = 0.05  # arcs and splines become chords no further than 5 cm from the curve
FRAME_WORDS = ("KHUNG", "FRAME", "BORDER", "RANH GIOI QUY HOACH", "RANH GIOI LAP QUY HOACH",
               "RANH QH", "RANH GIOI")
MAX_INSERT_DEPTH = 4
_NUMBER = r"(\d+(?:[.,]\d+)?)(?:\s*[-–÷]\s*(\d+(?:[.,]\d+)?))?"
INDICATORS = {
    "building_density_pct": (re.compile(r"\b(?:MDXD|MAT DO XAY DUNG|MD)\b\s*(?:\(%\))?\s*[:=]?\s*"
                                        + _NUMBER), 0.0, 100.0),
    "max_floors": (re.compile(r"\b(?:TC|TANG CAO|CAO)\b\s*(?:\(TANG\))?\s*[:=]?\s*" + _NUMBER),
                   0.0, 200.0),
    "floor_area_ratio": (re.compile(r"\b(?:HSSDD|HSSD|HS SDD|FAR)\b\s*(?:\(LAN\))?\s*[:=]?\s*"
                                    + _NUMBER), 0.0, 100.0),
}


class DxfError(PlanFileError):
    """A drawing that cannot be read or holds no usable zone."""


@dataclass(frozen=True)
class Label:
    """A text of the drawing, at its VN-2000 position."""

    text: str
    x: float
    y: float
    height: float = 0.0
    rotation: float = 0.0


@dataclass
class Zone:
    """A land-use zone: code, plot label, indicators and its VN-2000 polygon(s)."""

    code: str
    geom: MultiPolygon
    name: str | None = None
    indicators: dict[str, float] = field(default_factory=dict)
    layer: str = ""


@dataclass(frozen=True)
class Drawing:
    """What a DXF drawing holds for a plan."""

    zones: list[Zone]
    labels: list[Label]
    footprint: MultiPolygon
    skipped: int  # closed shapes with no land-use code
    frame_found: bool


def _fold(text: str) -> str:
    return ascii_fold(text).upper()


def indicators(text: str) -> dict[str, float]:
    """Density (%), floors and floor-area ratio written in a label, e.g. `MĐXD 40%`, `HSSDĐ 3,6`."""
    out: dict[str, float] = {}
    for line in _fold(text).splitlines():
        for key, (pattern, lo, hi) in INDICATORS.items():
            m = pattern.search(line)
            if m and key not in out:
                value = float((m.group(2) or m.group(1)).replace(",", "."))
                if lo < value <= hi:
                    out[key] = value
    return out


def _is_frame(layer: str) -> bool:
    norm = " ".join(re.split(r"[^A-Z0-9]+", _fold(layer))).strip()
    return any(word in norm for word in FRAME_WORDS)


def _entities(msp: Any) -> Iterator[tuple[Any, str]]:
    """Model-space entities with block references exploded, each with its effective layer."""

    def walk(entities: Any, depth: int, parent_layer: str | None) -> Iterator[tuple[Any, str]]:
        for e in entities:
            layer = e.dxf.get("layer", "0")
            if layer == "0" and parent_layer is not None:
                layer = parent_layer
            if e.dxftype() == "INSERT":
                if depth < MAX_INSERT_DEPTH:
                    try:
                        yield from walk(e.virtual_entities(), depth + 1, layer)
                    except Exception:  # noqa: BLE001 - a broken block reference is skipped
                        continue
                continue
            yield e, layer

    yield from walk(msp, 0, None)


def _ring_polygon(vertices: list[tuple[float, float]]) -> Polygon | None:
    pts = [(float(x), float(y)) for x, y in vertices]
    if len(pts) >= 2 and np.allclose(pts[0], pts[-1]):
        pts = pts[:-1]
    if len(pts) < 3:
        return None
    poly = Polygon(pts)
    return poly if poly.area > 0 else None


def _path_polygon(path: Any) -> Polygon | None:
    return _ring_polygon([(v.x, v.y) for v in path.flattening(FLATTEN_M)])


def _closed_shape(e: Any) -> Polygon | MultiPolygon | None:
    """The area a closed entity encloses, or None for open or non-area entities."""
    from ezdxf import path as ezpath

    kind = e.dxftype()
    if kind == "LWPOLYLINE":
        pts = list(e.get_points("xy"))
        if not (e.closed or (len(pts) > 3 and np.allclose(pts[0], pts[-1]))):
            return None
    elif kind == "POLYLINE":
        if not e.is_2d_polyline:
            return None
        pts = [v.dxf.location for v in e.vertices]
        if not (e.is_closed or (len(pts) > 3 and pts[0].isclose(pts[-1]))):
            return None
    elif kind == "SPLINE":
        if not e.closed:
            return None
    elif kind == "ELLIPSE":
        if abs((e.dxf.end_param - e.dxf.start_param) % (2 * np.pi)) > 1e-9:
            return None
    elif kind == "HATCH":
        rings = [_path_polygon(p) for p in ezpath.from_hatch(e)]
        shape = None
        for ring in rings:
            if ring is None:
                continue
            valid = make_valid(ring)
            shape = valid if shape is None else shape.symmetric_difference(valid)  # even-odd
        return shape
    elif kind != "CIRCLE":
        return None
    return _path_polygon(ezpath.make_path(e))


def _polygons(geom: Any) -> list[Polygon]:
    geom = make_valid(geom)
    if isinstance(geom, Polygon):
        return [geom] if geom.area > 0 else []
    return [g for part in getattr(geom, "geoms", []) for g in _polygons(part)]


def _multi(geom: Any) -> MultiPolygon | None:
    parts = [p for p in _polygons(geom) if p.area > 0.01]
    return MultiPolygon(parts) if parts else None


def _text_of(e: Any) -> Label | None:
    kind = e.dxftype()
    if kind == "TEXT":
        text = e.plain_text()
        halign, valign = e.dxf.get("halign", 0), e.dxf.get("valign", 0)
        at = e.dxf.align_point if (halign or valign) and e.dxf.hasattr("align_point") \
            else e.dxf.insert
        return Label(text.strip(), at.x, at.y, e.dxf.get("height", 0.0), e.dxf.get("rotation", 0.0))
    if kind == "MTEXT":
        at = e.dxf.insert
        return Label(e.plain_text().strip(), at.x, at.y, e.dxf.get("char_height", 0.0),
                     e.dxf.get("rotation", 0.0))
    return None


def _open(path: Path, name: str) -> Any:
    """The drawing, read by ezdxf from this one local file (ezdxf follows no external reference)."""
    import ezdxf
    from ezdxf import recover

    try:
        check_file(path, name, "DXF")
        doc, auditor = recover.readfile(str(path))
    except (OSError, ezdxf.DXFError, FileRefusedError) as exc:
        raise DxfError(
            f"Tệp '{name}' không phải bản vẽ DXF đọc được. Lưu bản vẽ DWG thành DXF trước khi "
            "nhập.",
            f"'{name}' is not a readable DXF drawing. Save DWG drawings as DXF first.",
            getattr(exc, "detail", None) or str(exc),
        ) from None
    if auditor.has_errors:
        raise DxfError(f"Bản vẽ '{name}' bị hỏng.", f"The drawing '{name}' is damaged.",
                       auditor.errors[0].message)
    return doc


def read_dxf(path: Path, classify: Callable[[str | None], str | None], name: str | None = None,
             srid: int = VN2000, limits: Limits = PLAN_LIMITS) -> Drawing:
    """Zones, labels and footprint of a DXF drawing whose coordinates are in `srid`.

    `classify` names the land-use code a layer name or a label stands for (None: not a zone).
    """
    name = name or path.name
    doc = _open(path, name)
    shapes: list[tuple[Polygon | MultiPolygon, str, str | None]] = []
    frames: list[Polygon] = []
    labels: list[Label] = []
    for e, layer in _entities(doc.modelspace()):
        label = _text_of(e)
        if label is not None:
            if label.text:
                labels.append(label)
            continue
        try:
            shape = _closed_shape(e)
        except Exception:  # noqa: BLE001 - a degenerate entity is skipped, not fatal
            shape = None
        if shape is None or shape.is_empty:
            continue
        if _is_frame(layer):
            frames.extend(_polygons(shape))
            continue
        shapes.append((shape, layer, classify(layer)))
    check_features(len(shapes) + len(labels), name, limits)
    count_vertices([s for s, _, _ in shapes], name, limits)
    if not shapes:
        raise DxfError(
            f"Bản vẽ '{name}' không có đường bao khép kín nào (polyline đóng, hatch) để làm khu "
            "đất quy hoạch.",
            f"The drawing '{name}' holds no closed shapes (closed polylines, hatches) to make "
            "land-use zones from.",
        )
    if srid != VN2000:
        to_vn = transformer(srid, VN2000)

        def reproject(g: Any) -> Any:
            return shapely.transform(g, lambda c: np.column_stack(to_vn.transform(c[:, 0], c[:, 1])))

        shapes = [(reproject(s), layer, code) for s, layer, code in shapes]
        frames = [reproject(f) for f in frames]
        labels = [Label(lb.text, *to_vn.transform(lb.x, lb.y), lb.height, lb.rotation)
                  for lb in labels]
    minx, miny, maxx, maxy = shapely.union_all([s for s, _, _ in shapes]).bounds
    check_in_hanoi([(minx, miny), (maxx, maxy)], VN2000, f"Bản vẽ '{name}'",
                   f"The drawing '{name}'")

    points = [Point(lb.x, lb.y) for lb in labels]
    text_tree = STRtree(points)
    coded = [(lb, classify(lb.text.splitlines()[0])) for lb in labels]

    def texts_in(geom: Any) -> list[int]:
        return sorted(int(i) for i in text_tree.query(geom, predicate="contains"))

    zones: list[Zone] = []
    skipped = 0
    for shape, layer, code in shapes:
        if code is None:
            inside = [coded[i] for i in texts_in(shape) if coded[i][1]]
            if inside:
                code = max(inside, key=lambda t: t[0].height)[1]
        multi = _multi(shape)
        if code is None or multi is None:
            skipped += 1
            continue
        zones.append(Zone(code, multi, layer=layer))
    if not zones:
        raise DxfError(
            f"Bản vẽ '{name}' có {skipped} hình khép kín nhưng không hình nào có mã đất: đặt tên "
            "lớp theo mã đất (ví dụ QH_CX, ONM) hoặc ghi ký hiệu lô (ví dụ CX-01) bên trong.",
            f"The drawing '{name}' has {skipped} closed shapes but none carries a land-use code: "
            "name the layers by code (e.g. QH_CX, ONM) or write the plot label (e.g. CX-01) inside.",
        )
    zones = _dedupe(_cut_islands(zones))
    for zone in zones:
        inside = [coded[i] for i in texts_in(zone.geom)]
        plot = [lb for lb, c in inside if c is not None]
        if plot:
            zone.name = max(plot, key=lambda lb: lb.height).text.splitlines()[0].strip()
        for lb, _ in inside:
            for key, value in indicators(lb.text).items():
                zone.indicators.setdefault(key, value)
    if frames:
        footprint = MultiPolygon([max(frames, key=lambda p: p.area)])
    else:
        footprint = _multi(shapely.union_all([z.geom for z in zones]).convex_hull)
        assert footprint is not None
    return Drawing(zones, labels, footprint, skipped, bool(frames))


def _cut_islands(zones: list[Zone]) -> list[Zone]:
    """Take zones lying inside a zone of another land use (a lake in a park) out of it."""
    tree = STRtree([z.geom for z in zones])
    for i, zone in enumerate(zones):
        inner = [zones[int(j)].geom for j in tree.query(zone.geom, predicate="contains")
                 if int(j) != i and zones[int(j)].code != zone.code
                 and zones[int(j)].geom.area < zone.geom.area]
        if inner:
            cut = _multi(zone.geom.difference(shapely.union_all(inner)))
            if cut is not None:
                zone.geom = cut
    return zones


def _dedupe(zones: list[Zone]) -> list[Zone]:
    """Drop a zone drawn twice (a boundary polyline and its hatch) with the same code."""
    kept: list[Zone] = []
    for zone in zones:
        twin = next((k for k in kept if k.code == zone.code
                     and np.allclose(k.geom.bounds, zone.geom.bounds, atol=0.5)
                     and k.geom.symmetric_difference(zone.geom).area < 1e-3 * zone.geom.area), None)
        if twin is None:
            kept.append(zone)
    return kept
