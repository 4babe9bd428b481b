"""`quyhoach plan …` on a fresh database, and the sample plans loaded twice."""

from __future__ import annotations

import json
from pathlib import Path

import ezdxf
import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from cli.main import main
from core.settings import Settings
from gis.db import make_engine
from layers.migrate import upgrade
from layers.plans import SAMPLE_PLAN_DIR, SAMPLE_STEM, load_sample_plans

META = json.loads((SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.json").read_text("utf-8"))
PNG = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.png"
DXF = SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.dxf"
SCAN = SAMPLE_PLAN_DIR / META["scan"]["file"]
GCPS = SAMPLE_PLAN_DIR / META["scan"]["gcps"]


@pytest.fixture(scope="module")
def fresh(fresh_database, tmp_path_factory):
    """A migrated database without the sample, its engine, and an empty plan store."""
    url = fresh_database("plans_cli")
    engine = make_engine(Settings(database_url=url), url)
    upgrade(engine)
    yield url, engine, tmp_path_factory.mktemp("cli-store")
    engine.dispose()


def run(fresh, *args: str):
    url, _, store = fresh
    return CliRunner().invoke(main, ["plan", *args],
                              env={"DATABASE_URL": url, "QUYHOACH_PLAN_STORE": str(store)})


def state(fresh) -> tuple:
    _, engine, store = fresh
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT (SELECT count(*) FROM plans), (SELECT count(*) FROM plan_zones), "
            "(SELECT count(*) FROM plan_labels)")).one()
    return tuple(rows), sorted(p.name for p in store.rglob("*"))


def test_import_list_lookup_and_delete(fresh) -> None:
    r = run(fresh, "import", str(DXF), "--name", "Phân khu H1-3", "--decision", "2011/QĐ-UBND",
            "--approved-on", "2011-05-16")
    assert r.exit_code == 0, r.output
    assert "Đã nhập quy hoạch số" in r.output and "Khu đất: 15" in r.output
    r = run(fresh, "import", str(PNG), "--format", "json", "--lang", "en")
    assert r.exit_code == 0, r.output
    image = orjson.loads(r.stdout)
    assert image["source_format"] == "world_file"  # the .pgw beside the image was found
    r = run(fresh, "import", str(SCAN), "--gcps", str(GCPS), "--order", "2", "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "polynomial2 fit" in r.output and "K9" in r.output
    listing = run(fresh, "list")
    assert listing.exit_code == 0 and "Phân khu H1-3" in listing.output
    assert len(listing.output.strip().splitlines()) == 3
    park = next(p for p in META["probes"] if p["label"] == "CX-01")
    r = run(fresh, "lookup", "--x", str(park["x"]), "--y", str(park["y"]))
    assert r.exit_code == 0 and "CX — Đất cây xanh (CX-01)" in r.output
    _, store_files = state(fresh)
    assert image["file_path"] in store_files
    r = run(fresh, "delete", str(image["id"]))
    assert r.exit_code == 0
    assert image["file_path"] not in state(fresh)[1]
    assert run(fresh, "delete", str(image["id"])).exit_code == 2


def _corrupt(tmp: Path) -> list[str]:
    path = tmp / "hong.tif"
    path.write_bytes(b"II*\x00" + b"\x00\xff" * 500)
    return [str(path)]


def _no_closed_shapes(tmp: Path) -> list[str]:
    doc = ezdxf.new()
    doc.modelspace().add_line((588400, 2323400), (588500, 2323500), dxfattribs={"layer": "QH_GT"})
    path = tmp / "lines.dxf"
    doc.saveas(path)
    return [str(path)]


def _wrong_place(tmp: Path) -> list[str]:
    world = tmp / "elsewhere.pgw"
    world.write_text("1\n0\n0\n-1\n603000.5\n1190000.5\n")
    return [str(PNG), "--world-file", str(world)]


@pytest.mark.parametrize(("make", "message"), [
    (_corrupt, "corrupt"), (_no_closed_shapes, "no closed shapes"),
    (_wrong_place, "outside Hanoi"),
])
def test_bad_files_exit_non_zero_and_leave_nothing(fresh, tmp_path, make, message) -> None:
    before = state(fresh)
    r = run(fresh, "import", *make(tmp_path), "--lang", "en")
    assert r.exit_code == 2
    assert message in r.stderr and r.stderr.startswith("error: ")
    assert state(fresh) == before


def test_bad_control_points_are_refused(fresh, tmp_path) -> None:
    before = state(fresh)
    r = run(fresh, "import", str(SCAN), "--gcp", "1,2,588300,2323800", "--gcp", "3,4,5")
    assert r.exit_code == 2 and "cột,hàng,x,y" in r.stderr
    r = run(fresh, "import", str(SCAN), "--gcps", str(GCPS), "--lang", "en")
    assert r.exit_code == 2 and "exceeds the threshold" in r.stderr
    assert state(fresh) == before


def test_analyse_on_the_sample_database(settings, engine, tmp_path) -> None:
    env = {"DATABASE_URL": settings.database_url, "QUYHOACH_PLAN_STORE": str(tmp_path)}
    with engine.connect() as c:
        project = c.execute(text("SELECT code FROM projects "
                                 "WHERE name = 'Xây dựng đường Thanh Nhàn'")).scalar_one()
        line = c.execute(text("SELECT id FROM red_lines WHERE road = 'Thanh Nhàn'")).scalar_one()
    runner = CliRunner()
    r = runner.invoke(main, ["plan", "analyse", "--project", project], env=env)
    assert r.exit_code == 0, r.output
    assert "Xây dựng đường Thanh Nhàn" in r.output and "GT" in r.output
    r = runner.invoke(main, ["plan", "analyse", "--red-line", str(line), "--lang", "en",
                             "--format", "json"], env=env)
    assert r.exit_code == 0, r.output
    doc = orjson.loads(r.stdout)
    assert doc["parcels_count"] == len(doc["parcels"]) > 0
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps({"type": "Polygon", "crs": "EPSG:5897", "coordinates": [[
        [588600, 2323250], [588740, 2323250], [588740, 2323350], [588600, 2323350],
        [588600, 2323250]]]}))
    r = runner.invoke(main, ["plan", "analyse", "--geojson", str(area), "--lang", "en"], env=env)
    assert r.exit_code == 0 and "MN    Water" in r.output
    r = runner.invoke(main, ["plan", "analyse", "--project", "NOPE"], env=env)
    assert r.exit_code == 2 and "NOPE" in r.stderr
    r = runner.invoke(main, ["plan", "analyse"], env=env)
    assert r.exit_code == 2


def test_sample_plans_load_twice_to_the_same_rows(fresh) -> None:
    _, engine, store = fresh
    query = text(
        "SELECT p.name, p.kind, p.source_format, p.file_path, p.is_sample, "
        "ST_AsText(p.footprint), (SELECT array_agg(z.code || ':' || coalesce(z.name, '') || ':' "
        "|| round(z.area_m2) ORDER BY z.code, z.name) FROM plan_zones z WHERE z.plan_id = p.id) "
        "FROM plans p WHERE p.is_sample ORDER BY p.name")
    with engine.connect() as c:
        others = c.execute(text("SELECT count(*) FROM plans WHERE NOT is_sample")).scalar_one()
    counts = load_sample_plans(engine, store=store)
    assert counts == {"plans": 3, "plan_zones": 15}
    with engine.connect() as c:
        first = c.execute(query).all()
    files = sorted(p.name for p in store.iterdir())
    load_sample_plans(engine, store=store)
    with engine.connect() as c:
        second = c.execute(query).all()
        kept = c.execute(text("SELECT count(*) FROM plans WHERE NOT is_sample")).scalar_one()
    assert first == second and len(first) == 3
    assert kept == others  # plans not from the sample stay
    assert sorted(p.name for p in store.iterdir()) == files
