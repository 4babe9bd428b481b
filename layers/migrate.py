"""Apply the Alembic migrations programmatically."""

from __future__ import annotations

import os
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

from gis.db import sqlalchemy_url
from layers.registry import extra_catalog_dir

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    # Alembic (and Mako behind it) is only needed by the commands that migrate.
    from alembic.config import Config

    ini = resources.files("layers").joinpath("alembic.ini")
    cfg = Config(str(ini))
    cfg.set_main_option("script_location", str(resources.files("layers").joinpath("migrations")))
    # A deployment's own layers keep their generated migrations beside their catalogue entries.
    extra = extra_catalog_dir()
    if extra is not None:
        builtin = resources.files("layers").joinpath("migrations", "versions")
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("version_locations",
                            os.pathsep.join([str(builtin), str(extra / "migrations")]))
    if url:
        cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database to `revision` (every branch head by default)."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        # Migrations are admin work: not bound by a service engine's statement timeout.
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """The revisions the database is at, comma-separated (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None
