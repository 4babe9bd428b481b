"""Outside files are opened by the drivers we mean only: no VRT, no network, bounded sizes.

Plan uploads (`POST /plans`) and `quyhoach import` are given files whose name says one format
while the content is an OGR VRT document naming a local file or a URL; zips with unexpected
members; images declaring far more pixels than they hold. Each is refused with a 4xx, nothing is
written, the local file's content never comes back, and GDAL connects to nothing.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import rasterio
from rasterio.transform import Affine
from sqlalchemy import Engine, text

from core.settings import Settings
from gis.db import make_engine
from layers.importer import ImportRejectedError, import_file
from layers.migrate import upgrade
from layers.plans import SAMPLE_PLAN_DIR, SAMPLE_STEM

META = json.loads((SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.json").read_text("utf-8"))
(X0, YT), _, (X1, YB), _ = META["corners"]
SQUARE = f"POLYGON(({X0 + 10} {YB + 10},{X0 + 60} {YB + 10},{X0 + 60} {YB + 60},{X0 + 10} {YB + 60}," \
         f"{X0 + 10} {YB + 10}))"
ROOT = Path(__file__).resolve().parents[1]


# --- a secret, a listener and the documents that point at them ------------------------------


@pytest.fixture
def secret(tmp_path: Path) -> tuple[Path, str]:
    """A local file no upload may read, with a marker to look for in answers."""
    marker = f"QUYHOACH-SECRET-{uuid.uuid4().hex}"
    path = tmp_path / "secret.csv"
    path.write_text(f"secret\n{marker}\n", "utf-8")
    return path, marker


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback TCP port that records every connection made to it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(0.1)
    hits: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    hits.append(conn.recv(500) or b"(connected)")
                except OSError:
                    hits.append(b"(connected)")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield srv.getsockname()[1], hits
    time.sleep(0.3)  # a connection made at the very end is still recorded
    stop.set()
    thread.join(2)
    srv.close()


def vrt(source: str, layer: str, select: str) -> bytes:
    """An OGR VRT document turning the rows of `source` into polygons in Hanoi."""
    return (
        "<OGRVRTDataSource><OGRVRTLayer name=\"plan\">"
        f"<SrcDataSource>{source}</SrcDataSource>"
        f"<SrcSQL dialect=\"SQLITE\">SELECT {select}, '{SQUARE}' AS wkt FROM \"{layer}\"</SrcSQL>"
        "<GeometryType>wkbPolygon</GeometryType><LayerSRS>EPSG:5897</LayerSRS>"
        "<GeometryField encoding=\"WKT\" field=\"wkt\"/>"
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def source_of(secret: Path, port: int, remote: bool) -> str:
    return f"/vsicurl/http://127.0.0.1:{port}/{secret.name}" if remote else f"CSV:{secret}"


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in members.items():
            z.writestr(name, body)
    return buf.getvalue()


def plan_geojson() -> bytes:
    """A valid one-zone plan in VN-2000 (EPSG:5897)."""
    ring = [[X0 + 10, YB + 10], [X0 + 60, YB + 10], [X0 + 60, YB + 60], [X0 + 10, YB + 60],
            [X0 + 10, YB + 10]]
    return json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::5897"}},
        "features": [{"type": "Feature", "properties": {"code": "CX", "name": "CX-99"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}}],
    }).encode()


def plan_counts(client, engine: Engine) -> tuple[int, int]:
    """Plans as served, and zones as stored."""
    plans = len(client.get("/plans").json()["features"])
    with engine.connect() as c:
        return plans, c.execute(text("SELECT count(*) FROM plan_zones")).scalar_one()


def assert_clean(body: str, marker: str | None = None) -> None:
    """No temporary path, scratch name or secret in a body a person reads."""
    assert "/tmp" not in body and "quyhoach-plan-" not in body and "upload." not in body, body
    if marker:
        assert marker not in body


# --- plan uploads -------------------------------------------------------------------------


@pytest.mark.parametrize("remote", [False, True], ids=["local-file", "vsicurl"])
@pytest.mark.parametrize("packing", ["plan.geojson", "zip/plan.geojson", "zip/plan.vrt"])
def test_a_vrt_upload_is_refused_and_reads_nothing(client, engine, secret, listener, packing,
                                                   editor_headers,
                                                   remote) -> None:
    path, marker = secret
    port, hits = listener
    doc = vrt(source_of(path, port, remote), path.stem, "secret AS name, 'CX' AS code")
    if packing == "plan.geojson":
        files = {"file": ("plan.geojson", doc, "application/geo+json")}
    else:
        files = {"file": ("plan.zip", zipped({packing.split("/")[1]: doc}), "application/zip")}
    before = plan_counts(client, engine)
    r = client.post("/plans?lang=en", headers=editor_headers, files=files)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["description_vi"] and r.json()["description_en"]
    assert_clean(r.text, marker)
    assert plan_counts(client, engine) == before
    time.sleep(0.2)
    assert hits == []


ZIPS = {
    "path traversal": {"../plan.geojson": plan_geojson()},
    "nested archive": {"inner.zip": zipped({"plan.geojson": plan_geojson()})},
    "unexpected member": {"plan.geojson": plan_geojson(), "run.sh": b"#!/bin/sh\n"},
}


@pytest.mark.parametrize("case", list(ZIPS))
def test_zips_hold_only_the_expected_members(client, engine, case, editor_headers) -> None:
    before = plan_counts(client, engine)
    r = client.post("/plans?lang=en", headers=editor_headers,
                    files={"file": ("plan.zip", zipped(ZIPS[case]), "application/zip")})
    assert r.status_code == 422, r.text
    assert "zip" in r.json()["description_en"]
    assert_clean(r.text)
    assert plan_counts(client, engine) == before


def test_a_plain_zipped_geojson_plan_is_still_accepted(tx_client, editor_headers) -> None:
    r = tx_client.post("/plans", headers=editor_headers, files={"file": ("plan.zip",
                                                 zipped({"ke-hoach/plan.geojson": plan_geojson()}),
                                                 "application/zip")})
    assert r.status_code == 201, r.text
    assert r.json()["zones"] == 1


GARBAGE = {
    "plan.geojson": b"\x00\x01 not a plan at all " * 20,
    "plan.gpkg": b"SQLite format 3\x00" + b"\x00" * 52 + b"GPKG" + b"\xff" * 400,
    "hong.tif": b"II*\x00\x08\x00\x00\x00" + bytes(range(256)) * 8,
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_upload_errors_carry_no_paths_or_library_messages(client, name, editor_headers) -> None:
    r = client.post("/plans?lang=en", headers=editor_headers,
                    files={"file": (name, GARBAGE[name], "application/x")})
    assert r.status_code == 422, r.text
    body = r.json()
    assert name in body["description_en"] and name in body["description_vi"]
    assert_clean(r.text)
    for library_words in ("not recognized", "GDAL", "TIFFRead", "sqlite", "Failed to"):
        assert library_words not in r.text


# --- images declaring more than they hold ---------------------------------------------------


def declared_tiff(path: Path, side: int, count: int = 3) -> Path:
    """A GeoTIFF of `side` × `side` pixels in Hanoi whose tiles are all absent: a few KB."""
    profile = {"driver": "GTiff", "width": side, "height": side, "count": count,
               "dtype": "uint8", "crs": "EPSG:5897", "transform": Affine(0.1, 0, X0, 0, -0.1, YT),
               "tiled": True, "blockxsize": 1024, "blockysize": 1024, "compress": "DEFLATE",
               "sparse_ok": True}
    with rasterio.open(path, "w", **profile):
        pass
    return path


def test_a_huge_declared_image_is_refused_before_decoding(tmp_path) -> None:
    path = declared_tiff(tmp_path / "huge.tif", 20_000)
    assert path.stat().st_size < 64 * 1024
    script = (
        "import json, resource, sys, time\n"
        "from pathlib import Path\n"
        "from api.errors import PlanningError\n"
        "from layers import plans\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t0 = time.perf_counter()\n"
        "req = plans.ImportRequest(Path(sys.argv[1]), 'huge.tif')\n"
        "try:\n"
        "    plans.prepare(req, Path(sys.argv[2]))\n"
        "    out = {'refused': False}\n"
        "except PlanningError as exc:\n"
        "    out = {'refused': True, 'en': exc.message_en, 'vi': exc.message}\n"
        "out['seconds'] = time.perf_counter() - t0\n"
        "out['grown_kb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(json.dumps(out))\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, "-c", script, str(path), str(work)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["refused"], out
    assert "20,000 × 20,000 pixels" in out["en"] and "20.000 × 20.000 điểm ảnh" in out["vi"]
    assert out["seconds"] < 2
    assert out["grown_kb"] < 100 * 1024  # no pixel was decoded (one band alone is 400 MB)


@pytest.mark.parametrize(("side", "count", "expected"), [
    (20_000, 3, "20,000 × 20,000 pixels"),
    (64, 5, "5 bands"),
])
def test_oversized_images_get_422_quickly(client, engine, tmp_path, side, count,
                                          expected, editor_headers) -> None:
    path = declared_tiff(tmp_path / "sheet.tif", side, count)
    before = plan_counts(client, engine)
    t0 = time.perf_counter()
    r = client.post("/plans?lang=en", headers=editor_headers,
                    files={"file": ("sheet.tif", path.read_bytes(), "image/tiff")})
    assert time.perf_counter() - t0 < 2
    assert r.status_code == 422, r.text
    assert expected in r.json()["description_en"]
    assert_clean(r.text)
    assert plan_counts(client, engine) == before


# --- quyhoach import ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def import_db(fresh_database) -> Iterator[Engine]:
    """A migrated database of its own for the importer."""
    url = fresh_database("security")
    engine = make_engine(Settings(database_url=url), url)
    upgrade(engine)
    yield engine
    engine.dispose()


def wards(engine: Engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT count(*) FROM wards")).scalar_one()


@pytest.mark.parametrize("remote", [False, True], ids=["local-file", "vsicurl"])
@pytest.mark.parametrize("packing", ["wards.geojson", "wards.csv", "wards.zip"])
def test_import_refuses_a_vrt(import_db, tmp_path, secret, listener, packing, remote) -> None:
    path, marker = secret
    port, hits = listener
    doc = vrt(source_of(path, port, remote), path.stem,
              "'long-bien' AS district, secret AS name")
    target = tmp_path / packing
    if packing.endswith(".zip"):
        target.write_bytes(zipped({"wards.geojson": doc}))
    else:
        target.write_bytes(doc)
    before = wards(import_db)
    with pytest.raises(ImportRejectedError) as err:
        import_file(import_db, target, "wards")
    assert marker not in err.value.message and marker not in err.value.message_en
    assert marker not in (err.value.detail or "")
    assert wards(import_db) == before
    time.sleep(0.2)
    assert hits == []


def test_import_refuses_what_it_cannot_name(import_db, tmp_path, secret) -> None:
    path, _ = secret
    target = tmp_path / "wards.vrt"
    target.write_bytes(vrt(f"CSV:{path}", path.stem, "'long-bien' AS district, secret AS name"))
    with pytest.raises(ImportRejectedError) as err:
        import_file(import_db, target, "wards")
    assert "GeoPackage, Shapefile" in err.value.message_en
    assert wards(import_db) == 0


# --- GDAL itself ----------------------------------------------------------------------------


def test_gdal_reaches_no_network_and_has_no_vrt_reader(listener) -> None:
    import pyogrio

    from gis import safe_open as S

    port, hits = listener
    S._pyogrio_ready()
    assert "OGR_VRT" not in pyogrio.list_drivers() and "GDALG" not in pyogrio.list_drivers()
    for path in (f"/vsicurl/http://127.0.0.1:{port}/a.geojson",
                 f"/vsicurl_streaming/http://127.0.0.1:{port}/b.geojson",
                 f"GeoJSON:http://127.0.0.1:{port}/c.geojson"):
        with pytest.raises(Exception):  # noqa: B017 - any failure to open will do
            pyogrio.read_dataframe(path)
    with S.raster_env():
        for path in (f"/vsicurl/http://127.0.0.1:{port}/d.tif", f"http://127.0.0.1:{port}/e.tif"):
            with pytest.raises(rasterio.errors.RasterioError):
                rasterio.open(path)
    time.sleep(0.2)
    assert hits == []
