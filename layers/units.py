"""Administrative units as the data holds them: the districts and their wards."""

from __future__ import annotations

import datetime as dt

import orjson
from sqlalchemy import Connection

from gis.db import load_sql

# The district a page shows when none is asked for, and each seed district's reporting period
# (the 2022 theme's first half-year for Long Biên, the 2011–2015 programme for Hai Bà Trưng).
DEFAULT_DISTRICT = "long-bien"
DEFAULT_PERIODS: dict[str, tuple[dt.date, dt.date]] = {
    "long-bien": (dt.date(2022, 1, 1), dt.date(2022, 6, 30)),
    "hai-ba-trung": (dt.date(2011, 1, 1), dt.date(2015, 12, 31)),
}
FALLBACK_PERIOD = DEFAULT_PERIODS[DEFAULT_DISTRICT]


def default_period(district: str) -> tuple[dt.date, dt.date]:
    """The period a district's pages open on."""
    return DEFAULT_PERIODS.get(district, FALLBACK_PERIOD)


def wards_by_district(conn: Connection) -> dict[str, list[str]]:
    """Each district slug the data holds, with its ward names in order."""
    return orjson.loads(conn.execute(load_sql("units.wards.sql")).scalar_one())
