"""Importing the parcels from a GeoPackage: `quyhoach import` against ogr2ogr, same file, same DB.

Every run starts from a fresh copy of one template database (schema, the projects the parcels
belong to, no parcels), so each tool writes into the same empty state. quyhoach writes into the
`parcels` layer table; ogr2ogr appends into `parcels_ogr`, a table of the same shape (columns,
CHECK constraints, unique code, foreign key, indexes) that does the same work in the database
(the ground area, by a row trigger; the layer-version and status-history triggers of `parcels`).
It cannot be `parcels` itself: GDAL treats a generated column as a field with a default and then
falls back from COPY to one INSERT per row (minutes, not its normal speed). Two more figures:
ogr2ogr into the same shape without triggers (`parcels_bare`), and into a table of its own.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import benchdb
import psycopg
import synth

AREA = "ST_Area(ST_Transform(NEW.geom, 4326)::geography)"
WAYS = ("quyhoach", "ogr2ogr", "ogr2ogr_bare", "ogr2ogr_new")
BENCH_USER = "bench"


@dataclass
class ImportTimes:
    """Wall-clock seconds per run of each way of importing."""

    quyhoach_cli: list[float] = field(default_factory=list)
    quyhoach_inproc: list[float] = field(default_factory=list)
    ogr2ogr: list[float] = field(default_factory=list)
    ogr2ogr_bare: list[float] = field(default_factory=list)
    ogr2ogr_new: list[float] = field(default_factory=list)
    rows: int = 0


def names(database: str) -> tuple[str, str]:
    """(template, target) database names of the import runs of a benchmark database."""
    return f"{database}_import_tpl", f"{database}_import"


def prepare(server: str, database: str, ds: synth.Dataset) -> None:
    """The template database: migrated schema, the projects, the ogr2ogr scratch table."""
    template, _ = names(database)
    url = benchdb.recreate(server, template)
    synth.load(url, ds, tables=("projects",))
    with psycopg.connect(url) as c:
        for table in ("parcels_ogr", "parcels_bare"):
            c.execute(f"CREATE TABLE {table} (LIKE parcels INCLUDING ALL EXCLUDING GENERATED)")
            c.execute(f"ALTER TABLE {table} ADD FOREIGN KEY (project_id) REFERENCES projects(id) "
                      "ON DELETE CASCADE")
        # parcels_ogr also does the database-side work a write to parcels does: the ground area
        # (by a row trigger, as GDAL cannot COPY next to a generated column) and the table's own
        # statement triggers (layer version, status history), with the same functions.
        c.execute(f"CREATE FUNCTION bench_ground_area() RETURNS trigger LANGUAGE plpgsql AS "
                  f"$$ BEGIN NEW.area_m2 := {AREA}; RETURN NEW; END $$")
        c.execute("CREATE TRIGGER parcels_ogr_area BEFORE INSERT ON parcels_ogr FOR EACH ROW "
                  "EXECUTE FUNCTION bench_ground_area()")
        triggers = c.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'parcels'::regclass "
            "AND NOT tgisinternal AND (tgtype & 1) = 0 AND (tgtype & 4) <> 0").fetchall()
        for (ddl,) in triggers:
            ddl = re.sub(r"CREATE TRIGGER (\w+)", r"CREATE TRIGGER \1_ogr", ddl, count=1)
            c.execute(ddl.replace(" ON public.parcels ", " ON public.parcels_ogr "))
    # Imports are done as an account, which the audit log names.
    subprocess.run([str(Path(sys.executable).parent / "quyhoach"), "user", "add", BENCH_USER,
                    "--role", "admin", "--password-stdin"], input=f"{BENCH_USER}-passphrase\n",
                   env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True,
                   check=True, timeout=120)
    with psycopg.connect(server, autocommit=True) as c:
        c.execute(f'ALTER DATABASE "{template}" WITH ALLOW_CONNECTIONS false')


def _fresh(server: str, database: str) -> str:
    template, target = names(database)
    with psycopg.connect(server, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{target}" TEMPLATE "{template}"')
        c.execute("CHECKPOINT")
    return benchdb.database_url(server, target)


def _count(url: str, table: str) -> int:
    with psycopg.connect(url) as c:
        return c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _pg(url: str) -> str:
    u = urlsplit(url)
    parts = [f"host={u.hostname}", f"port={u.port or 5432}", f"dbname={u.path.lstrip('/')}"]
    if u.username:
        parts.append(f"user={u.username}")
    if u.password:
        parts.append(f"password={u.password}")
    return "PG:" + " ".join(parts)


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed, proc.stdout + proc.stderr


def compile_project() -> None:
    """Byte-compile the project's packages, as installing a wheel does.

    The command is timed as installed: with PYTHONDONTWRITEBYTECODE set and an editable install,
    Python would otherwise compile every module of the project from source on each run.
    """
    root = Path(__file__).resolve().parent.parent
    for pkg in ("core", "gis", "layers", "maps", "cli", "api"):
        compileall.compile_dir(str(root / pkg), quiet=1)


def run(server: str, database: str, gpkg: Path, rounds: int, expected: int,
        ways: tuple[str, ...] = WAYS) -> ImportTimes:
    """Interleaved import runs of each way (quyhoach, ogr2ogr...), `rounds` each."""
    out = ImportTimes(rows=expected)
    env = {**os.environ, "PGOPTIONS": "-c jit=off"}
    quyhoach = str(Path(sys.executable).parent / "quyhoach")
    compile_project()
    for r in range(rounds):
        order = list(ways)
        order = order[r % len(order):] + order[: r % len(order)]
        for who in order:
            url = _fresh(server, database)
            if who == "quyhoach":
                secs, text = _run([quyhoach, "import", str(gpkg), "--layer", "parcels",
                                   "--lang", "en", "--user", BENCH_USER],
                                  {**env, "DATABASE_URL": url})
                m = re.search(r"elapsed: ([\d.]+) s", text)
                out.quyhoach_cli.append(secs)
                out.quyhoach_inproc.append(float(m.group(1)) if m else secs)
                table = "parcels"
            elif who in ("ogr2ogr", "ogr2ogr_bare"):
                table = "parcels_ogr" if who == "ogr2ogr" else "parcels_bare"
                secs, _ = _run(["ogr2ogr", "-f", "PostgreSQL", _pg(url), str(gpkg), "parcels",
                                "-nln", table, "-append", "-unsetFid",
                                "--config", "PG_USE_COPY", "YES"], env)
                getattr(out, who).append(secs)
            else:
                secs, _ = _run(["ogr2ogr", "-f", "PostgreSQL", _pg(url), str(gpkg), "parcels",
                                "-nln", "parcels_new", "-lco", "GEOMETRY_NAME=geom",
                                "-lco", "FID=id", "-lco", "SPATIAL_INDEX=GIST"], env)
                out.ogr2ogr_new.append(secs)
                table = "parcels_new"
            got = _count(url, table)
            if got != expected:
                raise RuntimeError(f"{who} wrote {got} rows into {table}, expected {expected}")
    return out


def cleanup(server: str, database: str) -> None:
    """Drop the import databases."""
    template, target = names(database)
    benchdb.drop(server, target)
    with psycopg.connect(server, autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone():
            c.execute(f'ALTER DATABASE "{template}" WITH ALLOW_CONNECTIONS true')
    benchdb.drop(server, template)


def summary(times: ImportTimes) -> list[str]:
    """One line per way of importing: median, runs and the ratio to ogr2ogr (same table work)."""
    ogr = statistics.median(times.ogr2ogr) if times.ogr2ogr else float("nan")
    out = []
    for label, vals in (("quyhoach import (command)", times.quyhoach_cli),
                        ("import_file (in process)", times.quyhoach_inproc),
                        ("ogr2ogr, same table work", times.ogr2ogr),
                        ("ogr2ogr, no triggers", times.ogr2ogr_bare),
                        ("ogr2ogr, new table", times.ogr2ogr_new)):
        if not vals:
            continue
        med = statistics.median(vals)
        out.append(f"{label:28s} {med:7.2f} s  ({', '.join(f'{v:.2f}' for v in vals)})  "
                   f"{med / ogr:.2f}× ogr2ogr")
    return out


def main(argv: list[str] | None = None) -> int:
    """The import comparison alone, on a scratch database: `--parcels` parcels, `--rounds` runs."""
    from core.settings import Settings

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--parcels", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ways", default=",".join(WAYS),
                    help=f"comma-separated, of {', '.join(WAYS)}")
    ap.add_argument("--database", default="quyhoach_bench_importonly")
    ap.add_argument("--server-url", default=None)
    ap.add_argument("--work", type=Path, default=Path(__file__).resolve().parent / ".work")
    args = ap.parse_args(argv)
    server = args.server_url or benchdb.server_url(Settings())
    ds = synth.generate(args.parcels)
    gpkg = synth.write_geopackage(ds, args.work / f"parcels-{args.parcels}.gpkg")
    prepare(server, args.database, ds)
    try:
        times = run(server, args.database, gpkg, args.rounds, args.parcels,
                    ways=tuple(args.ways.split(",")))
    finally:
        cleanup(server, args.database)
    print(f"import of {args.parcels:,} parcels from {gpkg}, {args.rounds} interleaved runs each")
    print("\n".join(summary(times)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
