"""Reads of the planning layers: PostGIS builds the document, Python passes the bytes on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from gis.db import load_sql


def clearance_stats(
    conn: Connection,
    district: str,
    date_from: dt.date,
    date_to: dt.date,
    ward: str | None = None,
    as_of: dt.date | None = None,
) -> str:
    """Clearance figures of a district (or ward) for a period, as a JSON document.

    With `as_of`, the figures are those the status history gave on that day.
    """
    params = {"district": district, "ward": ward, "date_from": date_from, "date_to": date_to,
              "as_of": as_of}
    return conn.execute(load_sql("clearance_stats.sql"), params).scalar_one()
