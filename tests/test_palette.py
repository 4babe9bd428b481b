"""The map's palette: no two meanings shown together share a colour, for normal vision and
under simulated deuteranopia; one colour table (the catalogue) feeds the map and its legend."""

from __future__ import annotations

import itertools
import math

import pytest

from layers.registry import LAYERS
from maps import styles

# Machado, Oliveira and Fernandes (2009): deuteranopia, severity 1, on linear RGB.
DEUTERANOPIA = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                (-0.011820, 0.042940, 0.968881))
# CIE76 difference below which two map colours are too easily taken for one another.
MIN_DELTA_E = 10.0


def _linear(h: str) -> tuple[float, ...]:
    def one(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return tuple(one(int(h[i:i + 2], 16)) for i in (1, 3, 5))


def _lab(rgb: tuple[float, ...]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116
    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _deuteranope(rgb: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True))))
                 for row in DEUTERANOPIA)


def delta_e(a: str, b: str, deuteranopia: bool = False) -> float:
    """CIE76 colour difference of two hex colours, optionally as a deuteranope sees them."""
    la, lb = _linear(a), _linear(b)
    if deuteranopia:
        la, lb = _deuteranope(la), _deuteranope(lb)
    return math.dist(_lab(la), _lab(lb))


def _meanings(layer_ids: tuple[str, ...]) -> dict[str, str]:
    """Each legend entry that a colour tells apart → its colour (neutral outlines left out)."""
    out: dict[str, str] = {}
    for layer_id in layer_ids:
        for color, dash, label in styles.legend_entries(layer_id, "vi"):
            if dash is None and layer_id != "wards":
                out[f"{layer_id}: {label}"] = color.lower()
    return out


def test_opening_layers_tell_every_meaning_apart():
    """Shown together at the opening: every pair differs clearly, also under deuteranopia."""
    meanings = _meanings(styles.OPENING_LAYERS)
    assert len(meanings) >= 15
    close = [(a, b, round(delta_e(ca, cb), 1), round(delta_e(ca, cb, True), 1))
             for (a, ca), (b, cb) in itertools.combinations(meanings.items(), 2)
             if min(delta_e(ca, cb), delta_e(ca, cb, True)) < MIN_DELTA_E]
    assert not close, close


def test_no_two_meanings_of_the_map_share_a_colour():
    """Across every layer of the map (the optional ones too), one colour means one thing."""
    meanings = _meanings(styles.MAP_LAYERS)
    by_color: dict[str, list[str]] = {}
    for meaning, color in meanings.items():
        by_color.setdefault(color, []).append(meaning)
    assert {c: m for c, m in by_color.items() if len(m) > 1} == {}


def test_the_difference_measure_itself():
    """Red and green merge for a deuteranope; black and white never do."""
    assert delta_e("#ff0000", "#00ff00") > 80
    assert delta_e("#d62728", "#2ca02c", True) < delta_e("#d62728", "#2ca02c") / 2
    assert delta_e("#000000", "#ffffff", True) == pytest.approx(100, abs=0.5)


@pytest.mark.parametrize("layer_id", styles.MAP_LAYERS)
def test_styles_come_from_the_catalogue(layer_id):
    """The map's style of a layer is its catalogue entry's."""
    entry = LAYERS[layer_id].catalog
    style = styles.STYLES[layer_id]
    assert style.colors == entry.style.colors and style.default == entry.style.default
    assert style.weight == entry.style.weight and style.dash == entry.style.dash
