"""`quyhoach import`: each format lands the right rows; a bad file leaves the layer untouched."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import Engine, text

from cli.import_ import IMPORT_LAYERS
from cli.main import main
from core.settings import Settings
from gis.db import libpq_url, make_engine
from gis.measure import area_m2, length_m
from gis.readers import CHUNK
from gis.srs import VN2000, WGS84, from_wgs84, to_wgs84
from layers.accounts import add_user
from layers.importer import IMPORTABLE as IMPORT_SPECS
from layers.importer import ImportParameterError, ImportRejectedError, import_file
from layers.migrate import upgrade

X0, Y0 = 592_000.0, 2_327_000.0  # Long Biên, VN-2000 / TM-3 105° (easting, northing)
IMPORTER = "nguoi.nhap"  # the account imports act for (--user / QUYHOACH_USER)
TABLES = ("parcels", "lakes", "red_lines", "red_line_markers", "civilized_streets", "wards")


@pytest.fixture(scope="module")
def db(fresh_database) -> Iterator[tuple[Engine, str]]:
    """A migrated database of its own, with two projects for the parcels to refer to."""
    url = fresh_database("import")
    engine = make_engine(Settings(database_url=url), url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO projects (code, name, district, funding, status, geom) VALUES "
            "('DA-01', 'Dự án 1', 'long-bien', 'budget', 'in_progress', "
            " ST_Multi(ST_MakeEnvelope(591000, 2326000, 596000, 2331000, 5897))),"
            "('DA-02', 'Dự án 2', 'long-bien', 'non_budget', 'planned', "
            " ST_Multi(ST_MakeEnvelope(591000, 2326000, 596000, 2331000, 5897)))"))
        add_user(conn, IMPORTER, "admin", "mật-khẩu-của-người-nhập")
    yield engine, libpq_url(url)
    engine.dispose()


@pytest.fixture
def target(db: tuple[Engine, str]) -> Iterator[Engine]:
    """The import database, emptied of imported rows after each test."""
    yield db[0]
    with db[0].begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY"))


def digest(engine: Engine, table: str) -> tuple[int, str | None]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            f"SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t.id)) FROM {table} t")).one())


def version(engine: Engine, layer: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version FROM layer_versions WHERE layer = :l"),
                            {"l": layer}).scalar_one()


def boxes(n: int, dx: float = 30.0) -> list[shapely.Polygon]:
    return [shapely.box(X0 + i * dx, Y0, X0 + i * dx + 20, Y0 + 25 + i) for i in range(n)]


def parcels_frame(n: int = 3) -> gpd.GeoDataFrame:
    geoms = boxes(n)
    return gpd.GeoDataFrame({
        "code": [f"PA-{i:05d}" for i in range(n)],
        "project_code": ["DA-01" if i % 2 == 0 else "DA-02" for i in range(n)],
        "land_user_kind": ["household"] * n,
        "status": ["approved"] * n,
        "published_on": ["2022-02-01"] * n,
        "approved_on": ["2022-03-15"] * n,
        "compensation_vnd": [1_000_000 * (i + 1) for i in range(n)],
    }, geometry=[shapely.MultiPolygon([g]) if i == 0 else g for i, g in enumerate(geoms)],
        crs=VN2000)


def write(gdf: gpd.GeoDataFrame, path: Path, **kw) -> Path:
    gdf.to_file(path, engine="pyogrio", **kw)
    return path


def lakes_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "name": ["Hồ Thạch Bàn", "Ao Bồ Đề"], "district": ["Long Biên", "long-bien"],
        "works": ["Nạo vét", "embankment"], "status": ["completed", "in_progress"],
        "completed_on": ["15/06/2022", None],
    }, geometry=boxes(2, dx=200), crs=VN2000)


# --- each format lands the right rows -------------------------------------------------------


def test_layers_of_the_cli_are_the_importable_ones() -> None:
    assert set(IMPORT_LAYERS) == set(IMPORT_SPECS)


def test_geopackage_parcels_land_with_their_areas(target: Engine, tmp_path: Path) -> None:
    gdf = parcels_frame(3)
    path = write(gdf, tmp_path / "parcels.gpkg", layer="phuong_an")
    result = import_file(target, path, "parcels")
    assert (result.read, result.written, result.refused_count) == (3, 3, 0)
    assert result.crs.startswith("EPSG:5897") and result.crs_origin == "file"
    with target.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.code, pr.code, p.status, p.approved_on::text, p.compensation_vnd, "
            "ST_GeometryType(p.geom), ST_Area(p.geom), p.area_m2 "
            "FROM parcels p JOIN projects pr ON pr.id = p.project_id ORDER BY p.code")).all()
    assert [r[:5] for r in rows] == [
        ("PA-00000", "DA-01", "approved", "2022-03-15", 1_000_000),
        ("PA-00001", "DA-02", "approved", "2022-03-15", 2_000_000),
        ("PA-00002", "DA-01", "approved", "2022-03-15", 3_000_000),
    ]
    for row, geom in zip(rows, boxes(3), strict=True):
        assert row[5] == "ST_MultiPolygon"
        assert row[6] == pytest.approx(geom.area, abs=1e-6)  # 500 m², 520 m², 540 m² on the grid
        assert row[7] == pytest.approx(area_m2(geom, VN2000), rel=1e-6)


@pytest.mark.filterwarnings("ignore:Column names longer than 10:UserWarning")
@pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning")
def test_shapefile_plain_and_zipped(target: Engine, tmp_path: Path) -> None:
    shp = write(lakes_frame(), tmp_path / "ho.shp")
    result = import_file(target, shp, "lakes")
    assert result.written == 2
    with target.connect() as conn:
        rows = conn.execute(text(
            "SELECT name, district, works, status, completed_on::text, round(area_m2::numeric, 3) "
            "FROM lakes ORDER BY name")).all()
    expected_area = [round(area_m2(g, VN2000), 3) for g in boxes(2, dx=200)]
    assert [tuple(r[:5]) for r in rows] == [
        ("Ao Bồ Đề", "long-bien", "embankment", "in_progress", None),
        ("Hồ Thạch Bàn", "long-bien", "dredging", "completed", "2022-06-15"),
    ]
    assert sorted(float(r[5]) for r in rows) == pytest.approx(sorted(expected_area), abs=1e-3)

    archive = tmp_path / "ho.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("ho.*"):
            if part.suffix != ".zip":
                z.write(part, f"ban_giao/{part.name}")
    with target.begin() as conn:
        conn.execute(text("TRUNCATE lakes"))
    result = import_file(target, archive, "lakes")
    assert result.format == "Shapefile (zip)" and result.written == 2
    assert digest(target, "lakes")[0] == 2


def test_geojson_lines_in_lonlat_are_transformed_with_the_datum_shift(
        target: Engine, tmp_path: Path) -> None:
    lonlat = [[(105.880, 21.040), (105.885, 21.042), (105.890, 21.041)],
              [(105.870, 21.030), (105.872, 21.035)]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"district": "long-bien", "road": road, "plan_ref": None},
         "geometry": {"type": "LineString", "coordinates": coords}}
        for road, coords in zip(["Nguyễn Văn Cừ", "Ngọc Lâm"], lonlat, strict=True)]}
    path = tmp_path / "chi_gioi.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = import_file(target, path, "red_lines")
    assert result.written == 2 and result.crs.startswith("EPSG:4326")
    with target.connect() as conn:
        rows = conn.execute(text(
            "SELECT road, ST_AsText(ST_Transform(geom, 4326)), length_m, "
            "ST_X(ST_StartPoint(ST_GeometryN(geom, 1))), ST_Y(ST_StartPoint(ST_GeometryN(geom, 1)))"
            " FROM red_lines ORDER BY id")).all()
    assert [r[0] for r in rows] == ["Nguyễn Văn Cừ", "Ngọc Lâm"]
    for (_, wkt, length, x, y), coords in zip(rows, lonlat, strict=True):
        back = shapely.get_coordinates(shapely.from_wkt(wkt))
        assert np.allclose(back, coords, atol=1e-8)
        assert length == pytest.approx(length_m(shapely.LineString(coords), WGS84), rel=1e-6)
        ex, ny = from_wgs84(*coords[0])  # PROJ's EPSG:5897, with the VN-2000 datum shift
        assert (x, y) == (pytest.approx(ex, abs=1e-3), pytest.approx(ny, abs=1e-3))


def test_dxf_lines_and_closed_polylines(target: Engine, tmp_path: Path) -> None:
    doc = ezdxf.new()
    msp = doc.modelspace()
    msp.add_lwpolyline([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 50)],
                       dxfattribs={"layer": "Nguyen Van Cu"})
    msp.add_line((X0, Y0 + 200), (X0 + 30, Y0 + 240), dxfattribs={"layer": "Ngoc Lam"})
    msp.add_text("CGDD", dxfattribs={"layer": "TEXT", "insert": (X0 + 10, Y0 + 10)})
    msp.add_lwpolyline([(X0, Y0 + 300), (X0 + 40, Y0 + 300), (X0 + 40, Y0 + 330), (X0, Y0 + 330)],
                       close=True, dxfattribs={"layer": "HO"})
    path = tmp_path / "ban_ve.dxf"
    doc.saveas(path)

    result = import_file(target, path, "red_lines", mapping={"Layer": "road"},
                         values={"district": "long-bien"})
    assert result.crs_origin == "assumed" and result.crs.startswith("EPSG:5897")
    assert (result.written, result.ignored_rows) == (3, 1)  # the text is left out
    with target.connect() as conn:
        lengths = dict(conn.execute(text("SELECT road, ST_Length(geom) FROM red_lines")).all())
    assert lengths["Nguyen Van Cu"] == pytest.approx(150.0, abs=1e-9)
    assert lengths["Ngoc Lam"] == pytest.approx(50.0, abs=1e-9)

    result = import_file(target, path, "lakes", mapping={"Layer": "name"},
                         values={"district": "long-bien", "works": "renovation",
                                 "status": "planned"})
    assert (result.written, result.ignored_rows) == (1, 3)
    with target.connect() as conn:
        assert conn.execute(text("SELECT name, ST_Area(geom) FROM lakes")).one() == \
            ("HO", pytest.approx(1200.0, abs=1e-9))


def test_csv_vn2000_x_is_the_northing(target: Engine, tmp_path: Path) -> None:
    path = tmp_path / "moc.csv"
    path.write_text(
        "Số hiệu mốc,X,Y,district,road,status,Ngày đo đạc\n"
        "M1,2327012.345,592101.234,long-bien,Nguyễn Văn Cừ,planted,05/03/2022\n"
        "M2, 2327100.000 ,592150.5,long-bien,Nguyễn Văn Cừ,planned,\n", encoding="utf-8")
    result = import_file(target, path, "red_line_markers", mapping={"Số hiệu mốc": "code"})
    assert result.written == 2 and result.crs.startswith("EPSG:5897")
    with target.connect() as conn:
        rows = conn.execute(text(
            "SELECT code, northing_m::text, easting_m::text, ST_X(geom), ST_Y(geom), "
            "surveyed_on::text FROM red_line_markers ORDER BY code")).all()
    assert rows == [("M1", "2327012.345", "592101.234", 592101.234, 2327012.345, "2022-03-05"),
                    ("M2", "2327100.000", "592150.500", 592150.5, 2327100.0, None)]


def test_csv_lonlat(target: Engine, tmp_path: Path) -> None:
    path = tmp_path / "moc_wgs84.csv"
    path.write_text("code;kinh_do;vi_do;district;road;status\n"
                    "L1;105,8812345;21,0401234;long-bien;Ngọc Lâm;planted\n", encoding="utf-8")
    result = import_file(target, path, "red_line_markers")
    assert result.written == 1 and result.crs.startswith("EPSG:4326")
    with target.connect() as conn:
        n, e = conn.execute(text("SELECT northing_m, easting_m FROM red_line_markers")).one()
    ex, ny = from_wgs84(105.8812345, 21.0401234)
    assert float(e) == pytest.approx(ex, abs=5e-4) and float(n) == pytest.approx(ny, abs=5e-4)
    lon, lat = to_wgs84(float(e), float(n))
    assert (lon, lat) == (pytest.approx(105.8812345, abs=1e-7), pytest.approx(21.0401234, abs=1e-7))


# --- bad files leave the layer untouched ------------------------------------------------------


def test_one_invalid_geometry_refuses_the_whole_file(target: Engine, tmp_path: Path) -> None:
    import_file(target, write(parcels_frame(2), tmp_path / "first.gpkg"), "parcels")
    before = digest(target, "parcels")
    gdf = parcels_frame(4)
    gdf["code"] = [f"PB-{i}" for i in range(4)]
    x, y = X0 + 500, Y0
    gdf.loc[2, "geometry"] = shapely.Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])
    path = write(gdf, tmp_path / "bowtie.gpkg")
    with pytest.raises(ImportRejectedError) as err:
        import_file(target, path, "parcels")
    assert digest(target, "parcels") == before
    result = err.value.result
    assert (result.read, result.written, result.refused_count) == (4, 0, 1)
    assert result.refused[0].row == 3 and result.refused[0].key == "PB-2"
    assert "Self-intersection" in result.refused[0].text("en")
    assert "hình học không hợp lệ" in result.refused[0].text("vi")
    assert "nothing was written" in err.value.message_en

    result = import_file(target, path, "parcels", skip_invalid=True)
    assert (result.written, result.refused_count) == (3, 1)
    assert digest(target, "parcels")[0] == before[0] + 3


def test_fix_repairs_and_reports(target: Engine, tmp_path: Path) -> None:
    gdf = parcels_frame(1)
    x, y = X0, Y0
    gdf.loc[0, "geometry"] = shapely.Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])
    result = import_file(target, write(gdf, tmp_path / "fix.gpkg"), "parcels", fix=True)
    assert result.written == 1 and len(result.fixed) == 1
    assert "Self-intersection" in result.fixed[0][1] and "area 0.0 m² → 50.0 m²" in result.fixed[0][1]
    with target.connect() as conn:
        assert conn.execute(text("SELECT ST_Area(geom) FROM parcels")).scalar_one() == \
            pytest.approx(50.0)


def test_unknown_status_and_unknown_project_are_refused(target: Engine, tmp_path: Path) -> None:
    gdf = parcels_frame(3)
    gdf.loc[1, "status"] = "đã xong"
    gdf.loc[2, "project_code"] = "DA-99"
    path = write(gdf, tmp_path / "bad_attrs.gpkg")
    with pytest.raises(ImportRejectedError) as err:
        import_file(target, path, "parcels")
    assert digest(target, "parcels") == (0, None)
    texts = [r.text("en") for r in err.value.result.refused]
    assert texts == [
        "row 2 (PA-00001): status is not one of: drafted, published, approved, paid, "
        "handed_over: đã xong",
        "row 3 (PA-00002): no project with code DA-99",
    ]


def test_duplicates_in_file_and_in_layer(target: Engine, tmp_path: Path) -> None:
    path = write(parcels_frame(2), tmp_path / "p.gpkg")
    import_file(target, path, "parcels")
    before = digest(target, "parcels")
    with pytest.raises(ImportRejectedError) as err:
        import_file(target, path, "parcels")
    assert [r.text("en") for r in err.value.result.refused] == [
        "row 1 (PA-00000): code PA-00000 already exists in layer parcels",
        "row 2 (PA-00001): code PA-00001 already exists in layer parcels"]
    gdf = parcels_frame(3)
    gdf["code"] = ["PC-1", "PC-2", "PC-1"]
    with pytest.raises(ImportRejectedError) as err:
        import_file(target, write(gdf, tmp_path / "dup.gpkg"), "parcels")
    assert [r.text("en") for r in err.value.result.refused] == [
        "row 3 (PC-1): code PC-1 repeats within the file"]
    assert digest(target, "parcels") == before


@pytest.mark.parametrize(("body", "crs", "expected"), [
    # VN-2000 metres in a GeoJSON, which GDAL reads as WGS 84 degrees.
    ("vn2000_as_degrees", None, "VN-2000 metres declared as degrees"),
    ("lonlat", "EPSG:5897", "longitude/latitude degrees declared as projected metres"),
    ("swapped", None, "X and Y are swapped"),
    ("saigon", None, "another province"),
])
def test_wrong_crs_is_explained(target: Engine, tmp_path: Path, body: str, crs: str | None,
                                expected: str) -> None:
    import_file(target, write(lakes_frame(), tmp_path / "ok.gpkg"), "lakes")
    before = digest(target, "lakes")
    ring = [(X0, Y0), (X0 + 50, Y0), (X0 + 50, Y0 + 40), (X0, Y0 + 40), (X0, Y0)]
    if body == "lonlat":
        ring = [to_wgs84(x, y) for x, y in ring]
    elif body == "swapped":
        ring = [(y, x) for x, y in ring]
    elif body == "saigon":
        ring = [(106.70 + x / 1e5, 10.78 + y / 1e5) for x, y in [(0, 0), (5, 0), (5, 4), (0, 4),
                                                                  (0, 0)]]
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "name": "Hồ", "district": "long-bien", "works": "dredging", "status": "planned"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    suffix = ".geojson"
    path = tmp_path / f"{body}{suffix}"
    path.write_text(json.dumps(doc))
    if body == "swapped":  # a projected file with northing first
        path = write(gpd.read_file(path).set_crs(VN2000, allow_override=True),
                     tmp_path / "swapped.gpkg")
    with pytest.raises(ImportRejectedError) as err:
        import_file(target, path, "lakes", crs=crs)
    assert expected in err.value.message_en
    assert "Hà Nội" in err.value.message
    assert digest(target, "lakes") == before


def test_csv_with_x_as_easting_is_explained(target: Engine, tmp_path: Path) -> None:
    path = tmp_path / "moc.csv"
    path.write_text("code,X,Y,district,road,status\nM1,592101.2,2327012.3,long-bien,A,planted\n")
    with pytest.raises(ImportRejectedError) as err:
        import_file(target, path, "red_line_markers")
    assert "X is the northing and Y the easting" in err.value.message_en
    assert "--map x=easting --map y=northing" in err.value.message_en
    result = import_file(target, path, "red_line_markers", mapping={"X": "easting", "Y": "northing"})
    assert result.written == 1


@pytest.mark.parametrize(("name", "body", "expected"), [
    ("garbage.gpkg", b"\x00\x17not a geopackage" * 64, "Cannot read garbage.gpkg"),
    ("empty.geojson", b"", "is empty (0 bytes)"),
    ("no_rows.geojson", b'{"type": "FeatureCollection", "features": []}', "holds no rows"),
])
def test_unreadable_and_empty_files(target: Engine, tmp_path: Path, name: str, body: bytes,
                                    expected: str) -> None:
    import_file(target, write(parcels_frame(2), tmp_path / "ok.gpkg"), "parcels")
    before = digest(target, "parcels")
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(ImportRejectedError) as err:
        import_file(target, path, "parcels")
    assert expected in err.value.message_en
    assert digest(target, "parcels") == before


def test_missing_required_column_and_bad_mapping(target: Engine, tmp_path: Path) -> None:
    path = write(parcels_frame(1).drop(columns="status"), tmp_path / "nostatus.gpkg")
    with pytest.raises(ImportRejectedError) as err:
        import_file(target, path, "parcels")
    assert "Required columns missing: status" in err.value.message_en
    with pytest.raises(ImportParameterError):
        import_file(target, path, "parcels", mapping={"nope": "status"})
    assert digest(target, "parcels") == (0, None)
    gdf = parcels_frame(2).drop(columns=["status", "project_code"])
    path = write(gdf, tmp_path / "set.gpkg")
    result = import_file(target, path, "parcels",
                         values={"status": "published", "project_code": "DA-02"})
    assert result.written == 2
    with target.connect() as conn:
        assert conn.execute(text(
            "SELECT DISTINCT p.status, pr.code FROM parcels p JOIN projects pr "
            "ON pr.id = p.project_id")).all() == [("published", "DA-02")]


def test_dry_run_writes_nothing(target: Engine, tmp_path: Path) -> None:
    before = version(target, "parcels")
    result = import_file(target, write(parcels_frame(3), tmp_path / "p.gpkg"), "parcels",
                         dry_run=True)
    assert (result.read, result.valid, result.written) == (3, 3, 0)
    assert "would write: 3" in result.summary("en")
    assert digest(target, "parcels") == (0, None)
    assert version(target, "parcels") == before


def test_database_error_mid_copy_rolls_everything_back(target: Engine, tmp_path: Path) -> None:
    n = CHUNK + 500  # the refused row is in the second chunk, after the first was sent
    gdf = gpd.GeoDataFrame({
        "code": [f"PX-{i}" for i in range(n)], "project_code": "DA-01",
        "land_user_kind": "household", "status": "drafted",
    }, geometry=shapely.box(X0 + np.arange(n) % 200 * 30, Y0 + np.arange(n) // 200 * 30,
                            X0 + np.arange(n) % 200 * 30 + 20, Y0 + np.arange(n) // 200 * 30 + 20),
        crs=VN2000)
    path = write(gdf, tmp_path / "big.gpkg")
    with target.begin() as conn:
        conn.execute(text(
            "CREATE FUNCTION refuse_px() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.code = 'PX-" + str(n - 1) + "' THEN RAISE EXCEPTION 'thửa bị khóa'; END IF; "
            "RETURN NEW; END $$;"
            "CREATE TRIGGER refuse_px BEFORE INSERT ON parcels FOR EACH ROW "
            "EXECUTE FUNCTION refuse_px()"))
    try:
        with pytest.raises(ImportRejectedError) as err:
            import_file(target, path, "parcels")
        assert "The database refused the data; nothing was written" in err.value.message_en
        assert "thửa bị khóa" in err.value.message
        assert digest(target, "parcels") == (0, None)
    finally:
        with target.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_px ON parcels; DROP FUNCTION refuse_px()"))
    result = import_file(target, path, "parcels")
    assert result.written == n
    with target.connect() as conn:
        assert conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'parcels'")
                            ).scalar_one() == n  # ANALYZE ran


# --- the command line -------------------------------------------------------------------------


def test_cli_exit_codes_and_summaries(db: tuple[Engine, str], target: Engine,
                                      tmp_path: Path) -> None:
    url = db[1]
    runner = CliRunner()
    path = write(parcels_frame(3), tmp_path / "p.gpkg")
    res = runner.invoke(main, ["import", str(path), "--layer", "parcels", "--dry-run"],
                        env={"DATABASE_URL": url, "QUYHOACH_USER": IMPORTER})
    assert res.exit_code == 0, res.output
    assert "Số dòng đọc: 3 · sẽ ghi: 3 · bị từ chối: 0" in res.stdout
    assert "Rows read: 3 · would write: 3 · refused: 0" in res.stdout
    assert digest(target, "parcels") == (0, None)

    res = runner.invoke(main, ["import", str(path), "--layer", "parcels"], env={"DATABASE_URL": url, "QUYHOACH_USER": IMPORTER})
    assert res.exit_code == 0, res.output
    assert "Rows read: 3 · written: 3 · refused: 0" in res.stdout
    assert digest(target, "parcels")[0] == 3

    res = runner.invoke(main, ["import", str(path), "--layer", "parcels", "--lang", "en"],
                        env={"DATABASE_URL": url, "QUYHOACH_USER": IMPORTER})
    assert res.exit_code == 1
    assert "Rows read: 3 · written: 0 · refused: 3" in res.stdout
    assert "row 1 (PA-00000): code PA-00000 already exists in layer parcels" in res.stdout
    assert "Error: 3 row(s) refused; nothing was written" in res.stderr
    assert "Lỗi" not in res.stderr and "Số dòng" not in res.stdout

    garbage = tmp_path / "x.gpkg"
    garbage.write_bytes(b"garbage" * 100)
    res = runner.invoke(main, ["import", str(garbage), "--layer", "parcels"],
                        env={"DATABASE_URL": url, "QUYHOACH_USER": IMPORTER})
    assert res.exit_code == 1
    assert "Lỗi: Không đọc được tệp x.gpkg" in res.stderr and "Error: Cannot read" in res.stderr

    res = runner.invoke(main, ["import", str(path), "--layer", "parcels", "--map", "status"],
                        env={"DATABASE_URL": url, "QUYHOACH_USER": IMPORTER})
    assert res.exit_code == 2
    res = runner.invoke(main, ["import", str(path), "--layer", "parcels", "--crs", "EPSG:nope"],
                        env={"DATABASE_URL": url, "QUYHOACH_USER": IMPORTER})
    assert res.exit_code == 2 and "Unknown CRS" in res.stderr
    assert digest(target, "parcels")[0] == 3
