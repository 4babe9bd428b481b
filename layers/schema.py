"""Tables and feature sources derived from the catalogue.

A catalogue entry gives the table (SRID, validity and non-emptiness checks, vocabularies and
ranges as CHECK constraints, the ground measure as a generated column, a GiST index, the data
version trigger) as DDL for a reviewed migration, and the feature SELECT of a layer without a
reviewed source. The tables are GeoAlchemy2 tables, so Alembic sees the same schema.
"""

from __future__ import annotations

from importlib import resources

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    Float,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable, Index

from gis.srs import VN2000
from layers.catalog import Attribute, Entry
from layers.registry import LAYERS, LayerSpec, vocabulary

# Ground measures on the WGS 84 ellipsoid (geography), from the VN-2000 storage.
AREA = "ST_Area(ST_Transform(geom, 4326)::geography)"
LENGTH = "ST_Length(ST_Transform(geom, 4326)::geography)"
STORED_MEASURE = {"area_ha": ("area_m2", AREA), "length_m": ("length_m", LENGTH)}

metadata = MetaData()


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _column(table: str, name: str, attr: Attribute) -> tuple[Column, list[CheckConstraint]]:
    kind = {"text": Text, "slug": Text, "integer": Integer, "boolean": Boolean,
            "date": Date}.get(attr.type)
    type_ = Numeric(*attr.precision) if attr.type == "numeric" and attr.precision else (
        Numeric() if attr.type == "numeric" else kind())
    default = attr.default
    server_default: object = None
    if default is not None and attr.type == "boolean":
        server_default = text("true" if default else "false")
    elif default is not None and attr.type in ("integer", "numeric"):
        server_default = text(repr(default))
    elif default is not None:
        server_default = str(default)  # quoted as a literal by SQLAlchemy
    required = attr.required or (attr.type == "boolean" and default is not None)
    checks: list[CheckConstraint] = []
    vocab = vocabulary(attr)
    if vocab:
        listed = ", ".join(_literal(v) for v in vocab)
        checks.append(CheckConstraint(f"{name} IN ({listed})", name=f"{table}_{name}_vocab"))
    if attr.type == "slug":
        checks.append(CheckConstraint(f"{name} ~ '^[a-z0-9-]+$'", name=f"{table}_{name}_slug"))
    if attr.min is not None and attr.max is not None:
        checks.append(CheckConstraint(f"{name} BETWEEN {attr.min:g} AND {attr.max:g}",
                                      name=f"{table}_{name}_range"))
    elif attr.min is not None:
        checks.append(CheckConstraint(f"{name} >= {attr.min:g}", name=f"{table}_{name}_range"))
    elif attr.max is not None:
        checks.append(CheckConstraint(f"{name} <= {attr.max:g}", name=f"{table}_{name}_range"))
    col = Column(name, type_, nullable=not required, server_default=server_default)
    return col, checks


def table_of(entry: Entry, srid: int = VN2000, meta: MetaData | None = None) -> Table:
    """The table a catalogue entry declares."""
    meta = meta if meta is not None else MetaData()
    t = entry.id
    columns: list[Column] = [Column("id", Integer, primary_key=True)]
    constraints: list[object] = []
    for name, attr in entry.attributes.items():
        if attr.computed:
            continue
        col, checks = _column(t, name, attr)
        columns.append(col)
        constraints.extend(checks)
    gtype = entry.geometry.upper()
    if entry.geometry_from:
        x, y = entry.geometry_from
        columns.append(Column("geom", Geometry(gtype, srid=srid, spatial_index=False),
                              Computed(f"ST_SetSRID(ST_MakePoint({x}::float8, {y}::float8), "
                                       f"{srid})", persisted=True)))
    else:
        columns.append(Column("geom", Geometry(gtype, srid=srid, spatial_index=False),
                              nullable=False))
        constraints.append(CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)",
                                           name=f"{t}_geom_valid"))
    if entry.measure in STORED_MEASURE:
        stored, expr = STORED_MEASURE[entry.measure]
        columns.append(Column(stored, Float, Computed(expr, persisted=True)))
    if entry.unique:
        constraints.append(UniqueConstraint(*entry.unique, name=f"{t}_key"))
    table = Table(t, meta, *columns, *constraints)
    for name, attr in entry.attributes.items():
        if attr.type == "date" and name in entry.temporal:
            Index(f"{t}_{name}_idx", table.c[name])
    Index(f"{t}_geom_idx", table.c.geom, postgresql_using="gist")
    return table


def create_sql(entry: Entry, srid: int = VN2000) -> list[str]:
    """The statements that create a layer's table, indexes and data-version trigger."""
    table = table_of(entry, srid)
    dialect = postgresql.dialect()
    created = str(CreateTable(table).compile(dialect=dialect)).strip()
    statements = ["\n".join(line.rstrip().replace("\t", "  ") for line in created.splitlines())]
    for name, attr in entry.attributes.items():
        if attr.references and not attr.computed:
            on_delete = "SET NULL" if not attr.required else "CASCADE"
            statements.append(
                f"ALTER TABLE {entry.id} ADD CONSTRAINT {entry.id}_{name}_fkey FOREIGN KEY "
                f"({name}) REFERENCES {attr.references}(id) ON DELETE {on_delete}")
    statements += [str(CreateIndex(ix).compile(dialect=dialect)).strip()
                   for ix in sorted(table.indexes, key=lambda i: str(i.name))]
    statements += [
        f"INSERT INTO layer_versions (layer) VALUES ('{entry.id}') ON CONFLICT DO NOTHING",
        f"CREATE TRIGGER {entry.id}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {entry.id} FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version('{entry.id}')",
        # Every write, whichever way it arrives, goes to the append-only audit log.
        f"SELECT attach_audit('{entry.id}')",
    ]
    return statements


def drop_sql(entry: Entry) -> list[str]:
    """The statements that undo `create_sql`."""
    return [f"SELECT detach_audit('{entry.id}')",
            f"DELETE FROM layer_versions WHERE layer = '{entry.id}'",
            f"DROP TABLE IF EXISTS {entry.id} CASCADE"]


def derived_source(entry: Entry) -> str:
    """The feature SELECT of a layer without a reviewed source: its attributes and measure."""
    cols = ["t.id", *(f"t.{n}" for n, a in entry.attributes.items() if not a.computed)]
    if entry.measure == "area_ha":
        cols.append("round((t.area_m2 / 10000)::numeric, 4) AS area_ha")
    elif entry.measure == "length_m":
        cols.append("round(t.length_m::numeric, 2) AS length_m")
    cols.append("t.geom")
    return f"-- {entry.title.en}, from its catalogue entry.\nSELECT {', '.join(cols)}\n" \
           f"FROM {entry.id} t"


def source_sql(spec: LayerSpec) -> str:
    """A layer's feature SELECT: its reviewed SQL file, or the one its entry gives."""
    entry = spec.catalog
    if entry.source:
        return resources.files("layers").joinpath("sql", entry.source).read_text("utf-8")
    return derived_source(entry)


def catalog_metadata() -> MetaData:
    """The catalogue's tables, as Alembic compares them with the database."""
    meta = MetaData()
    for spec in LAYERS.values():
        if spec.catalog.importable:
            table_of(spec.catalog, meta=meta)
    return meta


MIGRATION = '''"""Layer {id}: {title}. Generated from its catalogue entry by `quyhoach layer new`; review it.

Revision ID: {revision}
Revises: {down}
Create Date: {date}
"""

from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = ("{audit}",)

UPGRADE = [
{upgrade}
]

DOWNGRADE = [
{downgrade}
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
'''

# Generated migrations branch off the revision that created the data-version trigger function,
# and need the one that created the audit triggers' function.
BASE_REVISION = "0002"
AUDIT_REVISION = "0402"


def migration_revision(entry: Entry) -> str:
    """The revision id of a layer's generated migration."""
    return f"layer_{entry.id}"


def migration_text(entry: Entry, date: str, srid: int = VN2000) -> str:
    """The source of a layer's migration: the entry's DDL written out for review."""
    def block(statements: list[str]) -> str:
        return "\n".join(f'    """{s}""",' if "\n" in s else f"    {s!r},"
                         for s in statements)

    return MIGRATION.format(id=entry.id, title=entry.title.en, revision=migration_revision(entry),
                            down=BASE_REVISION, audit=AUDIT_REVISION, date=date, upgrade=block(create_sql(entry, srid)),
                            downgrade=block(drop_sql(entry)))
