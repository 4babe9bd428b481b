"""Colours and line styles of the map layers, defined once for the legend and the page's script.

Pure data and functions: the script styles each feature from one of its properties, so no
Python style function ever runs per feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core import i18n


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
        }


# Drawing order, bottom to top; each layer gets its own pane at this z-index.
MAP_LAYERS: tuple[str, ...] = (
    "wards", "lakes", "projects", "parcels", "civilized_streets", "red_lines", "red_line_markers",
)
PANE_Z_BASE = 410

STYLES: dict[str, LayerStyle] = {
    "wards": LayerStyle("polygon", default="#ffffff", stroke="#4d4d4d", weight=1.5,
                        opacity=0.8, fill_opacity=0.04, dash="5 4"),
    "lakes": LayerStyle("polygon", "works", {
        "renovation": "#2171b5", "dredging": "#41b6c4", "embankment": "#6a51a3",
    }, default="#6baed6", weight=1.5, fill_opacity=0.55),
    "projects": LayerStyle("polygon", "status", {
        "planned": "#1f78b4", "in_progress": "#ff7f00", "completed": "#33a02c",
        "suspended": "#6a3d9a",
    }, weight=2, fill_opacity=0.3),
    "parcels": LayerStyle("polygon", "status", {
        "drafted": "#d9d9d9", "published": "#fee08b", "approved": "#a6d96a", "paid": "#66bd63",
        "handed_over": "#1a9850",
    }, stroke="#525252", weight=0.8, fill_opacity=0.7),
    "civilized_streets": LayerStyle("line", "kind", {
        "civilized": "#1b9e77", "no_parking_no_vending": "#d95f02",
    }, weight=5, opacity=0.85, dash_by="status", dashes={"planned": "2 8", "maintained": "12 6"}),
    "red_lines": LayerStyle("line", default="#e31a1c", weight=2.5, opacity=1.0),
    "red_line_markers": LayerStyle("point", "status", {
        "planned": "#bdbdbd", "planted": "#e31a1c", "lost": "#000000", "replaced": "#fd8d3c",
    }, stroke="#ffffff", weight=1.5, opacity=1.0, fill_opacity=1.0, radius=5),
}

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


def legend_rows(layer_id: str, lang: str) -> list[tuple[str, str]]:
    """(swatch SVG, label) rows of one layer's legend."""
    style = STYLES[layer_id]
    rows: list[tuple[str, str]] = []
    if style.color_by:
        for value, color in style.colors.items():
            label = i18n.value_label(layer_id, style.color_by, value, lang)
            rows.append((swatch(style, color), i18n.html_text(label)))
    else:
        label = i18n.SINGLE_STYLE_LABELS.get(layer_id, ("", ""))
        rows.append((swatch(style, style.default), i18n.html_text(i18n.pick(label, lang))))
    if style.dash_by:
        for value in i18n.VALUES.get(layer_id, {}).get(style.dash_by, {}):
            label = i18n.value_label(layer_id, style.dash_by, value, lang)
            rows.append((swatch(style, "#555555", style.dashes.get(value)), i18n.html_text(label)))
    return rows


def js_styles() -> dict[str, dict[str, Any]]:
    """Every layer's style, for the page's script."""
    return {layer_id: STYLES[layer_id].js() for layer_id in MAP_LAYERS}
