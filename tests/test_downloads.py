"""Layer downloads (`f=` on /items, `quyhoach export`): each file holds what the items hold.

Every file is opened with GDAL (pyogrio) or ezdxf and compared, feature by feature, with the
GeoJSON items of the same request: the same ids, the same attribute values (Vietnamese text
intact), coordinates in the CRS the file declares.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import ezdxf
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from cli.main import main
from layers import downloads
from layers.downloads import dxf_layers
from layers.registry import LAYERS
from tests.accounts_helpers import make_account

SELECTIONS = {
    "lakes": [{}, {"filter": "works IN ('dredging', 'renovation')"}],
    "parcels": [{}, {"filter": "status = 'approved' AND area_ha > 0.01"}],
}
GDAL_FORMATS = ("csv", "gpkg", "shp", "kml", "fgb")


def _items(client, layer: str, params: dict[str, str], headers=None) -> dict[int, dict[str, Any]]:
    r = client.get(f"/collections/{layer}/items", params={**params, "limit": 10000},
                   headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["numberReturned"] == body["numberMatched"]
    return {f["id"]: f["properties"] for f in body["features"]}


def _norm(v: Any) -> Any:
    """A value as any format may write it: numbers as floats, dates as ISO days, '' as None."""
    if v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v)) or v == "":
        return None
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()[:10]
    if hasattr(v, "isoformat"):  # numpy / pandas timestamps
        return str(v)[:10]
    if isinstance(v, bool):
        return v
    try:
        return round(float(v), 4)
    except (TypeError, ValueError):
        return str(v)[:10] if len(str(v)) >= 10 and str(v)[4] == "-" and str(v)[7] == "-" \
            and str(v)[:4].isdigit() else str(v)


def _download(client, layer: str, fmt: str, tmp_path: Path, params=None, headers=None) -> Path:
    r = client.get(f"/collections/{layer}/items", params={"f": fmt, **(params or {})},
                   headers=headers)
    assert r.status_code == 200, r.text
    path = tmp_path / f"{layer}-{fmt}.{'zip' if fmt == 'shp' else fmt}"
    path.write_bytes(r.content)
    return path


def _gdal_path(path: Path) -> str:
    return f"/vsizip/{path}" if path.suffix == ".zip" else str(path)


def _field_of(column: str, names: list[str]) -> str | None:
    """The file's field of an items column (Shapefile names are cut to 10 characters)."""
    return next((n for n in names if n == column or (len(n) == 10 and column[:10] == n)), None)


def _kml_rows(path: Path) -> dict[int, dict[str, Any]]:
    """Each Placemark's name and ExtendedData (GDAL gives a Placemark's own id as "id")."""
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    out = {}
    for pm in ET.parse(path).getroot().iter(f"{{{ns['k']}}}Placemark"):
        row: dict[str, Any] = {d.get("name"): d.text for d in pm.iter(f"{{{ns['k']}}}SimpleData")}
        row["Name"] = pm.findtext("k:name", namespaces=ns)
        out[int(row["id"])] = row
    return out


@pytest.mark.parametrize("layer", ["lakes", "parcels"])
@pytest.mark.parametrize("fmt", GDAL_FORMATS)
def test_each_format_holds_the_items(client, tmp_path, layer, fmt):
    """Count, ids and every attribute value equal the items', for the layer and a filter."""
    title_field = LAYERS[layer].catalog.popup.title
    for params in SELECTIONS[layer]:
        expected = _items(client, layer, params)
        assert expected, params
        path = _download(client, layer, fmt, tmp_path, params)
        df = pyogrio.read_dataframe(_gdal_path(path))
        assert len(df) == len(expected), (fmt, params)
        names = list(df.columns)
        got = _kml_rows(path) if fmt == "kml" else {int(r["id"]): r for _, r in df.iterrows()}
        names = list(next(iter(got.values())).keys()) if fmt == "kml" else names
        assert set(got) == set(expected)
        columns = next(iter(expected.values())).keys()
        for fid, props in expected.items():
            row = got[fid]
            for column in columns:
                # KML leaves out an empty value.
                field = _field_of(column, names) or (column if fmt == "kml" else None)
                if fmt == "kml" and column == title_field:
                    field = "Name"
                assert field is not None, (fmt, column, names)
                assert _norm(row.get(field)) == _norm(props[column]), (fmt, fid, column)


def test_crs_of_each_format(client, tmp_path):
    """GeoPackage, FlatGeobuf and KML in lon/lat by default; Shapefile in VN-2000 with a .prj."""
    for fmt, epsg in (("gpkg", 4326), ("fgb", 4326), ("kml", 4326), ("shp", 5897)):
        info = pyogrio.read_info(_gdal_path(_download(client, "lakes", fmt, tmp_path)))
        assert info["crs"] == f"EPSG:{epsg}", fmt
    path = _download(client, "lakes", "gpkg", tmp_path, {"crs": "EPSG:5897"})
    info = pyogrio.read_info(str(path))
    assert info["crs"] == "EPSG:5897"
    x1, y1, x2, y2 = pyogrio.read_bounds(str(path))[1].T[0]
    assert 5.2e5 < x1 < 6.1e5 and 2.27e6 < y1 < 2.37e6
    with zipfile.ZipFile(_download(client, "lakes", "shp", tmp_path)) as zf:
        names = zf.namelist()
        assert {n.rsplit(".", 1)[1] for n in names} >= {"shp", "shx", "dbf", "prj", "cpg"}
        cpg = next(n for n in names if n.endswith(".cpg"))
        assert zf.read(cpg).decode().strip().upper() in ("UTF-8", "UTF8")


def test_csv_is_excel_friendly(client, tmp_path):
    """UTF-8 with a BOM, geometry as WKT (polygons) or X/Y columns (points), Vietnamese intact."""
    r = client.get("/collections/lakes/items", params={"f": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    text_ = r.content.decode("utf-8-sig")
    assert text_.splitlines()[0].startswith("WKT,")
    names = {p["name"] for p in _items(client, "lakes", {}).values()}
    assert any(not n.isascii() for n in names)
    for name in names:
        assert name in text_
    r = client.get("/collections/red_line_markers/items", params={"f": "csv", "crs": "EPSG:5897"})
    assert r.status_code == 200, r.text
    header = r.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:2] == ["X", "Y"]
    x, y = (float(v) for v in r.content.decode("utf-8-sig").splitlines()[1].split(",")[:2])
    assert 5.2e5 < x < 6.1e5 and 2.27e6 < y < 2.37e6


def test_dxf_is_vn2000_with_a_layer_per_category(client, tmp_path):
    """The drawing opens in ezdxf, in VN-2000 metres, one CAD layer per status, ids in XDATA."""
    expected = _items(client, "parcels", {})
    r = client.get("/collections/parcels/items", params={"crs": "EPSG:5897", "limit": 10000})
    vertices = {f["id"]: {(x, y) for poly in f["geometry"]["coordinates"]
                          for ring in poly for x, y in ring} for f in r.json()["features"]}
    doc = ezdxf.readfile(_download(client, "parcels", "dxf", tmp_path))
    msp = doc.modelspace()
    entities = list(msp)
    assert entities
    ids: set[int] = set()
    layers_used = set()
    for e in entities:
        xdata = dict(v.split("=", 1) for _, v in e.get_xdata("QUYHOACH"))
        ids.add(int(xdata["id"]))
        assert "compensation_vnd" not in xdata
        props = expected[int(xdata["id"])]
        assert xdata["code"] == props["code"]
        assert e.dxf.layer == dxf_layers(LAYERS["parcels"], "vi")[props["status"]][0]
        layers_used.add(e.dxf.layer)
        for x, y in e.get_points("xy"):
            assert 5.25e5 < x < 6.1e5 and 2.27e6 < y < 2.367e6
            assert min(math.dist((x, y), v) for v in vertices[int(xdata["id"])]) < 0.002
    assert ids == set(expected)
    statuses = {p["status"] for p in expected.values()}
    assert len(layers_used) == len(statuses) > 1
    assert any(not name.isascii() for name in layers_used)
    for name in layers_used:
        assert doc.layers.get(name).rgb is not None
    # GDAL reads it as well, with the same extent.
    info = pyogrio.read_info(str(tmp_path / "parcels-dxf.dxf"))
    assert info["features"] == len(entities) or info["features"] == -1


def test_anonymous_downloads_have_no_staff_attributes(client, engine, tmp_path):
    """compensation_vnd is in a staff reader's file only."""
    anon = pyogrio.read_info(str(_download(client, "parcels", "gpkg", tmp_path)))
    assert "compensation_vnd" not in list(anon["fields"])
    _, headers = make_account(engine, "viewer")
    staff = pyogrio.read_info(str(_download(client, "parcels", "fgb", tmp_path, headers=headers)))
    assert "compensation_vnd" in list(staff["fields"])


def test_file_names_and_accept(client):
    """A Vietnamese file name with an ASCII fallback; Accept chooses a format without `f`."""
    r = client.get("/collections/lakes/items", headers={"Accept": "application/geopackage+sqlite3"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geopackage+sqlite3"
    cd = r.headers["content-disposition"]
    assert cd.startswith("attachment; filename=\"")
    fallback = cd.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".gpkg")
    encoded = cd.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == f"{LAYERS['lakes'].title_vi}.gpkg"
    assert client.get("/collections/lakes/items").headers["content-type"] == "application/geo+json"
    assert client.get("/collections/lakes/items",
                      params={"f": "geojson"}).json()["type"] == "FeatureCollection"


@pytest.mark.parametrize("params, words", [
    ({"f": "xlsx"}, ["xlsx", "gpkg", "dxf", "csv"]),
    ({"f": "dxf", "crs": "EPSG:4326"}, ["dxf", "EPSG:5897"]),
    ({"f": "kml", "crs": "EPSG:5897"}, ["kml", "CRS84"]),
    ({"f": "gpkg", "crs": "EPSG:9999"}, ["EPSG:9999"]),
    ({"f": "csv", "filter": "nope = 1"}, ["nope"]),
])
def test_bad_downloads_are_400(client, params, words):
    """An unknown format, a CRS the format cannot hold, a bad filter: 400 in both languages."""
    r = client.get("/collections/lakes/items", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    for word in words:
        assert word in body["description_en"]
    assert body["description_vi"] != body["description_en"]


def test_cli_export_and_its_limit(settings, tmp_path, monkeypatch):
    """`quyhoach export` writes the same file; above the configured limit it says so."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    runner = CliRunner()
    out = tmp_path / "hồ.dxf"
    r = runner.invoke(main, ["export", "lakes", "--format", "dxf", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert len({e.get_xdata("QUYHOACH")[0].value for e in ezdxf.readfile(out).modelspace()}) > 0
    out = tmp_path / "parcels.gpkg"
    r = runner.invoke(main, ["export", "parcels", "--format", "gpkg", "--out", str(out),
                             "--crs", "EPSG:5897", "--filter", "status = 'approved'"])
    assert r.exit_code == 0, r.output
    info = pyogrio.read_info(str(out))
    assert info["crs"] == "EPSG:5897" and info["features"] > 0
    monkeypatch.setenv("QUYHOACH_EXPORT_MAX_FEATURES", "3")
    r = runner.invoke(main, ["export", "parcels", "--format", "csv", "--out",
                             str(tmp_path / "x.csv"), "--lang", "en"])
    assert r.exit_code != 0
    assert "limit of 3" in r.output and "filter" in r.output
    assert not (tmp_path / "x.csv").exists()


def test_rows_arrive_in_batches(client, tmp_path, monkeypatch):
    """Small batches from the server-side cursor make the same file as one batch."""
    seen: list[int] = []
    monkeypatch.setattr(downloads, "BATCH_ROWS", 7)
    write = downloads.write

    def counting(*args, **kwargs):
        kwargs["progress"] = seen.append
        return write(*args, **kwargs)

    monkeypatch.setattr(downloads, "write", counting)
    expected = _items(client, "parcels", {})
    df = pyogrio.read_dataframe(str(_download(client, "parcels", "gpkg", tmp_path)))
    assert sorted(df["id"]) == sorted(expected)
    assert max(seen) == 7 and sum(seen) == len(expected) and len(seen) > 10
