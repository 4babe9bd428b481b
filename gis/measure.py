"""Ground measurement: areas and lengths on the WGS 84 ellipsoid, never in degrees or Mercator."""

from __future__ import annotations

import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from gis.srs import WGS84, transformer

GEOD = Geod(ellps="WGS84")


def _lonlat(geom: BaseGeometry, srid: int) -> BaseGeometry:
    if srid == WGS84:
        return geom
    return shapely.transform(geom, lambda x, y: transformer(srid, WGS84).transform(x, y),
                             interleaved=False)


def area_m2(geom: BaseGeometry, srid: int) -> float:
    """Area on the ellipsoid, in square metres, of a polygon given in `srid`."""
    area, _ = GEOD.geometry_area_perimeter(_lonlat(geom, srid))
    return abs(area)


def area_ha(geom: BaseGeometry, srid: int) -> float:
    """Area on the ellipsoid, in hectares."""
    return area_m2(geom, srid) / 10_000


def length_m(geom: BaseGeometry, srid: int) -> float:
    """Length on the ellipsoid, in metres, of a line given in `srid`."""
    return float(GEOD.geometry_length(_lonlat(geom, srid)))
