"""The web map's styles for other clients: a QGIS project, SLD 1.1 and Mapbox GL styles.

Each is generated from the layers' catalogue entries (`style`: colours per category of
`color_by`, dashes per category of `dash_by`, the legend's labels; `popup.title` as the label),
the same declarations the web map and its legend are drawn from.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.etree import ElementTree as ET

from pyproj import CRS

from gis.srs import VN2000, WGS84
from layers.catalog import Style
from layers.registry import LayerSpec

# Screen pixels (the web map's unit, 96 dpi) in millimetres (QGIS's symbol unit).
PX_MM = 25.4 / 96
# Labels are drawn from this scale on (1:5000 and closer), where they no longer crowd.
LABEL_MAX_SCALE = 5000
QGIS_VERSION = "3.22.16-Białowieża"
SLD_NS = {"": "http://www.opengis.net/sld", "se": "http://www.opengis.net/se",
          "ogc": "http://www.opengis.net/ogc", "xlink": "http://www.w3.org/1999/xlink",
          "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
SLD_MEDIA_TYPE = "application/vnd.ogc.sld+xml;version=1.1"
MAPBOX_MEDIA_TYPE = "application/vnd.mapbox.style+json"
QGZ_MEDIA_TYPE = "application/x-qgis-project-container"


@dataclass(frozen=True)
class Category:
    """One class of a layer's features: the values that select it, its look and its label."""

    when: tuple[tuple[str, str], ...]  # (attribute, value) pairs that all hold; () = the rest
    color: str
    dash: str | None
    label: str


def categories(spec: LayerSpec, lang: str) -> list[Category]:
    """The layer's classes in the legend's order; the last one (no `when`) takes the rest."""
    st = spec.catalog.style
    colors: list[tuple[tuple[tuple[str, str], ...], str, str]] = []
    if st.color_by:
        colors = [(((st.color_by, v),), c, spec.value_label(st.color_by, v, lang))
                  for v, c in st.colors.items()]
    dashes: list[tuple[tuple[tuple[str, str], ...], str | None, str]] = [((), st.dash, "")]
    if st.dash_by:
        dashes = [(((st.dash_by, v),), st.dashes.get(v) or st.dash,
                   spec.value_label(st.dash_by, v, lang)) for v in spec.values(st.dash_by)]
    out = [Category(cw + dw, color, dash, " — ".join(x for x in (cl, dl) if x))
           for cw, color, cl in colors for dw, dash, dl in dashes]
    if not st.color_by and st.dash_by:
        out = [Category(dw, st.default, dash, dl) for dw, dash, dl in dashes]
    rest = st.label.pick(lang) if st.label else spec.title(lang)
    out.append(Category((), st.default, st.dash, rest))
    return out


def _label_field(spec: LayerSpec) -> str:
    return spec.catalog.popup.title


# --- QGIS -------------------------------------------------------------------------------------


def _rgba(color: str, opacity: float = 1.0) -> str:
    h = color.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{round(opacity * 255)}"


def _options(parent: ET.Element, values: dict[str, Any]) -> None:
    opt = ET.SubElement(parent, "Option", type="Map")
    for name, value in values.items():
        ET.SubElement(opt, "Option", type="QString", name=name, value=str(value))


def _qgis_symbol(spec: LayerSpec, st: Style, cat: Category, name: str) -> ET.Element:
    family = spec.geometry_family
    kind = {"polygon": "fill", "line": "line", "point": "marker"}[family]
    sym = ET.Element("symbol", type=kind, name=name, alpha=str(st.opacity), clip_to_extent="1",
                     force_rhr="0")
    stroke = st.stroke or cat.color
    dash = {"use_custom_dash": "1", "customdash": (cat.dash or "").replace(" ", ";"),
            "customdash_unit": "Pixel"} if cat.dash else {"use_custom_dash": "0"}
    if family == "polygon":
        layer = ET.SubElement(sym, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0",
                                            "pass": "0"})
        _options(layer, {"color": _rgba(cat.color, st.fill_opacity), "style": "solid",
                         "outline_color": _rgba(stroke), "outline_width": st.weight * PX_MM,
                         "outline_width_unit": "MM",
                         "outline_style": "dash" if cat.dash else "solid"})
    elif family == "line":
        layer = ET.SubElement(sym, "layer", {"class": "SimpleLine", "enabled": "1", "locked": "0",
                                            "pass": "0"})
        _options(layer, {"line_color": _rgba(cat.color), "line_width": st.weight * PX_MM,
                         "line_width_unit": "MM", "line_style": "solid",
                         "capstyle": "round", "joinstyle": "round", **dash})
    else:
        layer = ET.SubElement(sym, "layer", {"class": "SimpleMarker", "enabled": "1",
                                            "locked": "0", "pass": "0"})
        _options(layer, {"name": "circle", "color": _rgba(cat.color, st.fill_opacity),
                         "outline_color": _rgba(stroke), "outline_width": st.weight * PX_MM,
                         "outline_width_unit": "MM", "size": 2 * st.radius * PX_MM,
                         "size_unit": "MM"})
    return sym


def _qgis_renderer(spec: LayerSpec, lang: str) -> ET.Element:
    st = spec.catalog.style
    cats = categories(spec, lang)
    if len(cats) == 1:
        r = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0",
                       enableorderby="0")
        symbols = ET.SubElement(r, "symbols")
        symbols.append(_qgis_symbol(spec, st, cats[0], "0"))
        return r
    attrs = [a for a in (st.color_by, st.dash_by) if a]
    expr = attrs[0] if len(attrs) == 1 else "concat(" + ", '|', ".join(
        f'"{a}"' for a in attrs) + ")"
    r = ET.Element("renderer-v2", type="categorizedSymbol", attr=expr, symbollevels="0",
                   forceraster="0", enableorderby="0")
    cats_el = ET.SubElement(r, "categories")
    symbols = ET.SubElement(r, "symbols")
    for i, cat in enumerate(cats):
        value = "|".join(v for _, v in cat.when)
        ET.SubElement(cats_el, "category", symbol=str(i), value=value, label=cat.label,
                      render="true")
        symbols.append(_qgis_symbol(spec, st, cat, str(i)))
    return r


def _qgis_labeling(spec: LayerSpec) -> ET.Element:
    lab = ET.Element("labeling", type="simple")
    settings = ET.SubElement(lab, "settings", calloutType="simple")
    ET.SubElement(settings, "text-style", fieldName=_label_field(spec), isExpression="0",
                  fontFamily="DejaVu Sans", fontSize="8", fontSizeUnit="Point",
                  textColor="40,40,40,255", textOpacity="1", namedStyle="Book")
    ET.SubElement(settings, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.8", bufferNoFill="1")
    placement = {"polygon": "1", "line": "3", "point": "6"}[spec.geometry_family]
    ET.SubElement(settings, "placement", placement=placement, placementFlags="10", dist="1",
                  distUnits="MM", priority="5")
    ET.SubElement(settings, "rendering", drawLabels="1", scaleVisibility="1", scaleMin="1",
                  scaleMax=str(LABEL_MAX_SCALE), obstacle="1", displayAll="0")
    return lab


@cache
def _spatialrefsys_values(srid: int) -> dict[str, str]:
    crs = CRS.from_epsg(srid)
    return {"wkt": crs.to_wkt(), "srid": str(srid),
            "authid": f"EPSG:{srid}", "description": crs.name,
            "projectionacronym": "longlat" if crs.is_geographic else "tmerc",
            "ellipsoidacronym": "EPSG:7030",
            "geographicflag": "true" if crs.is_geographic else "false"}


def _spatialrefsys(parent: ET.Element, srid: int) -> None:
    srs = ET.SubElement(parent, "spatialrefsys")
    for key, value in _spatialrefsys_values(srid).items():
        ET.SubElement(srs, key).text = value


def oapif_source(base_url: str, spec: LayerSpec) -> str:
    """The data source of a layer in QGIS's OGC API – Features provider."""
    return (f"url='{base_url}' typename='{spec.id}' pagingEnabled='true' "
            f"restrictToRequestBBOX='1' srsname='EPSG:{VN2000}'")


def qgis_project(specs: list[LayerSpec], base_url: str, lang: str, title: str) -> bytes:
    """A QGIS project (.qgs XML) with each layer as an OAPIF layer of the service, styled."""
    root = ET.Element("qgis", version=QGIS_VERSION, projectname=title)
    ET.SubElement(root, "title").text = title
    _spatialrefsys(ET.SubElement(root, "projectCrs"), VN2000)
    tree = ET.SubElement(root, "layer-tree-group")
    layers = ET.SubElement(root, "projectlayers")
    # The layer tree lists the top of the drawing order first.
    for spec in reversed(specs):
        layer_id = f"quyhoach_{spec.id}"
        source = oapif_source(base_url, spec)
        shown = spec.catalog.map.order is not None and spec.catalog.map.visible
        ET.SubElement(tree, "layer-tree-layer", id=layer_id, name=spec.title(lang),
                      source=source, providerKey="OAPIF", expanded="1",
                      checked="Qt::Checked" if shown else "Qt::Unchecked")
        geometry = {"polygon": "Polygon", "line": "Line", "point": "Point"}[spec.geometry_family]
        ml = ET.SubElement(layers, "maplayer", type="vector", geometry=geometry,
                           wkbType=spec.geometry_type, labelsEnabled="1",
                           hasScaleBasedVisibilityFlag="0", styleCategories="AllStyleCategories")
        ET.SubElement(ml, "id").text = layer_id
        ET.SubElement(ml, "datasource").text = source
        ET.SubElement(ml, "layername").text = spec.title(lang)
        ET.SubElement(ml, "abstract").text = spec.description(lang)
        _spatialrefsys(ET.SubElement(ml, "srs"), WGS84)
        ET.SubElement(ml, "provider", encoding="UTF-8").text = "OAPIF"
        ml.append(_qgis_renderer(spec, lang))
        ml.append(_qgis_labeling(spec))
        ET.SubElement(ml, "layerOpacity").text = "1"
    # QGIS reads the project's CRS only when this switch is on.
    srs = ET.SubElement(ET.SubElement(root, "properties"), "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", type="int").text = "1"
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body).encode()


def qgis_archive(project: bytes, name: str = "quyhoach.qgs") -> bytes:
    """A .qgz: the project zipped, as QGIS saves it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, project)
    return buf.getvalue()


# --- SLD 1.1 (Symbology Encoding 1.1) ---------------------------------------------------------


def _q(prefix: str, tag: str) -> str:
    return f"{{{SLD_NS[prefix]}}}{tag}"


def _svg(parent: ET.Element, name: str, value: Any) -> None:
    ET.SubElement(parent, _q("se", "SvgParameter"), name=name).text = str(value)


def _sld_stroke(parent: ET.Element, color: str, width: float, opacity: float,
                dash: str | None) -> None:
    stroke = ET.SubElement(parent, _q("se", "Stroke"))
    _svg(stroke, "stroke", color)
    _svg(stroke, "stroke-width", width)
    _svg(stroke, "stroke-opacity", opacity)
    if dash:
        _svg(stroke, "stroke-dasharray", dash)


def _sld_filter(rule: ET.Element, when: tuple[tuple[str, str], ...]) -> None:
    if not when:
        ET.SubElement(rule, _q("se", "ElseFilter"))
        return
    flt = ET.SubElement(rule, _q("ogc", "Filter"))
    parent = ET.SubElement(flt, _q("ogc", "And")) if len(when) > 1 else flt
    for name, value in when:
        eq = ET.SubElement(parent, _q("ogc", "PropertyIsEqualTo"))
        ET.SubElement(eq, _q("ogc", "PropertyName")).text = name
        ET.SubElement(eq, _q("ogc", "Literal")).text = value


def sld(spec: LayerSpec, lang: str) -> bytes:
    """The layer's style as an SLD 1.1 document (Symbology Encoding 1.1)."""
    for prefix, uri in SLD_NS.items():
        ET.register_namespace(prefix, uri)
    st = spec.catalog.style
    root = ET.Element(_q("", "StyledLayerDescriptor"), {
        "version": "1.1.0",
        _q("xsi", "schemaLocation"): "http://www.opengis.net/sld "
        "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"})
    layer = ET.SubElement(root, _q("", "NamedLayer"))
    ET.SubElement(layer, _q("se", "Name")).text = spec.id
    user = ET.SubElement(layer, _q("", "UserStyle"))
    ET.SubElement(user, _q("se", "Name")).text = "default"
    desc = ET.SubElement(user, _q("se", "Description"))
    ET.SubElement(desc, _q("se", "Title")).text = spec.title(lang)
    fts = ET.SubElement(user, _q("se", "FeatureTypeStyle"))
    cats = categories(spec, lang)
    for i, cat in enumerate(cats):
        rule = ET.SubElement(fts, _q("se", "Rule"))
        ET.SubElement(rule, _q("se", "Name")).text = f"{spec.id}-{i}"
        rd = ET.SubElement(rule, _q("se", "Description"))
        ET.SubElement(rd, _q("se", "Title")).text = cat.label
        if len(cats) > 1:
            _sld_filter(rule, cat.when)
        stroke = st.stroke or cat.color
        if spec.geometry_family == "polygon":
            sym = ET.SubElement(rule, _q("se", "PolygonSymbolizer"))
            fill = ET.SubElement(sym, _q("se", "Fill"))
            _svg(fill, "fill", cat.color)
            _svg(fill, "fill-opacity", st.fill_opacity)
            _sld_stroke(sym, stroke, st.weight, st.opacity, cat.dash)
        elif spec.geometry_family == "line":
            sym = ET.SubElement(rule, _q("se", "LineSymbolizer"))
            _sld_stroke(sym, cat.color, st.weight, st.opacity, cat.dash)
        else:
            sym = ET.SubElement(rule, _q("se", "PointSymbolizer"))
            graphic = ET.SubElement(sym, _q("se", "Graphic"))
            mark = ET.SubElement(graphic, _q("se", "Mark"))
            ET.SubElement(mark, _q("se", "WellKnownName")).text = "circle"
            fill = ET.SubElement(mark, _q("se", "Fill"))
            _svg(fill, "fill", cat.color)
            _svg(fill, "fill-opacity", st.fill_opacity)
            _sld_stroke(mark, stroke, st.weight, st.opacity, None)
            ET.SubElement(graphic, _q("se", "Size")).text = str(2 * st.radius)
    rule = ET.SubElement(fts, _q("se", "Rule"))
    ET.SubElement(rule, _q("se", "Name")).text = f"{spec.id}-label"
    ET.SubElement(rule, _q("se", "MaxScaleDenominator")).text = str(LABEL_MAX_SCALE)
    text = ET.SubElement(rule, _q("se", "TextSymbolizer"))
    label = ET.SubElement(text, _q("se", "Label"))
    ET.SubElement(label, _q("ogc", "PropertyName")).text = _label_field(spec)
    font = ET.SubElement(text, _q("se", "Font"))
    _svg(font, "font-family", "DejaVu Sans")
    _svg(font, "font-size", 11)
    halo = ET.SubElement(text, _q("se", "Halo"))
    ET.SubElement(halo, _q("se", "Radius")).text = "1.5"
    fill = ET.SubElement(text, _q("se", "Fill"))
    _svg(fill, "fill", "#282828")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# --- Mapbox GL style --------------------------------------------------------------------------


def _match(cats: list[Category], pick: Any) -> Any:
    """A Mapbox GL expression choosing a category's value by the feature's properties."""
    if len(cats) == 1:
        return pick(cats[0])
    expr: list[Any] = ["case"]
    for cat in cats[:-1]:
        conds = [["==", ["get", name], value] for name, value in cat.when]
        expr += [conds[0] if len(conds) == 1 else ["all", *conds], pick(cat)]
    expr.append(pick(cats[-1]))
    return expr


def _dasharray(dash: str | None, weight: float) -> list[float] | None:
    # Mapbox GL dashes are in line widths; the catalogue's in pixels.
    return [float(x) / weight for x in dash.split()] if dash else None


def mapbox_style(spec: LayerSpec, base_url: str, lang: str) -> dict[str, Any]:
    """The layer's style in the Mapbox GL style specification (version 8), on its vector tiles."""
    st = spec.catalog.style
    cats = categories(spec, lang)
    source = {"type": "vector", "minzoom": 0, "maxzoom": 22,
              "tiles": [f"{base_url}/collections/{spec.id}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"]}
    color = _match(cats, lambda c: c.color)
    common = {"source": spec.id, "source-layer": spec.id, "minzoom": spec.min_zoom}
    layers: list[dict[str, Any]] = []
    family = spec.geometry_family
    if family == "polygon":
        layers.append({"id": f"{spec.id}-fill", "type": "fill", **common,
                       "paint": {"fill-color": color, "fill-opacity": st.fill_opacity}})
    if family in ("polygon", "line"):
        line_color = st.stroke if family == "polygon" and st.stroke else color
        dashes = sorted({c.dash for c in cats}, key=lambda d: d or "")
        for i, dash in enumerate(dashes):
            layer: dict[str, Any] = {
                "id": f"{spec.id}-line" + (f"-{i}" if len(dashes) > 1 else ""), "type": "line",
                **common,
                "paint": {"line-color": line_color, "line-width": st.weight,
                          "line-opacity": st.opacity}}
            if dash:
                layer["paint"]["line-dasharray"] = _dasharray(dash, st.weight)
            if len(dashes) > 1:
                chosen = [c for c in cats if c.dash == dash]
                if any(not c.when for c in chosen):
                    others = [c for c in cats if c.dash != dash and c.when]
                    layer["filter"] = ["!", ["any", *[
                        ["all", *[["==", ["get", n], v] for n, v in c.when]] for c in others]]]
                else:
                    layer["filter"] = ["any", *[
                        ["all", *[["==", ["get", n], v] for n, v in c.when]] for c in chosen]]
            layers.append(layer)
    if family == "point":
        layers.append({"id": f"{spec.id}-circle", "type": "circle", **common, "paint": {
            "circle-color": color, "circle-radius": st.radius, "circle-opacity": st.fill_opacity,
            "circle-stroke-color": st.stroke or color, "circle-stroke-width": st.weight}})
    return {
        "version": 8, "name": spec.title(lang),
        "metadata": {"quyhoach:collection": spec.id,
                     "quyhoach:legend": [{"label": c.label, "color": c.color, "dash": c.dash}
                                         for c in cats]},
        "sources": {spec.id: source},
        "layers": layers,
    }
