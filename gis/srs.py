"""Coordinate reference systems and coordinate transformation.

VN-2000 / TM-3 105°00' (EPSG:5897) is the planners' grid and the storage SRID. PROJ's EPSG
definition carries the VN-2000 → WGS 84 datum shift; a hand-written tmerc string without it puts
Hanoi about 220 m off.
"""

from __future__ import annotations

from functools import cache

from pyproj import CRS, Transformer

VN2000 = 5897
WGS84 = 4326
WEB_MERCATOR = 3857
STORAGE_SRID = VN2000

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"

# Hanoi's extent, generous: used to catch coordinates given in the wrong CRS.
HANOI_LONLAT = (105.25, 20.55, 106.05, 21.40)
HANOI_VN2000 = (525000.0, 2270000.0, 610000.0, 2367000.0)


@cache
def transformer(src: int, dst: int) -> Transformer:
    """A lon/lat-ordered (always_xy) transformer between two EPSG codes."""
    return Transformer.from_crs(CRS.from_epsg(src), CRS.from_epsg(dst), always_xy=True)


def to_wgs84(x: float, y: float, src: int = VN2000) -> tuple[float, float]:
    """Transform an (easting, northing) pair to (lon, lat)."""
    lon, lat = transformer(src, WGS84).transform(x, y)
    return float(lon), float(lat)


def from_wgs84(lon: float, lat: float, dst: int = VN2000) -> tuple[float, float]:
    """Transform (lon, lat) to an (easting, northing) pair."""
    x, y = transformer(WGS84, dst).transform(lon, lat)
    return float(x), float(y)


def in_hanoi(x: float, y: float, srid: int) -> bool:
    """Whether a coordinate in `srid` falls within Hanoi's extent."""
    if srid == VN2000:
        box = HANOI_VN2000
    elif srid == WGS84:
        box = HANOI_LONLAT
    else:
        lon, lat = transformer(srid, WGS84).transform(x, y)
        x, y, box = lon, lat, HANOI_LONLAT
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def crs_uri(srid: int) -> str:
    """The OGC URI of an SRID (CRS84 for lon/lat WGS 84)."""
    return CRS84_URI if srid == WGS84 else EPSG_URI.format(code=srid)


SUPPORTED_SRIDS = (WGS84, WEB_MERCATOR, VN2000)
# Coordinate decimals per output: 8 for degrees (about 1 mm), 3 for metres (1 mm), so that
# surveyed VN-2000 points served in degrees come back to the millimetre.
DECIMALS = {WGS84: 8, WEB_MERCATOR: 3, VN2000: 3}


class UnsupportedCRSError(ValueError):
    """A CRS reference the service does not serve."""


def parse_crs(ref: str) -> tuple[int, bool]:
    """Resolve an OGC CRS reference to (srid, lat_lon_order).

    CRS84 is lon/lat; EPSG:4326 is lat/lon as EPSG defines its axes.
    """
    r = ref.strip().strip("[]")
    low = r.lower()
    if low in ("crs84", "ogc:crs84") or low.endswith("/ogc/1.3/crs84") or low.endswith(":crs84"):
        return WGS84, False
    code = None
    for prefix in ("http://www.opengis.net/def/crs/epsg/0/", "https://www.opengis.net/def/crs/epsg/0/",
                   "urn:ogc:def:crs:epsg::", "urn:ogc:def:crs:epsg:", "epsg:"):
        if low.startswith(prefix):
            code = low[len(prefix):].lstrip(":")
            break
    if code is None or not code.isdigit() or int(code) not in SUPPORTED_SRIDS:
        raise UnsupportedCRSError(ref)
    srid = int(code)
    return srid, srid == WGS84


def supported_crs_uris() -> list[str]:
    """The CRS URIs every collection is served in, CRS84 first."""
    return [CRS84_URI] + [EPSG_URI.format(code=s) for s in SUPPORTED_SRIDS]
