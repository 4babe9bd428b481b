"""GeoAlchemy2 tables of the planning schema (migrations and writes; reads use layers/sql)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Computed, ForeignKey, Numeric, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SRID = 5897
AREA = "ST_Area(ST_Transform(geom, 4326)::geography)"
LENGTH = "ST_Length(ST_Transform(geom, 4326)::geography)"

PROJECT_STATUSES = ("planned", "in_progress", "completed", "suspended")
PLAN_STATUSES = ("drafted", "published", "approved", "paid", "handed_over")
MARKER_STATUSES = ("planned", "planted", "lost", "replaced")
LAKE_WORKS = ("renovation", "dredging", "embankment")
LAKE_STATUSES = ("planned", "in_progress", "completed")
STREET_KINDS = ("civilized", "no_parking_no_vending")
STREET_STATUSES = ("planned", "recognised", "maintained")
FUNDING = ("budget", "non_budget")
LAND_USER_KINDS = ("household", "organisation")


class Base(DeclarativeBase):
    """Declarative base of the planning schema."""


def _polygons() -> Mapped[WKBElement]:
    return mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False)


def _lines() -> Mapped[WKBElement]:
    return mapped_column(Geometry("MULTILINESTRING", srid=SRID, spatial_index=False), nullable=False)


class Ward(Base):
    """Phường: a ward of a district."""

    __tablename__ = "wards"
    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    geom: Mapped[WKBElement] = _polygons()
    area_m2: Mapped[float] = mapped_column(Computed(AREA, persisted=True))


class Project(Base):
    """Dự án GPMB: a site-clearance project."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(Text)
    funding: Mapped[str] = mapped_column(Text)
    is_key: Mapped[bool] = mapped_column(default=False)
    has_complaints: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(Text)
    started_on: Mapped[dt.date | None]
    target_date: Mapped[dt.date | None]
    completed_on: Mapped[dt.date | None]
    geom: Mapped[WKBElement] = _polygons()
    area_m2: Mapped[float] = mapped_column(Computed(AREA, persisted=True))


class Parcel(Base):
    """Phương án bồi thường: one compensation plan for one land user's parcel."""

    __tablename__ = "parcels"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    land_user_kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    drafted_on: Mapped[dt.date | None]
    published_on: Mapped[dt.date | None]
    approved_on: Mapped[dt.date | None]
    paid_on: Mapped[dt.date | None]
    handed_over_on: Mapped[dt.date | None]
    compensation_vnd: Mapped[Decimal] = mapped_column(Numeric(18, 0), default=0)
    geom: Mapped[WKBElement] = _polygons()
    area_m2: Mapped[float] = mapped_column(Computed(AREA, persisted=True))


class RedLine(Base):
    """Chỉ giới đường đỏ: a red line of an approved plan."""

    __tablename__ = "red_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    district: Mapped[str] = mapped_column(Text)
    road: Mapped[str] = mapped_column(Text)
    plan_ref: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement] = _lines()
    length_m: Mapped[float] = mapped_column(Computed(LENGTH, persisted=True))


class RedLineMarker(Base):
    """Mốc chỉ giới đường đỏ: a surveyed red-line marker, VN-2000 coordinates as recorded."""

    __tablename__ = "red_line_markers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    district: Mapped[str] = mapped_column(Text)
    road: Mapped[str] = mapped_column(Text)
    red_line_id: Mapped[int | None] = mapped_column(ForeignKey("red_lines.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(Text)
    surveyed_on: Mapped[dt.date | None]
    northing_m: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    easting_m: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("POINT", srid=SRID, spatial_index=False),
        Computed("ST_SetSRID(ST_MakePoint(easting_m::float8, northing_m::float8), 5897)", persisted=True),
    )


class Lake(Base):
    """Hồ, ao: a lake or pond and the works on it."""

    __tablename__ = "lakes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(Text)
    works: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    completed_on: Mapped[dt.date | None]
    geom: Mapped[WKBElement] = _polygons()
    area_m2: Mapped[float] = mapped_column(Computed(AREA, persisted=True))


class CivilizedStreet(Base):
    """Tuyến phố văn minh đô thị, or a no-parking / no-street-vending street."""

    __tablename__ = "civilized_streets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(Text)
    ward: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    year_recognised: Mapped[int | None]
    status: Mapped[str] = mapped_column(Text)
    geom: Mapped[WKBElement] = _lines()
    length_m: Mapped[float] = mapped_column(Computed(LENGTH, persisted=True))


