"""`quyhoach import FILE --layer LAYER`: bulk import of survey and cadastral files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cli.users import USER_OPTION, resolve_acting_user
from core.settings import get_settings
from gis.db import make_engine
from layers.importer import IMPORTABLE, ImportParameterError, ImportRejectedError, import_file

IMPORT_LAYERS = tuple(IMPORTABLE)
EXIT_REFUSED = 1
EXIT_USAGE = 2


def _pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or (option == "--map" and not value.strip()):
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint=option)
        out[key.strip()] = value.strip()
    return out


def _echo_error(message_vi: str, message_en: str, lang: str) -> None:
    if lang != "en":
        click.echo(f"Lỗi: {message_vi}", err=True)
    click.echo(f"Error: {message_en}", err=True)


class _Progress:
    """A progress bar on stderr, opened when the first rows are written."""

    def __init__(self, lang: str):
        self.label = "Checking and writing" if lang == "en" else "Đang kiểm tra và ghi"
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                         show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--layer", required=True, type=click.Choice(IMPORT_LAYERS),
              help="Layer (table) to write into.")
@click.option("--crs", default=None, metavar="EPSG:CODE",
              help="CRS of the coordinates; overrides the file's. Default: the file's, else "
                   "EPSG:5897 (VN-2000 / TM-3 105°) for metres, EPSG:4326 for degrees.")
@click.option("--map", "maps", multiple=True, metavar="SOURCE=TARGET",
              help="Rename a file column to a layer column or a coordinate role (x, y, "
                   "northing, easting, lon, lat). Repeatable.")
@click.option("--set", "sets", multiple=True, metavar="COLUMN=VALUE",
              help="Value of a layer column for rows where the file gives none. Repeatable.")
@click.option("--source-layer", default=None,
              help="Layer inside a multi-layer file (GeoPackage, zip).")
@click.option("--swap-xy", is_flag=True, help="Swap the two axes of every coordinate.")
@click.option("--fix", is_flag=True, help="Repair invalid geometries (make_valid) and report it.")
@click.option("--skip-invalid", is_flag=True,
              help="Write the valid rows and report the refused ones (default: all or nothing).")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi",
              help="Language of messages: vi (Vietnamese, then English) or en.")
@USER_OPTION
def import_cmd(file: Path, layer: str, crs: str | None, maps: tuple[str, ...],
               sets: tuple[str, ...], source_layer: str | None, swap_xy: bool, fix: bool,
               skip_invalid: bool, dry_run: bool, lang: str, user_name: str | None) -> None:
    """Import a GeoPackage, Shapefile (zipped or not), GeoJSON, DXF or CSV into a layer.

    Rows are checked (CRS and Hanoi's extent, geometry, attributes) and written with one COPY in
    one transaction, each row recorded in the audit log as written by the --user account (an
    editor or admin; not needed for a dry run). Exit status: 0 written (or dry run passed),
    1 refused, 2 bad parameters or no such account.
    """
    mapping, values = _pairs(maps, "--map"), _pairs(sets, "--set")
    actor = None if dry_run else resolve_acting_user(user_name, lang)
    engine = make_engine(get_settings(), admin=True)
    bar = _Progress(lang)
    code = 0
    try:
        result = import_file(engine, file, layer, crs=crs, mapping=mapping, values=values,
                             source_layer=source_layer, swap_xy=swap_xy, fix=fix,
                             skip_invalid=skip_invalid, dry_run=dry_run, progress=bar,
                             actor=actor)
        bar.close()
        click.echo(result.summary(lang))
    except ImportParameterError as exc:
        bar.close()
        _echo_error(exc.message, exc.message_en, lang)
        code = EXIT_USAGE
    except ImportRejectedError as exc:
        bar.close()
        if exc.result is not None:
            click.echo(exc.result.summary(lang))
        _echo_error(exc.message, exc.message_en, lang)
        code = EXIT_REFUSED
    finally:
        engine.dispose()
    if code:
        sys.exit(code)
