"""`quyhoach units`: load official boundaries into the administrative units, and their succession.

The units table has a text id and a validity period, so it is not a catalogue layer: its files are
read with the same readers as `quyhoach import` (gis.readers: the file's format checked, its CRS
worked out, every geometry reprojected to VN-2000 and checked) and written in one transaction,
all or nothing.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import pandas as pd
import shapely
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from core import i18n
from core.errors import PlanningError
from core.settings import get_settings
from gis import safe_open as S
from gis.db import make_engine
from gis.readers import (
    Geometries,
    Refusal,
    Rows,
    fold,
    open_source,
    parse_crs,
    read_chunks,
    shown,
    strings,
)
from gis.srs import VN2000
from layers import admin_units

EXIT_REFUSED = 1
EXIT_USAGE = 2
# Folded column names that hold a unit's name in the files planners receive.
NAME_COLUMNS = ("name", "ten", "ten_don_vi", "ten_dvhc", "tendvhc", "ten_phuong_xa", "ten_phuong",
                "ten_xa", "name_vi")
# Level words a file may put before the name ("Phường Bồ Đề"): the table keeps the name alone.
LEVEL_WORDS = {"city": ("thành phố",), "district": ("quận", "huyện", "thị xã"),
               "ward": ("phường",), "commune": ("xã", "thị trấn")}
MAX_LISTED = 50


def _word(key: str, lang: str, **values: Any) -> tuple[str, str]:
    """A phrase of the units' words in Vietnamese and English."""
    return (i18n.phrase(i18n.UNIT_VIEW_WORDS, key, "vi", **values),
            i18n.phrase(i18n.UNIT_VIEW_WORDS, key, "en", **values))


def _say(message: tuple[str, str], lang: str, err: bool = False) -> None:
    if lang != "en":
        click.echo(message[0], err=err)
    click.echo(message[1], err=err)


def _fail(message: tuple[str, str], lang: str, code: int) -> NoReturn:
    if lang != "en":
        click.echo(f"Lỗi: {message[0]}", err=True)
    click.echo(f"Error: {message[1]}", err=True)
    sys.exit(code)


def _column(df: pd.DataFrame, asked: str | None, candidates: tuple[str, ...] | None,
            lang: str) -> str | None:
    """The file column asked for, or the first whose folded name is a candidate."""
    columns = [str(c) for c in df.columns]
    listed = ", ".join(columns) or "—"
    if asked:
        if asked in columns:
            return asked
        _fail(_word("no_column", lang, column=asked, columns=listed), lang, EXIT_USAGE)
    if candidates is None:
        return None
    by_fold = {fold(c): c for c in columns}
    for name in candidates:
        if name in by_fold:
            return by_fold[name]
    _fail(_word("no_name_column", lang, tried=", ".join(candidates), columns=listed), lang,
          EXIT_USAGE)


def bare_name(name: str, level: str) -> str:
    """The unit's name without the level word a file may put before it."""
    low = name.lower()
    for word in LEVEL_WORDS.get(level, ()):
        if low.startswith(word + " ") and name[len(word):].strip():
            return name[len(word):].strip()
    return name


def _refuse(refused: dict[int, Refusal], row: int, key: str | None,
            why: tuple[str, str]) -> None:
    ref = refused.setdefault(row, Refusal(row, key, []))
    ref.reasons.append(why)


def read_units(path: Path, *, level: str, valid_from: dt.date, valid_to: dt.date | None,
               parent_id: str | None, name_column: str | None, id_column: str | None,
               id_prefix: str, crs: str | None, source_layer: str | None, lang: str
               ) -> tuple[list[dict[str, Any]], dict[int, Refusal], dict[str, int]]:
    """The units of a file as rows for admin_units, the refused rows, and each id's row."""
    src, fmt = open_source(path, source_layer, "admin_units", S.IMPORT_LIMITS)
    _, chunks = read_chunks(src, fmt, path.name)
    geometries = Geometries("polygon", parse_crs(crs) if crs else None)
    refused: dict[int, Refusal] = {}
    rows: list[dict[str, Any]] = []
    row_of: dict[str, int] = {}
    started = False
    for df, geometry in chunks:
        if not started:
            name_col = _column(df, name_column, NAME_COLUMNS, lang)
            id_col = _column(df, id_column, None, lang)
            geometries.start(df, geometry, {})
            started = True
        assert name_col is not None
        names = strings(df[name_col])
        checks = Rows(df.index.to_numpy(), names, refused)
        stored = geometries.check(df, geometry, checks)
        checks.refuse(names.isna().to_numpy(), _word("no_name", lang))
        given = strings(df[id_col]) if id_col else None
        for i, (index, name) in enumerate(zip(df.index, names, strict=True)):
            row = int(index) + 1
            unit_id = None
            if given is not None and given.iloc[i] is not None:
                unit_id = str(given.iloc[i])
            elif name is not None:
                unit_id = id_prefix + admin_units.slug(bare_name(str(name), level))
            if unit_id is not None and not admin_units.UNIT_ID.match(unit_id):
                _refuse(refused, row, shown(name), _word("bad_id", lang, id=shown(unit_id)))
                continue
            if unit_id is not None and unit_id in row_of:
                _refuse(refused, row, shown(name),
                        _word("duplicate_id", lang, id=unit_id, other=row_of[unit_id]))
                continue
            if unit_id is None or not checks.ok[i]:
                continue
            row_of[unit_id] = row
            rows.append({"id": unit_id, "level": level, "name": bare_name(str(name), level),
                         "parent_id": parent_id, "valid_from": valid_from, "valid_to": valid_to,
                         "geom": shapely.to_wkb(shapely.set_srid(stored[i], VN2000), hex=True,
                                                include_srid=True)})
    if not started:
        _fail(_word("empty", lang), lang, EXIT_REFUSED)
    return rows, refused, row_of


def _default_parent(conn: Connection, level: str, day: dt.date) -> str | None:
    """The city a ward or commune belongs to when the data holds exactly one on that day."""
    if level == "city":
        return None
    cities = [u["id"] for u in admin_units.units_on(conn, day) if u["level"] == "city"]
    return cities[0] if len(cities) == 1 else None


@click.group()
def units() -> None:
    """Administrative units with their validity (admin_units) and their succession."""


@units.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", required=True, type=click.Choice(admin_units.LEVELS),
              help="Level of every unit in the file.")
@click.option("--valid-from", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day the units hold (YYYY-MM-DD), e.g. 2025-07-01.")
@click.option("--valid-to", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Last day they hold, for former units (default: still valid).")
@click.option("--parent", "parent_id", default=None, metavar="ID",
              help="Id of the unit above them (default: the city, when the data holds one).")
@click.option("--name-column", default=None, help="Column holding the names (default: found).")
@click.option("--id-column", default=None,
              help="Column holding the ids (default: made from the names, e.g. bo-de).")
@click.option("--id-prefix", default="", metavar="PREFIX",
              help="Put before the ids made from names, e.g. 'long-bien.' for former wards.")
@click.option("--crs", default=None, metavar="EPSG:CODE",
              help="CRS of the coordinates; overrides the file's.")
@click.option("--source-layer", default=None, help="Layer inside a multi-layer file.")
@click.option("--replace", is_flag=True, help="Replace units whose id already exists.")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi",
              help="Language of messages: vi (Vietnamese, then English) or en.")
def import_cmd(file: Path, level: str, valid_from: dt.datetime, valid_to: dt.datetime | None,
               parent_id: str | None, name_column: str | None, id_column: str | None,
               id_prefix: str, crs: str | None, source_layer: str | None, replace: bool,
               dry_run: bool, lang: str) -> None:
    """Load official boundaries (GeoPackage, Shapefile, GeoJSON) as units of one level.

    Each row is checked (name, id, geometry valid and in Hanoi once in VN-2000); if any row is
    refused, every refused row is listed and nothing is written. Exit status: 0 written (or dry
    run passed), 1 refused, 2 bad parameters.
    """
    start = valid_from.date()
    end = valid_to.date() if valid_to else None
    if end is not None and end < start:
        _fail(("--valid-to đứng trước --valid-from.", "--valid-to is before --valid-from."),
              lang, EXIT_USAGE)
    engine = make_engine(get_settings(), admin=True)
    try:
        with engine.begin() as conn:
            if parent_id is None:
                parent_id = _default_parent(conn, level, start)
            elif admin_units.get_unit(conn, parent_id) is None:
                _fail(_word("unknown_parent", lang, id=parent_id), lang, EXIT_USAGE)
            try:
                rows, refused, row_of = read_units(
                    file, level=level, valid_from=start, valid_to=end, parent_id=parent_id,
                    name_column=name_column, id_column=id_column, id_prefix=id_prefix, crs=crs,
                    source_layer=source_layer, lang=lang)
            except PlanningError as exc:
                _fail((exc.message, exc.message_en), lang, EXIT_REFUSED)
            if not replace:
                for unit_id in sorted(admin_units.existing_ids(conn, list(row_of))):
                    _refuse(refused, row_of[unit_id], unit_id,
                            _word("existing_id", lang, id=unit_id))
            if refused:
                for ref in sorted(refused.values(), key=lambda r: r.row)[:MAX_LISTED]:
                    if lang != "en":
                        click.echo(ref.text("vi"), err=True)
                    click.echo(ref.text("en"), err=True)
                _fail(_word("refused", lang, n=len(refused)), lang, EXIT_REFUSED)
            if not dry_run:
                admin_units.write_units(conn, rows, replace=replace)
    except DBAPIError as exc:
        click.echo(str(exc.orig).splitlines()[0] if exc.orig else "", err=True)
        _fail(_word("write_failed", lang), lang, EXIT_REFUSED)
    finally:
        engine.dispose()
    vi, en = (i18n.phrase(i18n.UNIT_VIEW_WORDS, "checked" if dry_run else "imported", lg,
                          n=len(rows), day=i18n.day_text(start, lg),
                          level=i18n.phrase(i18n.UNIT_WORDS, level, lg, name="").strip())
              for lg in ("vi", "en"))
    _say((vi, en), lang)


@units.group("succession")
def succession() -> None:
    """Which former units, whole or in part, make each new one."""


@succession.command("add")
@click.argument("new")
@click.argument("old")
@click.option("--whole", is_flag=True, help="The new unit took the whole of the old one.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi",
              help="Language of messages: vi (Vietnamese, then English) or en.")
def succession_add(new: str, old: str, whole: bool, lang: str) -> None:
    """Record that unit NEW took (the whole or part of) unit OLD; print the shares of area."""
    if new == old:
        _fail(_word("same_unit", lang), lang, EXIT_USAGE)
    engine = make_engine(get_settings(), admin=True)
    try:
        with engine.begin() as conn:
            found = {}
            for unit_id in (new, old):
                unit = admin_units.get_unit(conn, unit_id)
                if unit is None:
                    _fail((i18n.phrase(i18n.UNIT_WORDS, "unknown", "vi", id=unit_id),
                           i18n.phrase(i18n.UNIT_WORDS, "unknown", "en", id=unit_id)), lang,
                          EXIT_USAGE)
                found[unit_id] = unit
            n, o = found[new], found[old]
            names = {"new": n.id, "old": o.id}
            if n.valid_from <= o.valid_from:
                _fail(_word("not_later", lang, **names, new_from=n.valid_from,
                            old_from=o.valid_from), lang, EXIT_USAGE)
            shares = admin_units.add_succession(conn, new, old, whole)
            if not shares["shared_m2"]:
                _fail(_word("no_overlap", lang, **names), lang, EXIT_REFUSED)
    finally:
        engine.dispose()
    _say(_word("succession_added", lang, **names,
               share=i18n.percent(100 * (shares["predecessor_share"] or 0), lang),
               unit_share=i18n.percent(100 * (shares["successor_share"] or 0), lang)), lang)
