"""GDAL's OAPIF driver (as QGIS uses it) lists and reads every collection from the real server."""

from __future__ import annotations

import subprocess

import pytest

from layers.registry import LAYERS


def _ogrinfo(*args: str) -> str:
    proc = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120,
                          env={"GDAL_HTTP_TIMEOUT": "30", "CPL_DEBUG": "OFF", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_ogrinfo_lists_every_collection(live_server: str) -> None:
    out = _ogrinfo(f"OAPIF:{live_server}")
    for layer in LAYERS:
        assert f": {layer} (" in out or f": {layer}\n" in out, out


@pytest.mark.parametrize("layer", list(LAYERS))
def test_ogrinfo_reads_every_collection(live_server: str, client, layer: str) -> None:
    out = _ogrinfo("-so", "-al", f"OAPIF:{live_server}/collections/{layer}")
    expected = client.get(f"/collections/{layer}/items", params={"limit": 1}).json()["numberMatched"]
    assert f"Feature Count: {expected}" in out, out
    geom = {"MultiPolygon": "Multi Polygon", "MultiLineString": "Multi Line String", "Point": "Point"}
    assert f"Geometry: {geom[LAYERS[layer].geometry_type]}" in out, out


def test_ogrinfo_reads_feature_attributes_and_geometry(live_server: str) -> None:
    out = _ogrinfo("-al", "-fid", "1", f"OAPIF:{live_server}/collections/red_line_markers")
    assert "easting_m (Real) = 5" in out and "POINT (105.8" in out, out
