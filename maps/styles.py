"""Colours and line styles of the map layers, defined once for the legend and the page's script.

Pure data and functions: the script styles each feature from one of its properties, so no
Python style function ever runs per feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core import i18n
from layers.registry import LAYERS, LayerSpec


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn: a colour chosen by a property, optionally a dash by another."""

    kind: str  # polygon | line | point
    color_by: str | None = None
    colors: dict[str, str] = field(default_factory=dict)
    default: str = "#666666"
    stroke: str | None = None  # outline colour of polygons and points; None: the fill colour
    weight: float = 2.0
    opacity: float = 0.9
    fill_opacity: float = 0.35
    dash_by: str | None = None
    dashes: dict[str, str] = field(default_factory=dict)
    dash: str | None = None
    radius: float = 5.0
    # Below this zoom other weight / opacities apply (emphasis at the opening zoom).
    low_zoom: dict[str, float] = field(default_factory=dict)

    def color(self, value: str | None) -> str:
        """Colour of a feature whose `color_by` property has this value."""
        return self.colors.get(value or "", self.default)

    def js(self) -> dict[str, Any]:
        """The style as the page's script reads it."""
        return {
            "kind": self.kind, "colorBy": self.color_by, "colors": self.colors,
            "default": self.default, "stroke": self.stroke, "weight": self.weight,
            "opacity": self.opacity, "fillOpacity": self.fill_opacity, "dashBy": self.dash_by,
            "dashes": self.dashes, "dash": self.dash, "radius": self.radius,
            "lowZoom": {"below": self.low_zoom["below"],
                        **{k: v for k, v in (("weight", self.low_zoom.get("weight")),
                                             ("opacity", self.low_zoom.get("opacity")),
                                             ("fillOpacity", self.low_zoom.get("fill_opacity")))
                           if v is not None}} if self.low_zoom else None,
        }


def _style(spec: LayerSpec) -> LayerStyle:
    st = spec.catalog.style
    low = st.low_zoom.model_dump(exclude_none=True) if st.low_zoom else {}
    return LayerStyle(
        spec.geometry_family, st.color_by, dict(st.colors), st.default, st.stroke, st.weight,
        st.opacity, st.fill_opacity, st.dash_by, dict(st.dashes), st.dash, st.radius, low)


# Drawing order, bottom to top, from the catalogue; each layer gets its own pane at this z-index.
MAP_LAYERS: tuple[str, ...] = tuple(
    spec.id for spec in sorted(LAYERS.values(), key=lambda s: s.catalog.map.order or 0)
    if spec.catalog.map.order is not None)
# The layers shown when the map opens; the others wait in the layer control.
OPENING_LAYERS: tuple[str, ...] = tuple(
    layer_id for layer_id in MAP_LAYERS if LAYERS[layer_id].catalog.map.visible)
PANE_Z_BASE = 410

STYLES: dict[str, LayerStyle] = {layer_id: _style(LAYERS[layer_id]) for layer_id in MAP_LAYERS}

# Outline of key projects in the report's map figure: the dashboard's key-project badge colour.
KEY_PROJECT_OUTLINE = "#b10026"

# One colour per funding source, for the dashboard's chart of projects by funding.
FUNDING_COLORS: dict[str, str] = {"budget": "#1f78b4", "non_budget": "#b15928"}


def chart_colors() -> dict[str, Any]:
    """The dashboard charts' colours, the map's own for the same things."""
    # Approved plans look like paid parcels, land recovered like projects in progress.
    return {
        "approved": STYLES["parcels"].colors["paid"],
        "recovered": STYLES["projects"].colors["in_progress"],
        "funding": FUNDING_COLORS,
    }


def swatch(style: LayerStyle, color: str, dash: str | None = None) -> str:
    """A small inline SVG that looks like one feature of the layer."""
    stroke = style.stroke or color
    if style.kind == "line":
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body = (f'<line x1="2" y1="8" x2="30" y2="8" stroke="{color}" '
                f'stroke-width="{min(style.weight, 5)}"{dash_attr}/>')
    elif style.kind == "point":
        body = (f'<circle cx="16" cy="8" r="{style.radius}" fill="{color}" '
                f'stroke="{"#555555" if stroke == "#ffffff" else stroke}" stroke-width="1"/>')
    else:
        dash_attr = f' stroke-dasharray="{style.dash}"' if style.dash else ""
        body = (f'<rect x="3" y="2" width="26" height="12" fill="{color}" '
                f'fill-opacity="{max(style.fill_opacity, 0.25)}" stroke="{stroke}" '
                f'stroke-width="1.5"{dash_attr}/>')
    return f'<svg class="qh-swatch" width="32" height="16" aria-hidden="true">{body}</svg>'


def legend_entries(layer_id: str, lang: str) -> list[tuple[str, str | None, str]]:
    """(colour, dash, label) of each row of one layer's legend, in the catalogue's order.

    Rows of colours have no dash (None); rows of dashes have one ("" for a solid line).
    """
    spec, style = LAYERS[layer_id], STYLES[layer_id]
    rows: list[tuple[str, str | None, str]] = []
    if style.color_by:
        for value, color in style.colors.items():
            rows.append((color, None, spec.value_label(style.color_by, value, lang)))
    else:
        label = spec.catalog.style.label
        rows.append((style.default, None, label.pick(lang) if label else spec.title(lang)))
    if style.dash_by:
        for value in spec.values(style.dash_by):
            # A neutral line that shows the dash alone ("" for solid).
            rows.append(("#555555", style.dashes.get(value, ""),
                         spec.value_label(style.dash_by, value, lang)))
    return rows


def legend_rows(layer_id: str, lang: str) -> list[tuple[str, str]]:
    """(swatch SVG, label) rows of one layer's legend."""
    style = STYLES[layer_id]
    return [(swatch(style, color, dash), i18n.html_text(label))
            for color, dash, label in legend_entries(layer_id, lang)]


def js_styles() -> dict[str, dict[str, Any]]:
    """Every layer's style, for the page's script."""
    return {layer_id: STYLES[layer_id].js() for layer_id in MAP_LAYERS}


def js_labels(lang: str) -> dict[str, Any]:
    """Each map layer's attribute labels, coded values and popup layout, for the page's script."""
    fields: dict[str, str] = {}
    values: dict[str, dict[str, dict[str, str]]] = {}
    popup_fields: dict[str, list[str]] = {}
    popup_title: dict[str, str] = {}
    for layer_id in MAP_LAYERS:
        entry = LAYERS[layer_id].catalog
        for name, attr in entry.attributes.items():
            fields[f"{layer_id}.{name}"] = attr.title.pick(lang)
            if attr.values:
                values.setdefault(layer_id, {})[name] = {
                    code: words.pick(lang) for code, words in attr.values.items()}
        popup_fields[layer_id] = list(entry.popup.fields)
        popup_title[layer_id] = entry.popup.title
    return {"fields": fields, "values": values, "popupFields": popup_fields,
            "popupTitle": popup_title}
