"""The layer catalogue: entries agree with the database, bad entries are refused with their line,
and a layer is added end to end (entry, generated migration, import, API, tiles, map) without
writing Python."""

from __future__ import annotations

import math
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import httpx
import mapbox_vector_tile
import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import text

from layers.catalog import CATALOG_DIR, CatalogError, load_entries, parse_entry
from layers.features import feature_source, property_columns
from layers.registry import LAYERS
from layers.schema import create_sql, source_sql

ROOT = Path(__file__).resolve().parent.parent
QUYHOACH = [sys.executable, "-m", "cli.main"]

LAKES = (CATALOG_DIR / "lakes.yaml").read_text(encoding="utf-8")

PG_TYPES = {"text": {"text"}, "slug": {"text"}, "integer": {"integer"}, "boolean": {"boolean"},
            "date": {"date"}, "numeric": {"numeric"}}


def _constraint_values(conn, table: str, column: str) -> set[str]:
    """The codes the table's CHECK constraints allow in a column."""
    defs = conn.execute(text(
        "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.conrelid = CAST(:t AS regclass) AND c.contype = 'c'"), {"t": table}).scalars()
    found: set[str] = set()
    for d in defs:
        if re.search(rf"\b{column}\b\s*=\s*ANY", d):
            found |= set(re.findall(r"'([^']*)'::text", d))
    return found


@pytest.mark.parametrize("layer_id", sorted(LAYERS))
def test_entry_agrees_with_its_table(conn, layer_id):
    """Every stored attribute is a column of the declared type; vocabularies are the checks."""
    entry = LAYERS[layer_id].catalog
    cols = dict(conn.execute(text(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = :t"), {"t": layer_id}).all())
    assert cols, f"no table {layer_id}"
    for name, attr in entry.attributes.items():
        if attr.computed:
            assert name not in cols or layer_id == "projects", name
            continue
        assert cols.get(name) in PG_TYPES[attr.type], (name, cols.get(name))
        if attr.values:
            assert _constraint_values(conn, layer_id, name) == set(attr.values), name
    assert cols["geom"] == "USER-DEFINED"
    srid = conn.execute(text("SELECT Find_SRID('public', :t, 'geom')"), {"t": layer_id}).scalar()
    assert srid == 5897


@pytest.mark.parametrize("layer_id", sorted(LAYERS))
def test_items_carry_the_declared_attributes(conn, layer_id):
    """A layer's features carry its attributes (computed ones included) and its measure."""
    entry = LAYERS[layer_id].catalog
    props = set(property_columns(conn, LAYERS[layer_id]))
    declared = set(entry.attributes) | ({entry.measure} - {"none"})
    assert declared <= props, declared - props


def test_derived_sources_select_the_attributes_in_order():
    """A layer without reviewed SQL reads its table's attributes, then its measure."""
    src = source_sql(LAYERS["civilized_streets"])
    assert "SELECT t.id, t.name, t.district, t.ward, t.kind, t.year_recognised, t.status, " \
           "round(t.length_m::numeric, 2) AS length_m, t.geom" in src
    assert "projects p" in feature_source(LAYERS["projects"])  # the reviewed file


@pytest.mark.parametrize(("change", "line", "reason"), [
    (lambda s: s.replace("geometry: MultiPolygon", "geometry: Polygonz"), 6, "geometry"),
    (lambda s: s.replace('default: "#6baed6"', "default: blue"), 35, "not a colour"),
    (lambda s: re.sub(r"^title: .*\n", "", s, flags=re.M), 1, "title: missing"),
    (lambda s: s.replace("type: date", "type: datetime"), 29, "completed_on.type"),
    (lambda s: s.replace("color_by: works", "color_by: colour"), 33, "unknown attributes"),
    (lambda s: s.replace("renovation: \"#2166ac\"", "rebuild: \"#2166ac\""), 34, "rebuild"),
    (lambda s: s.replace("measure: area_ha", "measure: length_m"), 7, "measures area_ha"),
    (lambda s: s + "colour: red\n", 40, "unknown key"),
    (lambda s: s.replace("works:\n", "works: [\n", 1), 13, "expected"),
])
def test_bad_entries_are_refused_with_file_line_and_reason(change, line, reason):
    """Unknown types, missing titles, invalid styles: the file, the line, the reason."""
    with pytest.raises(CatalogError) as info:
        parse_entry(change(LAKES), "lakes.yaml")
    err = info.value
    assert err.path == "lakes.yaml"
    assert err.line == line, str(err)
    assert reason in err.reason


def test_duplicate_ids_are_refused(tmp_path):
    """Two entries with one id: refused, naming both files."""
    (tmp_path / "lakes.yaml").write_text(LAKES, encoding="utf-8")
    with pytest.raises(CatalogError, match="duplicate id 'lakes'"):
        load_entries(CATALOG_DIR, tmp_path)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUYHOACH_")}
    env.update(extra)
    return env


def test_a_bad_entry_stops_the_service_and_the_check_command(tmp_path):
    """At start-up and with `quyhoach layer check`: file, line and reason, no traceback."""
    (tmp_path / "kiosks.yaml").write_text(
        LAKES.replace("id: lakes", "id: kiosks").replace("fill_opacity: 0.55", "fill_opacity: 3"), encoding="utf-8")
    env = _env(QUYHOACH_CATALOG_DIR=str(tmp_path))
    app = subprocess.run([sys.executable, "-c", "import api.app"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert app.returncode != 0
    assert f"{tmp_path / 'kiosks.yaml'}:37: style.fill_opacity" in app.stderr
    assert "Traceback" not in app.stderr
    check = subprocess.run([*QUYHOACH, "layer", "check"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode != 0 and "kiosks.yaml:37" in check.stderr


def test_check_accepts_the_catalogue():
    """The shipped catalogue passes its own check."""
    done = subprocess.run([*QUYHOACH, "layer", "check"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"{len(LAYERS)} entries checked: OK" in done.stdout


PARKING = """\
# Parking lots the ward offices license.
id: parking_lots
title: {vi: "Bãi đỗ xe", en: "Parking lots"}
description: {vi: "Bãi đỗ xe được cấp phép.", en: "Licensed parking lots."}
geometry: MultiPolygon
measure: area_ha
attributes:
  name: {type: text, required: true, queryable: true, title: {vi: "Tên bãi", en: "Name"}}
  district: {type: slug, required: true, queryable: true, title: {vi: "Quận", en: "District"}}
  kind:
    type: text
    required: true
    queryable: true
    title: {vi: "Loại bãi", en: "Kind"}
    values:
      surface: {vi: "Bãi đỗ mặt đất", en: "Surface lot"}
      multi_storey: {vi: "Nhà đỗ xe cao tầng", en: "Multi-storey"}
  capacity: {type: integer, min: 1, max: 5000, title: {vi: "Sức chứa (xe)", en: "Capacity (vehicles)"}}
  licensed_on: {type: date, title: {vi: "Ngày cấp phép", en: "Licensed on"}}
temporal: [licensed_on]
tiles: [name, kind]
style:
  color_by: kind
  colors: {surface: "#4d4d4d", multi_storey: "#8c510a"}
  fill_opacity: 0.5
map: {order: 45, theme: infrastructure}
popup: {title: name, fields: [kind, capacity, licensed_on, area_ha]}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.mark.slow
def test_a_new_layer_without_code(fresh_database, tmp_path):
    """Entry → `layer new` → `db migrate` → `import` → items, tiles and the map's legend."""
    url = fresh_database("catalog")
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    entry = tmp_path / "parking_lots.yaml"
    entry.write_text(PARKING, encoding="utf-8")
    env = _env(DATABASE_URL=url, QUYHOACH_CATALOG_DIR=str(catalog),
               QUYHOACH_PLAN_STORE=str(tmp_path / "plans"))

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*QUYHOACH, *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300, input=stdin)
        assert done.returncode == 0, done.stderr
        return done

    made = run("layer", "new", str(entry))
    migration = catalog / "migrations" / "layer_parking_lots.py"
    assert f"migration: {migration}" in made.stdout
    source = migration.read_text(encoding="utf-8")
    assert "geometry(MULTIPOLYGON,5897) NOT NULL" in source
    assert "kind IN ('surface', 'multi_storey')" in source
    assert "capacity BETWEEN 1 AND 5000" in source
    assert "USING gist (geom)" in source and "bump_layer_version('parking_lots')" in source
    run("db", "migrate")
    run("load-sample")

    lots = gpd.GeoDataFrame(
        {"name": ["Bãi xe Ngọc Lâm", "Nhà xe Bồ Đề"], "district": ["Long Biên", "long-bien"],
         "kind": ["Bãi đỗ mặt đất", "multi_storey"], "capacity": [120, 800],
         "licensed_on": ["15/03/2024", "2024-06-01"]},
        geometry=[MultiPolygon([box(105.8700, 21.0420, 105.8712, 21.0431)]),
                  MultiPolygon([box(105.8790, 21.0360, 105.8801, 21.0368)])],
        crs="EPSG:4326")
    gpkg = tmp_path / "lots.gpkg"
    lots.to_file(gpkg, driver="GPKG")
    run("user", "add", "chief", "--role", "admin", "--password-stdin",
        stdin="a long enough passphrase\n")
    run("import", str(gpkg), "--layer", "parking_lots", "--user", "chief")

    port = _free_port()
    server = subprocess.Popen([*QUYHOACH, "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        ids = [c["id"] for c in httpx.get(f"{base}/collections").json()["collections"]]
        assert "parking_lots" in ids
        items = httpx.get(f"{base}/collections/parking_lots/items").json()
        props = sorted((f["properties"] for f in items["features"]), key=lambda p: p["name"])
        assert [p["kind"] for p in props] == ["surface", "multi_storey"]
        assert [p["district"] for p in props] == ["long-bien", "long-bien"]
        assert props[0]["capacity"] == 120 and props[0]["licensed_on"] == "2024-03-15"
        assert 1.0 < props[0]["area_ha"] * 10000 / (124 * 122) < 1.1  # ~124 m x 122 m
        queryables = httpx.get(f"{base}/collections/parking_lots/queryables").json()
        assert queryables["properties"]["kind"]["enum"] == ["surface", "multi_storey"]
        x, y = _tile_of(105.8706, 21.0425, 16)
        tile = httpx.get(f"{base}/collections/parking_lots/tiles/WebMercatorQuad/16/{y}/{x}")
        assert tile.status_code == 200
        layer = mapbox_vector_tile.decode(tile.content)["parking_lots"]
        assert [f["properties"]["kind"] for f in layer["features"]] == ["surface"]
        page = httpx.get(f"{base}/map?district=long-bien").text
        assert 'data-layer="parking_lots"' in page
        assert "Nhà đỗ xe cao tầng" in page and "#8c510a" in page
    finally:
        server.terminate()
        server.wait(timeout=20)


GENERATED = sorted(p.stem.removeprefix("layer_")
                   for p in (ROOT / "layers" / "migrations" / "versions").glob("layer_*.py"))


def test_generated_migrations_exist_for_the_new_layers():
    """The layers added through the catalogue have their generated, reviewed migration."""
    assert {"green_spaces", "facilities", "alleys", "public_facilities",
            "building_permits"} <= set(GENERATED)


@pytest.mark.parametrize("layer_id", GENERATED)
def test_generated_migration_still_matches_its_entry(layer_id):
    """A generated migration holds exactly the DDL its entry gives today (or was rewritten)."""
    source = (ROOT / "layers" / "migrations" / "versions" / f"layer_{layer_id}.py").read_text(
        encoding="utf-8")
    missing = [s for s in create_sql(LAYERS[layer_id].catalog) if s not in source]
    assert not missing, missing[0]
