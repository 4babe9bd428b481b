"""The interactive clearance map: a small Folium page whose script fetches the layers in view.

The page embeds no features. For each enabled layer, maps/static/quyhoach-map.js asks
`/collections/{id}/items?bbox=…` for the area in view (or, for big layers, draws vector tiles
from the versioned URL the page's config carries) and styles features from a property with the
colours of maps.styles.
Every script and stylesheet is served by the service itself under /static.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from sqlalchemy import Connection

from core import i18n
from core.i18n import html_text, script_json
from core.settings import Settings
from layers.editing import form_declaration
from layers.queries import layer_versions, map_extent
from layers.registry import LAYERS
from layers.units import DEFAULT_DISTRICT, FALLBACK_PERIOD
from maps import styles
from maps import units as unit_views
from maps.overlays import add_plan_overlays

MAPS_DIR = Path(__file__).resolve().parent
NODE_MODULES = MAPS_DIR / "node_modules"

# URL path under /static -> the one file of maps/node_modules it serves.
STATIC_FILES: dict[str, Path] = {
    "lib/leaflet/leaflet.js": NODE_MODULES / "leaflet/dist/leaflet.js",
    "lib/leaflet/leaflet.css": NODE_MODULES / "leaflet/dist/leaflet.css",
    "lib/jquery/jquery.min.js": NODE_MODULES / "jquery/dist/jquery.min.js",
    "lib/bootstrap/bootstrap.bundle.min.js":
        NODE_MODULES / "bootstrap/dist/js/bootstrap.bundle.min.js",
    "lib/bootstrap/bootstrap.min.css": NODE_MODULES / "bootstrap/dist/css/bootstrap.min.css",
    "lib/awesome-markers/leaflet.awesome-markers.js":
        NODE_MODULES / "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "lib/awesome-markers/leaflet.awesome-markers.css":
        NODE_MODULES / "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "lib/fontawesome/css/all.min.css":
        NODE_MODULES / "@fortawesome/fontawesome-free/css/all.min.css",
    "lib/vectorgrid/Leaflet.VectorGrid.bundled.min.js":
        NODE_MODULES / "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    "lib/chartjs/chart.umd.js": NODE_MODULES / "chart.js/dist/chart.umd.js",
    "lib/swagger-ui/swagger-ui-bundle.js": NODE_MODULES / "swagger-ui-dist/swagger-ui-bundle.js",
    "lib/swagger-ui/swagger-ui.css": NODE_MODULES / "swagger-ui-dist/swagger-ui.css",
    "lib/swagger-ui/favicon-32x32.png": NODE_MODULES / "swagger-ui-dist/favicon-32x32.png",
    "lib/redoc/redoc.standalone.js": NODE_MODULES / "redoc/bundles/redoc.standalone.js",
    "lib/geodesic/geographiclib-geodesic.min.js":
        NODE_MODULES / "geographiclib-geodesic/geographiclib-geodesic.min.js",
    "lib/geoman/leaflet-geoman.min.js":
        NODE_MODULES / "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js",
}
# URL prefix under /static -> a directory whose files it serves (images and fonts the CSS loads).
STATIC_DIRS: dict[str, Path] = {
    "lib/leaflet/images": NODE_MODULES / "leaflet/dist/images",
    "lib/awesome-markers/images": NODE_MODULES / "leaflet.awesome-markers/dist/images",
    "lib/fontawesome/webfonts": NODE_MODULES / "@fortawesome/fontawesome-free/webfonts",
    "maps": MAPS_DIR / "static",
}

# Folium's default resources, by the names folium gives them, pointed at the local copies.
FOLIUM_JS = (
    ("leaflet", "lib/leaflet/leaflet.js"),
    ("jquery", "lib/jquery/jquery.min.js"),
    ("bootstrap", "lib/bootstrap/bootstrap.bundle.min.js"),
    ("awesome_markers", "lib/awesome-markers/leaflet.awesome-markers.js"),
)
FOLIUM_CSS = (
    ("leaflet_css", "lib/leaflet/leaflet.css"),
    ("bootstrap_css", "lib/bootstrap/bootstrap.min.css"),
    ("awesome_markers_font_css", "lib/fontawesome/css/all.min.css"),
    ("awesome_markers_css", "lib/awesome-markers/leaflet.awesome-markers.css"),
)
PAGE_JS = (
    ("vectorgrid", "lib/vectorgrid/Leaflet.VectorGrid.bundled.min.js"),
    ("quyhoach_format", "maps/quyhoach-format.js"),
    ("quyhoach_map", "maps/quyhoach-map.js"),
    ("quyhoach_export", "maps/quyhoach-export.js"),
    ("quyhoach_asof", "maps/quyhoach-asof.js"),
    ("quyhoach_focus", "maps/quyhoach-focus.js"),
    ("geodesic", "lib/geodesic/geographiclib-geodesic.min.js"),
    ("quyhoach_tools", "maps/quyhoach-tools.js"),
    ("quyhoach_units", "maps/quyhoach-units.js"),
    ("geoman", "lib/geoman/leaflet-geoman.min.js"),
    ("quyhoach_edit", "maps/quyhoach-edit.js"),
)
PAGE_CSS = (("quyhoach_map_css", "maps/quyhoach-map.css"),
            ("quyhoach_export_css", "maps/quyhoach-export.css"),
            ("quyhoach_asof_css", "maps/quyhoach-asof.css"),
            ("quyhoach_edit_css", "maps/quyhoach-edit.css"))

HANOI_CENTER = (21.0285, 105.8542)
# Layers with more rows than this (the planner's estimate) are drawn from vector tiles when the
# service serves them. Below it a layer is one GeoJSON request of at most a few thousand features
# (a marker is about 0.3 KB, so under 1.5 MB before compression) drawn as SVG paths, with its
# date slider's past days served the same way. Above it the GeoJSON and the SVG grow with the
# city (the benchmark's 20,000 markers made the page's largest request, 1.7 MB) while each tile
# stays bounded and is drawn on canvas, about twice as fast per feature as SVG.
# A catalogue entry may set its own (`map.tiled_above`; parcels: always tiled).
TILE_THRESHOLD = 5_000
# The service's tile URL of a layer at a data version (OGC API – Tiles, WebMercatorQuad).
TILE_URL = "/collections/{layer}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}?v={version}"
ITEMS_LIMIT = 10_000


@dataclass(frozen=True)
class MapView:
    """What a /map link asks for: district, ward, period, layers, language and view."""

    district: str = DEFAULT_DISTRICT
    ward: str | None = None
    date_from: dt.date = FALLBACK_PERIOD[0]
    date_to: dt.date = FALLBACK_PERIOD[1]
    as_of: dt.date | None = None  # the date slider's day; None: as recorded today
    layers: tuple[str, ...] = styles.OPENING_LAYERS
    lang: str = "vi"
    center: tuple[float, float] | None = None  # lat, lon
    zoom: int | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north


def _urls(base_url: str, pairs: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return [(name, f"{base_url}/static/{path}") for name, path in pairs]


def _fmt_date(day: dt.date, lang: str) -> str:
    return i18n.day_text(day, lang)


def legend_html(layer_ids: tuple[str, ...], lang: str) -> str:
    """The legend of the map's layers, in the reader's language."""
    parts = [f'<div class="qh-panel-title">{html_text(i18n.text("legend", lang))}</div>']
    for layer_id in layer_ids:
        spec = LAYERS[layer_id]
        note = ""
        if spec.min_zoom:
            note = f' <small>({html_text(i18n.text("min_zoom", lang, zoom=spec.min_zoom))})</small>'
        rows = "".join(
            f'<span class="qh-legend-item">{svg}<span>{label}</span></span>'
            for svg, label in styles.legend_rows(layer_id, lang)
        )
        parts.append(
            f'<section data-layer="{layer_id}"><div class="qh-legend-title">'
            f'{html_text(spec.title(lang))}{note}</div><div class="qh-legend-rows">{rows}</div></section>'
        )
    return "".join(parts)


def summary_html(view: MapView, place: str | None = None) -> str:
    """The summary panel's frame; the script fills the figures from /stats/clearance.

    `place` names the view's unit for its period (default: its district).
    """
    lang = view.lang
    title = i18n.phrase(i18n.UNIT_VIEW_WORDS, "summary_title", lang, place=place or i18n.phrase(
        i18n.UNIT_WORDS, "district", lang, name=i18n.district_name(view.district)))
    period = i18n.text("summary_period", lang, **{
        "from": _fmt_date(view.date_from, lang), "to": _fmt_date(view.date_to, lang)})
    ward = (f'<div class="qh-summary-ward">'
            f'{html_text(i18n.text("summary_ward", lang, ward=view.ward))}</div>'
            if view.ward else "")
    rows = "".join(
        f'<tr><th>{html_text(i18n.text(label, lang))}</th><td data-stat="{key}">…</td></tr>'
        for key, label in (("projects", "stat_projects"), ("plans", "stat_plans"),
                           ("recovered", "stat_recovered"), ("compensation", "stat_compensation"),
                           ("ahead", "stat_ahead"))
    )
    return (f'<div class="qh-panel-title">{html_text(title)}</div>{ward}'
            f'<div class="qh-summary-period">{html_text(period)}</div>'
            f'<table class="qh-stats">{rows}</table>')


# branca's page, its one inline <script> (the map's set-up) stamped with the response's nonce.
PAGE_TEMPLATE = Template(
    "<!DOCTYPE html>\n<html>\n<head>\n"
    "{% if this.title %}<title>{{ this.title }}</title>{% endif %}"
    "    {{ this.header.render(**kwargs) }}\n</head>\n<body>\n"
    "    {{ this.html.render(**kwargs) }}\n</body>\n"
    "<script{% if kwargs.nonce %} nonce=\"{{ kwargs.nonce }}\"{% endif %}>\n"
    "    {{ this.script.render(**kwargs) }}\n</script>\n</html>\n"
)


class ClearanceMap(folium.Map):
    """Folium's map, whose inline header script (Leaflet's global switches) carries the nonce."""

    def render(self, **kwargs: Any) -> None:
        """Render as folium does, then stamp the nonce on the header's own <script>."""
        super().render(**kwargs)
        nonce = kwargs.get("nonce")
        header = self.get_root().header
        own = header._children.get(self.get_name())
        source = getattr(own, "_template_str", None)
        if nonce and source:
            stamped = source.replace("<script>", f'<script nonce="{nonce}">')
            header.add_child(Element(stamped), name=self.get_name())


class ClearanceMapApp(JSCSSMixin, MacroElement):
    """The legend, the summary panel and the script that fetches and draws the layers."""

    _template = Template("""
{% macro html(this, kwargs) %}
<div id="qh-legend" class="qh-panel qh-legend">{{ this.legend }}</div>
<div id="qh-summary" class="qh-panel qh-summary">{{ this.summary }}</div>
{% endmacro %}
{% macro script(this, kwargs) %}
quyhoach.init({{ this._parent.get_name() }}, {
{%- for layer_id, group in this.groups.items() %}
  {{ layer_id|tojson }}: {{ group.get_name() }},
{%- endfor %}
}, {{ this.config }});
{% endmacro %}
""")

    def __init__(self, groups: dict[str, folium.FeatureGroup], config: dict[str, Any],
                 legend: str, summary: str, base_url: str):
        super().__init__()
        self._name = "ClearanceMapApp"
        self.groups = groups
        self.config = script_json(config)
        self.legend = legend
        self.summary = summary
        self.default_js = _urls(base_url, PAGE_JS)
        self.default_css = _urls(base_url, PAGE_CSS)


def _tiled_above(layer_id: str) -> int:
    """The row count above which a layer is drawn from vector tiles."""
    own = LAYERS[layer_id].catalog.map.tiled_above
    return TILE_THRESHOLD if own is None else own


def _page_strings(lang: str) -> dict[str, object]:
    """The page's words: the service's phrases and the catalogue's labels of each layer."""
    strings = i18n.js_strings(lang)
    labels = styles.js_labels(lang)
    strings["fields"] = {**strings["fields"], **labels.pop("fields")}
    return {**strings, **labels}


def build_map(conn: Connection, settings: Settings, view: MapView, *, base_url: str = "",
              vector_tiles: bool = False) -> folium.Map:
    """The clearance map of a view; `vector_tiles` when the service serves layer tiles.

    `base_url` prefixes the page's URLs (empty: same origin; absolute for a saved snapshot).
    """
    lang = view.lang
    found = map_extent(conn, view.district, view.ward, styles.MAP_LAYERS)
    extent, estimates = found.bbox, found.row_estimates
    if extent is not None:
        w, s, e, n = extent
        location = [(s + n) / 2, (w + e) / 2]
    else:
        location = list(HANOI_CENTER)
    fmap = ClearanceMap(location=location, zoom_start=13, tiles=None, max_zoom=20,
                        zoom_control=True, control_scale=False)
    fmap.default_js = _urls(base_url, FOLIUM_JS)
    fmap.default_css = _urls(base_url, FOLIUM_CSS)
    figure = fmap.get_root()
    unit = unit_views.selected_unit(conn, view.district, view.ward)
    place = unit_views.place_name(unit, view.district, view.ward, view.date_from, view.date_to,
                                  lang)
    figure.title = html_text(i18n.phrase(i18n.UNIT_VIEW_WORDS, "map_title", lang, place=place))
    figure.header.add_child(Element('<link rel="icon" href="data:,">'), name="favicon")

    folium.TileLayer(
        tiles=settings.basemap_url, attr=settings.basemap_attribution,
        name=html_text(i18n.text("basemap", lang)), max_zoom=20, max_native_zoom=19,
    ).add_to(fmap)

    tiled_layers = tuple(
        layer_id for layer_id in styles.MAP_LAYERS
        if vector_tiles and estimates.get(layer_id, 0) > _tiled_above(layer_id))
    # The page asks for tiles at once, with URLs that change with the data.
    versions = layer_versions(conn, tiled_layers) if tiled_layers else {}
    groups: dict[str, folium.FeatureGroup] = {}
    layer_configs = []
    for z, layer_id in enumerate(styles.MAP_LAYERS):
        spec = LAYERS[layer_id]
        # Leaflet's layer control writes layer names as HTML.
        group = folium.FeatureGroup(name=html_text(spec.title(lang)),
                                    show=layer_id in view.layers)
        group.add_to(fmap)
        groups[layer_id] = group
        tiled = layer_id in tiled_layers
        layer_configs.append({
            "id": layer_id, "title": spec.title(lang), "geometry": spec.geometry_type,
            "theme": spec.catalog.map.theme,
            "minZoom": spec.min_zoom, "source": "tiles" if tiled else "geojson",
            "z": styles.PANE_Z_BASE + z,
            "tiles": base_url + TILE_URL.format(layer=layer_id, version=versions[layer_id])
            if tiled else None,
        })

    units_config = unit_views.controls_config(conn, unit, lang)
    if units_config["formerLayer"]:  # the former boundaries, off at opening, filled by the script
        former = folium.FeatureGroup(name=html_text(units_config["formerLayer"]), show=False)
        units_config["formerGroup"] = former.add_to(fmap).get_name()
    add_plan_overlays(fmap, conn, settings, lang)
    folium.LayerControl(position="topright", collapsed=False).add_to(fmap)

    initial: dict[str, Any]
    if view.bbox is not None:
        initial = {"bbox": list(view.bbox)}
    elif view.center is not None:
        initial = {"center": list(view.center), "zoom": view.zoom or 15}
    elif extent is not None:
        initial = {"bbox": list(extent), "zoom": view.zoom}
    else:
        initial = {"center": list(HANOI_CENTER), "zoom": view.zoom or 12}
    config = {
        "base": base_url,
        "lang": lang,
        "district": view.district,
        "ward": view.ward,
        "itemsDistrict": view.district
        if unit is None or unit.level == "district" or view.ward else None,
        "from": view.date_from.isoformat(),
        "to": view.date_to.isoformat(),
        "asOf": view.as_of.isoformat() if view.as_of else None,
        "limit": ITEMS_LIMIT,
        "view": initial,
        "layers": layer_configs,
        "styles": styles.js_styles(),
        "i18n": _page_strings(lang),
        "search": {key: i18n.pick(pair, lang) for key, pair in i18n.SEARCH_WORDS.items()},
        "layout": {key: i18n.pick(pair, lang) for key, pair in i18n.MAP_LAYOUT_WORDS.items()},
        "units": units_config,
        # The same for every reader: the script shows the editing tools once /me names an editor.
        "edit": {"forms": form_declaration(lang), "me": base_url + "/me",
                 "items": base_url + "/collections/{layer}/items",
                 "words": {k: i18n.pick(v, lang) for k, v in i18n.EDIT_WORDS.items()}},
    }
    fmap.add_child(ClearanceMapApp(
        groups, config, legend_html(styles.MAP_LAYERS, lang), summary_html(view, place), base_url))
    return fmap


def render_map(fmap: folium.Map, nonce: str | None = None) -> str:
    """The map's whole HTML page; `nonce` goes on the inline scripts the page's builder writes."""
    figure = fmap.get_root()
    figure._template = PAGE_TEMPLATE
    return figure.render(nonce=nonce)


def static_path(path: str) -> Path | None:
    """The file a /static/{path} URL serves, or None (never outside the listed places)."""
    if path in STATIC_FILES:
        found = STATIC_FILES[path]
        return found if found.is_file() else None
    prefix, _, name = path.rpartition("/")
    root = STATIC_DIRS.get(prefix)
    if root is None or not name or name.startswith("."):
        return None
    found = (root / name).resolve()
    if found.parent != root.resolve() or not found.is_file():
        return None
    return found
