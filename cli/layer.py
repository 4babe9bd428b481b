"""`quyhoach layer`: check catalogue entries and write the migration of a new layer."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import click

from cli.common import fail
from layers.catalog import CATALOG_DIR, CatalogError, load_entries, read_entry
from layers.registry import extra_catalog_dir
from layers.schema import migration_revision, migration_text

BUILTIN_VERSIONS = Path(__file__).resolve().parent.parent / "layers" / "migrations" / "versions"


@click.group()
def layer() -> None:
    """The layer catalogue (layers/catalog, and QUYHOACH_CATALOG_DIR)."""


@layer.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def check_cmd(files: tuple[Path, ...]) -> None:
    """Check the catalogue, with FILES (new entries) beside it; name each error's file and line."""
    extra = extra_catalog_dir()
    try:
        entries = load_entries(CATALOG_DIR, extra)
        ids = {e.id for e in entries}
        for path in files:
            entry = read_entry(path)
            if entry.id in ids and not _in_catalog(path, extra):
                raise CatalogError(path, 1, f"duplicate id {entry.id!r}: already in the catalogue")
    except CatalogError as exc:
        fail(str(exc))
    click.echo(f"{len(entries) + len(files)} entries checked: OK")


def _in_catalog(path: Path, extra: Path | None) -> bool:
    folder = path.resolve().parent
    return folder == CATALOG_DIR or (extra is not None and folder == extra.resolve())


@layer.command("new")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def new_cmd(file: Path) -> None:
    """Add FILE to the catalogue and write its table's migration for review (then `db migrate`)."""
    extra = extra_catalog_dir()
    catalog = extra if extra is not None else CATALOG_DIR
    versions = catalog / "migrations" if extra is not None else BUILTIN_VERSIONS
    try:
        entry = read_entry(file)
        target = catalog / f"{entry.id}.yaml"
        if target.exists() and target.resolve() != file.resolve():
            raise CatalogError(file, 1, f"duplicate id {entry.id!r}: {target} exists")
        others = [e for e in load_entries(CATALOG_DIR, extra) if e.id != entry.id]
        if entry.id in {e.id for e in others}:
            raise CatalogError(file, 1, f"duplicate id {entry.id!r}: already in the catalogue")
    except CatalogError as exc:
        fail(str(exc))
    migration = versions / f"{migration_revision(entry)}.py"
    if migration.exists():
        fail(f"{migration} exists: the layer's table was generated before")
    versions.mkdir(parents=True, exist_ok=True)
    if target.resolve() != file.resolve():
        catalog.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
    migration.write_text(migration_text(entry, dt.date.today().isoformat()), encoding="utf-8")
    click.echo(f"entry: {target}")
    click.echo(f"migration: {migration}")
    click.echo("Review the migration, then run: quyhoach db migrate")
