"""Open in QGIS: the project loads in PyQGIS with every layer valid against the live service,
styled from the catalogue; per-collection styles as SLD 1.1 and Mapbox GL styles."""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest

from layers.registry import LAYERS
from maps.portrayal import categories
from maps.styles import MAP_LAYERS

CHECK = Path(__file__).with_name("qgis_check.py")
SYSTEM_PYTHON = "/usr/bin/python3"
NS = {"se": "http://www.opengis.net/se", "ogc": "http://www.opengis.net/ogc",
      "sld": "http://www.opengis.net/sld"}


def _qgs(content: bytes) -> ET.Element:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        names = zf.namelist()
        assert len(names) == 1 and names[0].endswith(".qgs")
        return ET.fromstring(zf.read(names[0]))


def _public_layers() -> set[str]:
    return {s.id for s in LAYERS.values() if s.read_access != "staff"}


def test_project_document(client):
    """A zipped .qgs in EPSG:5897 with each public layer an OAPIF layer of this service."""
    r = client.get("/qgis/project.qgz")
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment;")
    root = _qgs(r.content)
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:5897"
    layers = {ml.findtext("id").removeprefix("quyhoach_"): ml
              for ml in root.iter("maplayer")}
    assert set(layers) == _public_layers()
    for layer_id, ml in layers.items():
        assert ml.findtext("provider") == "OAPIF"
        source = ml.findtext("datasource")
        assert "url='http://testserver'" in source and f"typename='{layer_id}'" in source
        spec = LAYERS[layer_id]
        renderer = ml.find("renderer-v2")
        style = spec.catalog.style
        if style.color_by:
            assert renderer.get("type") == "categorizedSymbol"
            assert style.color_by in renderer.get("attr")
            shown = {c.get("label") for c in renderer.iter("category")}
            for value in style.colors:
                assert any(spec.value_label(style.color_by, value, "vi") in s for s in shown)
        assert ml.find("labeling/settings/text-style").get("fieldName") == spec.catalog.popup.title
    # The tree lists the top of the map's drawing order first; layers not on the map unchecked.
    tree = {n.get("name"): n.get("checked") for n in root.iter("layer-tree-layer")}
    on_map = [LAYERS[i].title_vi for i in reversed(MAP_LAYERS) if i in _public_layers()]
    assert [name for name in tree if name in on_map] == on_map
    for layer_id in _public_layers() - set(MAP_LAYERS):
        assert tree[LAYERS[layer_id].title_vi] == "Qt::Unchecked"
    assert tree[LAYERS["parcels"].title_vi] == "Qt::Checked"


@pytest.mark.slow
def test_project_loads_in_pyqgis(live_server, tmp_path):
    """PyQGIS reads the project; every layer is valid and holds the service's features."""
    r = httpx.get(f"{live_server}/qgis/project.qgz", timeout=30)
    assert r.status_code == 200
    path = tmp_path / "quyhoach.qgz"
    path.write_bytes(r.content)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    done = subprocess.run([SYSTEM_PYTHON, str(CHECK), str(path)], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["read"] is True
    assert found["crs"] == "EPSG:5897"
    by_name = {layer["name"]: layer for layer in found["layers"]}
    assert set(by_name) == {LAYERS[i].title_vi for i in _public_layers()}
    for layer_id in _public_layers():
        spec = LAYERS[layer_id]
        layer = by_name[spec.title_vi]
        assert layer["valid"], layer
        assert layer["provider"] == "OAPIF"
        assert live_server in layer["source"]
        items = httpx.get(f"{live_server}/collections/{layer_id}/items", params={"limit": 1}).json()
        assert layer["features"] == items["numberMatched"], layer_id
        assert layer["labels"] is True
        style = spec.catalog.style
        if style.color_by:
            colors = {c["color"] for c in layer["categories"]}
            assert set(style.colors.values()) <= colors, layer_id
            assert len(layer["categories"]) == len(categories(spec, "vi"))
        if layer_id == "parcels":
            assert "compensation_vnd" not in layer["fields"]


def test_sld_of_each_collection(client):
    """SLD 1.1: one rule per category with its filter and colour, an else rule, a label rule."""
    for layer_id in ("lakes", "civilized_streets", "red_line_markers", "wards"):
        spec = LAYERS[layer_id]
        listing = client.get(f"/collections/{layer_id}/styles").json()
        href = next(link["href"] for link in listing["styles"][0]["links"]
                    if "sld" in link["type"])
        r = client.get(href.removeprefix("http://testserver"))
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/vnd.ogc.sld+xml")
        root = ET.fromstring(r.content)
        assert root.get("version") == "1.1.0"
        rules = root.findall(".//se:Rule", NS)
        cats = categories(spec, "vi")
        assert len(rules) == len(cats) + 1
        for rule, cat in zip(rules, cats, strict=False):
            assert rule.findtext("se:Description/se:Title", namespaces=NS) == cat.label
            params = {p.get("name"): p.text for p in rule.iter(f"{{{NS['se']}}}SvgParameter")}
            key = "stroke" if spec.geometry_family == "line" else "fill"
            assert params[key] == cat.color
            literals = [e.text for e in rule.iter(f"{{{NS['ogc']}}}Literal")]
            assert literals == [v for _, v in cat.when]
            if cat.dash:
                assert params["stroke-dasharray"] == cat.dash
        assert rules[-1].find("se:TextSymbolizer", NS) is not None


def test_mapbox_style_draws_the_tiles(client):
    """The Mapbox GL style names the service's tiles and the catalogue's colours."""
    r = client.get("/collections/lakes/styles/default", params={"f": "mapbox"})
    assert r.status_code == 200
    style = r.json()
    assert style["version"] == 8
    tiles = style["sources"]["lakes"]["tiles"][0]
    fill = next(layer for layer in style["layers"] if layer["type"] == "fill")
    assert fill["source-layer"] == "lakes"
    flat = json.dumps(fill["paint"]["fill-color"])
    for color in LAYERS["lakes"].catalog.style.colors.values():
        assert color in flat
    tile = client.get(tiles.removeprefix("http://testserver").format(z=14, x=13014, y=7209))
    assert tile.status_code in (200, 204)
    lines = client.get("/collections/civilized_streets/styles/default",
                       params={"f": "mapbox"}).json()["layers"]
    assert any("line-dasharray" in layer["paint"] for layer in lines)


@pytest.mark.parametrize("path, status", [
    ("/collections/lakes/styles/default?f=qml", 400),
    ("/collections/lakes/styles/fancy", 404),
    ("/collections/nowhere/styles", 404),
])
def test_bad_style_requests(client, path, status):
    """An unknown encoding is a 400, an unknown style or collection a 404, in both languages."""
    r = client.get(path)
    assert r.status_code == status
    body = r.json()
    assert body["description_vi"] and body["description_en"]
