"""Parsing and validating OGC API query parameters, with messages a planner can read."""

from __future__ import annotations

import datetime as dt
import re

from core.errors import InvalidParameterError
from gis.srs import WGS84, UnsupportedCRSError, parse_crs, transformer
from layers.features import BBox
from layers.registry import LayerSpec, Queryable


def crs_param(value: str | None, name: str = "crs") -> tuple[int, bool]:
    """(srid, lat_lon_order) of a `crs`/`bbox-crs` value; CRS84 when absent."""
    if not value:
        return WGS84, False
    try:
        return parse_crs(value)
    except UnsupportedCRSError:
        raise InvalidParameterError(
            f"Hệ tọa độ '{value}' ở tham số {name} không được hỗ trợ. Dùng CRS84, EPSG:4326, "
            "EPSG:3857 hoặc EPSG:5897 (VN-2000 / TM-3 105°00').",
            f"Unsupported CRS '{value}' in {name}. Use CRS84, EPSG:4326, EPSG:3857 or "
            "EPSG:5897 (VN-2000 / TM-3 105°00').",
        ) from None


def bbox_param(value: str | None, bbox_crs: str | None) -> BBox | None:
    """Parse `minx,miny,maxx,maxy` in the bbox-crs axis order, checking it makes sense."""
    if not value:
        return None
    srid, lat_lon = crs_param(bbox_crs, "bbox-crs")
    try:
        nums = [float(v) for v in value.split(",")]
    except ValueError:
        nums = []
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    if len(nums) != 4 or any(n != n for n in nums):
        raise InvalidParameterError(
            f"bbox '{value}' phải gồm 4 số: minX,minY,maxX,maxY (ví dụ 105.85,21.00,105.87,21.02).",
            f"bbox '{value}' must be four numbers: minX,minY,maxX,maxY "
            "(for example 105.85,21.00,105.87,21.02).",
        )
    x1, y1, x2, y2 = nums
    if lat_lon:
        x1, y1, x2, y2 = y1, x1, y2, x2
    if x1 > x2 or y1 > y2:
        raise InvalidParameterError(
            "bbox: giá trị nhỏ nhất phải đứng trước giá trị lớn nhất.",
            "bbox: each minimum must come before its maximum.",
        )
    if srid == WGS84 and not (-180 <= x1 <= 180 and -180 <= x2 <= 180
                              and -90 <= y1 <= 90 and -90 <= y2 <= 90):
        raise InvalidParameterError(
            "bbox nằm ngoài phạm vi kinh độ/vĩ độ. Nếu tọa độ là mét VN-2000, "
            "thêm bbox-crs=EPSG:5897.",
            "bbox is outside longitude/latitude range. If the coordinates are VN-2000 metres, "
            "add bbox-crs=EPSG:5897.",
        )
    if srid != WGS84:
        lon, lat = transformer(srid, WGS84).transform((x1 + x2) / 2, (y1 + y2) / 2)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidParameterError(
                f"bbox không hợp lệ trong EPSG:{srid}.", f"bbox is not valid in EPSG:{srid}.")
    return BBox(x1, y1, x2, y2, srid)



def _numbers(value: str, count: int, name: str, example: str) -> list[float]:
    """`count` comma-separated numbers, or a 400 naming the parameter and an example."""
    try:
        nums = [float(v) for v in value.split(",")]
    except ValueError:
        nums = []
    if len(nums) != count or any(n != n for n in nums):
        raise InvalidParameterError(
            f"{name} '{value}' phải gồm {count} số, ví dụ {example}.",
            f"{name} '{value}' must be {count} numbers, for example {example}.",
        )
    return nums


def center_param(value: str | None) -> tuple[float, float] | None:
    """A map centre as `latitude,longitude` in degrees."""
    if not value:
        return None
    lat, lon = _numbers(value, 2, "center", "21.04,105.89")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidParameterError(
            "center phải là vĩ độ,kinh độ (ví dụ 21.04,105.89).",
            "center must be latitude,longitude (for example 21.04,105.89).",
        )
    return lat, lon


MAX_ZOOM = 22


def zoom_param(value: str | None) -> int | None:
    """A map zoom level, a whole number from 0 to 22."""
    if not value:
        return None
    zoom = whole_number(value, MAX_ZOOM)
    if zoom is None:
        raise InvalidParameterError(
            f"zoom '{value}' phải là số nguyên từ 0 đến {MAX_ZOOM}.",
            f"zoom '{value}' must be an integer from 0 to {MAX_ZOOM}.",
        )
    return zoom


def layers_param(value: str | None, known: tuple[str, ...],
                 default: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The layers of a comma list in order, once each (absent: the default or all known)."""
    if value is None:
        return known if default is None else default
    ids = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in ids if v not in known]
    if unknown:
        listed = ", ".join(known)
        raise InvalidParameterError(
            f"Lớp không có trên bản đồ: {', '.join(unknown)}. Các lớp: {listed}.",
            f"Unknown map layer: {', '.join(unknown)}. Layers: {listed}.",
        )
    return tuple(dict.fromkeys(ids))

INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1


def whole_number(value: str, maximum: int = INT64_MAX) -> int | None:
    """The value of an ASCII string of digits not above `maximum`, else None."""
    if not (value.isascii() and value.isdigit()) or len(value.lstrip("0")) > len(str(maximum)):
        return None
    n = int(value)
    return n if n <= maximum else None


def limit_param(value: str | None, default: int, maximum: int) -> int:
    """A positive limit, capped at the maximum (refused only beyond a 64-bit integer)."""
    if value is None or value == "":
        return default
    n = whole_number(value)
    if n is None or n < 1:
        raise InvalidParameterError(
            f"limit '{value}' phải là số nguyên dương (tối đa {INT64_MAX}).",
            f"limit '{value}' must be a positive integer (at most {INT64_MAX}).")
    return min(n, maximum)


def offset_param(value: str | None) -> int:
    """A non-negative offset that fits a 64-bit integer."""
    if value is None or value == "":
        return 0
    n = whole_number(value)
    if n is None:
        raise InvalidParameterError(
            f"offset '{value}' phải là số nguyên không âm (tối đa {INT64_MAX}).",
            f"offset '{value}' must be a non-negative integer (at most {INT64_MAX}).")
    return n


# The data holds nothing before the 1990s; the end of next year leaves room for schedules.
EARLIEST_DAY = dt.date(1990, 1, 1)


def latest_day() -> dt.date:
    """The last day a date parameter may name: the end of next year."""
    return dt.date(dt.date.today().year + 1, 12, 31)


def _date(part: str, name: str) -> dt.date | None:
    if part in ("", ".."):
        return None
    try:
        if len(part) == 10:
            day = dt.date.fromisoformat(part)
        else:
            day = dt.datetime.fromisoformat(part.replace("Z", "+00:00")).date()
    except ValueError:
        raise InvalidParameterError(
            f"{name} '{part}' không phải ngày hợp lệ (YYYY-MM-DD).",
            f"{name} '{part}' is not a valid date (YYYY-MM-DD).",
        ) from None
    last = latest_day()
    if not EARLIEST_DAY <= day <= last:
        raise InvalidParameterError(
            f"{name} '{part}' phải nằm trong khoảng {EARLIEST_DAY.isoformat()} đến "
            f"{last.isoformat()}.",
            f"{name} '{part}' must lie between {EARLIEST_DAY.isoformat()} and {last.isoformat()}.",
        )
    return day


def datetime_param(value: str | None) -> tuple[dt.date | None, dt.date | None] | None:
    """An instant or interval (`a/b`, `../b`, `a/..`) as (start, end) dates."""
    if not value:
        return None
    if "/" in value:
        a, _, b = value.partition("/")
        start, end = _date(a, "datetime"), _date(b, "datetime")
        if start and end and start > end:
            raise InvalidParameterError(
                "datetime: ngày bắt đầu sau ngày kết thúc.", "datetime: the start is after the end.")
        return start, end
    day = _date(value, "datetime")
    return day, day


def date_param(value: str | None, name: str) -> dt.date | None:
    """A single YYYY-MM-DD date."""
    return _date(value, name) if value else None


def queryable_value(q: Queryable, raw: str) -> object:
    """Convert a filter value to the queryable's type."""
    try:
        if q.type == "integer":
            return int(raw)
        if q.type == "number":
            return float(raw)
        if q.type == "boolean":
            if raw.lower() in ("true", "1"):
                return True
            if raw.lower() in ("false", "0"):
                return False
            raise ValueError(raw)
    except ValueError:
        raise InvalidParameterError(
            f"Giá trị '{raw}' của {q.name} phải là {q.type}.",
            f"The value '{raw}' of {q.name} must be a {q.type}.",
        ) from None
    if q.enum and raw not in q.enum:
        raise InvalidParameterError(
            f"{q.name} '{raw}' không hợp lệ; các giá trị: {', '.join(q.enum)}.",
            f"{q.name} '{raw}' is not valid; allowed: {', '.join(q.enum)}.",
        )
    return raw


def filters(spec: LayerSpec, params: dict[str, str], known: set[str]) -> dict[str, object]:
    """Equality filters from the query string; unknown parameters are refused."""
    out: dict[str, object] = {}
    for name, raw in params.items():
        if name in known:
            continue
        q = spec.queryable(name)
        if q is None:
            names = ", ".join(x.name for x in spec.queryables)
            raise InvalidParameterError(
                f"Tham số '{name}' không được hỗ trợ ở lớp {spec.id}. Có thể lọc theo: {names}.",
                f"Unknown parameter '{name}' for {spec.id}. Filterable attributes: {names}.",
            )
        out[name] = queryable_value(q, raw)
    return out


_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an If-None-Match header matches an ETag (weak comparison, lists and `*`)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(m.group(1) == opaque for m in _ENTITY_TAG.finditer(header))
