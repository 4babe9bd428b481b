"""The programme layers (green spaces, workshops, alleys, public facilities, building permits).

They are served as collections with their vocabularies' codes and ground measures, loaded from
the sample without code of their own, and guarded by the database: a row that breaks an
entry's vocabulary or range is refused, and an import with such a row writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod
from shapely.geometry import shape
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from cli.main import main
from core.settings import PROJECT_ROOT, Settings
from gis.db import make_engine
from gis.srs import VN2000
from layers.accounts import add_user
from layers.migrate import upgrade
from layers.registry import LAYERS

NEW_LAYERS = ("green_spaces", "facilities", "alleys", "public_facilities", "building_permits")
SAMPLE = PROJECT_ROOT / "data" / "sample"
GEOD = Geod(ellps="WGS84")
IMPORTER = "nguoi.nhap"  # the account imports act for
X0, Y0 = 588_600.0, 2_323_900.0  # Hai Bà Trưng, VN-2000 / TM-3 105° (easting, northing)


def test_collections_list_the_five_new_layers(client) -> None:
    ids = {c["id"] for c in client.get("/collections").json()["collections"]}
    assert set(NEW_LAYERS) <= ids
    assert {"projects", "parcels", "lakes", "civilized_streets"} <= ids


@pytest.mark.parametrize("layer", NEW_LAYERS)
def test_items_carry_vocabulary_codes_and_ground_measures(client, layer: str) -> None:
    doc = client.get(f"/collections/{layer}/items", params={"limit": 200}).json()
    assert doc["numberReturned"] == min(200, doc["numberMatched"]) > 0
    spec = LAYERS[layer]
    vocabularies = {n: set(spec.values(n)) for n in spec.catalog.attributes if spec.values(n)}
    assert vocabularies or layer == "building_permits"
    for f in doc["features"]:
        props = f["properties"]
        for name, codes in vocabularies.items():
            assert props[name] in codes, (layer, name, props[name])
        geom = shape(f["geometry"])  # CRS84
        if spec.measure == "area_ha":
            ground = abs(GEOD.geometry_area_perimeter(geom)[0]) / 10_000
            assert props["area_ha"] == pytest.approx(ground, abs=1e-4)
        elif spec.measure == "length_m":
            assert props["length_m"] == pytest.approx(GEOD.geometry_length(geom), abs=0.02)
        else:
            assert "area_ha" not in props and "length_m" not in props


def test_a_filter_by_code_returns_only_that_value(client) -> None:
    doc = client.get("/collections/green_spaces/items",
                     params={"kind": "median_strip", "district": "long-bien"}).json()
    assert doc["numberMatched"] == 5
    assert {f["properties"]["kind"] for f in doc["features"]} == {"median_strip"}


def test_the_sample_loader_fills_every_layer_that_has_a_sample_file(conn: Connection) -> None:
    for layer in NEW_LAYERS:
        features = json.loads((SAMPLE / f"{layer}.geojson").read_text("utf-8"))["features"]
        assert conn.execute(text(f"SELECT count(*) FROM {layer}")).scalar_one() == len(features)
        version = conn.execute(text("SELECT version FROM layer_versions WHERE layer = :l"),
                               {"l": layer}).scalar_one()
        assert version > 1  # bumped by the load
    assert conn.execute(text("SELECT count(*) FROM programme_targets")).scalar_one() > 0


LINE = "ST_Multi(ST_GeomFromText('LINESTRING(588600 2323900, 588660 2323950)', 5897))"
POINT = "ST_GeomFromText('POINT(588600 2323900)', 5897)"
POLYGON = ("ST_Multi(ST_GeomFromText('POLYGON((588600 2323900, 588640 2323900, 588640 2323930, "
           "588600 2323900))', 5897))")
GOOD = {
    "alleys": ("name, district, kind, width_m, surface, lamps, geom",
               f"'Ngõ 1', 'hai-ba-trung', 'alley', {{width}}, {{surface}}, {{lamps}}, {LINE}"),
    "facilities": ("name, district, kind, status, listed_on, geom",
                   f"'Xưởng mộc', 'long-bien', {{kind}}, 'operating', '2022-03-01', {POINT}"),
    "public_facilities": ("name, district, kind, works, status, planned_year, geom",
                          f"'Trạm y tế', 'hai-ba-trung', 'health_station', {{works}}, "
                          f"'planned', {{year}}, {POINT}"),
    "green_spaces": ("name, district, kind, geom",
                     f"'Vườn hoa', {{district}}, {{gkind}}, {POLYGON}"),
    "building_permits": ("code, district, construction_started_on, geom",
                         f"{{code}}, 'hai-ba-trung', '2012-05-01', {POINT}"),
}
DEFAULTS = {"width": "2.5", "surface": "'concrete'", "lamps": "3", "kind": "'woodworking'",
            "works": "'new'", "year": "2014", "district": "'long-bien'", "code": "'XD-TEST-1'",
            "gkind": "'flower_garden'"}
BAD = [
    ("alleys", {"surface": "'gravel'"}, "alleys_surface_vocab"),
    ("alleys", {"width": "0.2"}, "alleys_width_m_range"),
    ("alleys", {"width": "75"}, "alleys_width_m_range"),
    ("alleys", {"lamps": "-1"}, "alleys_lamps_range"),
    ("facilities", {"kind": "'bakery'"}, "facilities_kind_vocab"),
    ("public_facilities", {"works": "'demolition'"}, "public_facilities_works_vocab"),
    ("public_facilities", {"year": "1890"}, "public_facilities_planned_year_range"),
    ("green_spaces", {"gkind": "'forest'"}, "green_spaces_kind_vocab"),
    ("green_spaces", {"district": "'Long Biên'"}, "green_spaces_district_slug"),
]


def _insert(conn: Connection, layer: str, **values: str) -> None:
    columns, template = GOOD[layer]
    conn.execute(text(f"INSERT INTO {layer} ({columns}) VALUES "
                      f"({template.format(**{**DEFAULTS, **values})})"))


@pytest.mark.parametrize(("layer", "values", "constraint"), BAD)
def test_the_database_refuses_values_outside_vocabularies_and_ranges(
        conn: Connection, layer: str, values: dict[str, str], constraint: str) -> None:
    with conn.begin_nested():
        _insert(conn, layer)  # the same row with good values goes in
    with pytest.raises(IntegrityError) as err, conn.begin_nested():
        _insert(conn, layer, **values)
    assert constraint in str(err.value.orig)


def test_a_construction_code_is_unique(conn: Connection) -> None:
    with conn.begin_nested():
        _insert(conn, "building_permits")
    with pytest.raises(IntegrityError) as err, conn.begin_nested():
        _insert(conn, "building_permits")
    assert "building_permits_key" in str(err.value.orig)


@pytest.fixture(scope="module")
def import_db(fresh_database) -> Iterator[tuple[Engine, str]]:
    """A migrated database of its own, empty, for imports."""
    url = fresh_database("newlayers")
    engine = make_engine(Settings(database_url=url), url)
    upgrade(engine)
    with engine.begin() as conn:
        add_user(conn, IMPORTER, "admin", "mật-khẩu-của-người-nhập")
    yield engine, url
    engine.dispose()


def _alleys_file(path: Path) -> Path:
    lines = [shapely.LineString([(X0 + 80 * i, Y0), (X0 + 80 * i + 50, Y0 + 40)])
             for i in range(4)]
    gpd.GeoDataFrame({
        "name": ["Ngõ 1 Lò Đúc", "Ngõ 2 Lò Đúc", "Ngõ 3 Lò Đúc", "Ngõ 4 Lò Đúc"],
        "district": ["hai-ba-trung"] * 4,
        "kind": ["alley"] * 4,
        "width_m": [2.5, 75.0, 1.8, 3.0],
        "surface": ["concrete", "concrete", "sỏi", "asphalt"],
        "lamps": [3, 2, 0, -2],
        "lit": [True, True, False, True],
    }, geometry=lines, crs=VN2000).to_file(path, engine="pyogrio")
    return path


def test_import_reports_each_bad_row_and_writes_nothing(import_db: tuple[Engine, str],
                                                        tmp_path: Path) -> None:
    engine, url = import_db
    path = _alleys_file(tmp_path / "alleys.gpkg")
    res = CliRunner().invoke(main, ["import", str(path), "--layer", "alleys", "--lang", "en"],
                             env={"DATABASE_URL": url, "QUYHOACH_USER": IMPORTER})
    assert res.exit_code == 1, res.output
    assert "Rows read: 4 · written: 0 · refused: 3" in res.stdout
    assert "row 2 (Ngõ 2 Lò Đúc): width_m" in res.stdout
    assert "row 3 (Ngõ 3 Lò Đúc): surface is not one of: asphalt, concrete, earth: sỏi" \
        in res.stdout
    assert "row 4 (Ngõ 4 Lò Đúc): lamps" in res.stdout
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM alleys")).scalar_one() == 0


def test_import_of_good_rows_lands_them_with_their_lengths(import_db: tuple[Engine, str],
                                                           tmp_path: Path) -> None:
    engine, url = import_db
    gdf = gpd.read_file(_alleys_file(tmp_path / "a.gpkg"))
    gdf.loc[1, "width_m"], gdf.loc[2, "surface"], gdf.loc[3, "lamps"] = 2.2, "earth", 4
    path = tmp_path / "good.gpkg"
    gdf.to_file(path, engine="pyogrio")
    res = CliRunner().invoke(main, ["import", str(path), "--layer", "alleys", "--lang", "en"],
                             env={"DATABASE_URL": url, "QUYHOACH_USER": IMPORTER})
    assert res.exit_code == 0, res.output
    with engine.begin() as c:
        rows = c.execute(text("SELECT surface, length_m FROM alleys ORDER BY id")).all()
        c.execute(text("TRUNCATE alleys RESTART IDENTITY"))
    assert [r.surface for r in rows] == ["concrete", "concrete", "earth", "asphalt"]
    assert all(r.length_m == pytest.approx(64.03, abs=0.1) for r in rows)
