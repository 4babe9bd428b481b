"""Georeferencing of plan sheets: world files, control-point fits and their residuals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gis import georef as G
from gis.dxf import indicators
from layers import landuse
from layers.plans import SAMPLE_PLAN_DIR, SAMPLE_STEM

META = json.loads((SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.json").read_text("utf-8"))
X0, YT = META["corners"][0]


def sample_points() -> list[G.ControlPoint]:
    text = (SAMPLE_PLAN_DIR / META["scan"]["gcps"]).read_text("utf-8")
    points, crs = G.parse_control_points(text)
    assert crs is None and len(points) == 9
    return points


def test_world_file_gives_the_pixel_corner_transform() -> None:
    t = G.parse_world_file((SAMPLE_PLAN_DIR / f"{SAMPLE_STEM}.pgw").read_text())
    assert (t.a, t.b, t.c, t.d, t.e, t.f) == (1.0, 0.0, X0, 0.0, -1.0, YT)
    assert t @ (1000, 750) == tuple(META["corners"][2])
    assert G.parse_world_file(G.world_file_text(t)) == t


@pytest.mark.parametrize("text", ["1\n0\n0\n-1\n588300", "a b c d e f", "0 0 0 0 588300 2323850"])
def test_bad_world_files_are_refused(text: str) -> None:
    with pytest.raises(G.GeorefError):
        G.parse_world_file(text)


def _orthogonal_noise(cols: np.ndarray, rows: np.ndarray, order: int, seed: int) -> np.ndarray:
    """Offsets (n × 2, metres) that no fit of this order can absorb: they are its residuals."""
    terms = [np.ones_like(cols), cols, rows] + ([cols**2, cols * rows, rows**2] if order == 2 else [])
    design = np.column_stack(terms)
    q, _ = np.linalg.qr(design)
    raw = np.random.default_rng(seed).normal(0.0, 2.5, (len(cols), 2))
    return raw - q @ (q.T @ raw)


@pytest.mark.parametrize("order", [1, 2])
def test_fit_reports_residuals_equal_to_a_known_distortion(order: int) -> None:
    rng = np.random.default_rng(7)
    cols, rows = rng.uniform(0, 1200, 10), rng.uniform(0, 900, 10)

    def truth(c: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = 588250.0 + 0.91 * c + 0.024 * r
        y = 2323920.0 + 0.024 * c - 0.91 * r
        if order == 2:
            x, y = x + 3e-6 * c * r, y - 2e-6 * c * c
        return x, y

    xs, ys = truth(cols, rows)
    noise = _orthogonal_noise(cols, rows, order, seed=order)
    points = [G.ControlPoint(f"P{i}", c, r, x + dx, y + dy)
              for i, (c, r, x, y, (dx, dy)) in enumerate(zip(cols, rows, xs, ys, noise, strict=True))]
    result = G.fit(points, order)
    residuals = np.array([[r.dx, r.dy] for r in result.residuals])
    np.testing.assert_allclose(residuals, -noise, atol=1e-6)
    expected_rms = math.sqrt(float(np.mean(np.sum(noise**2, axis=1))))
    assert result.rms == pytest.approx(expected_rms, abs=1e-6)
    assert result.rms > 1.0
    # The distortion-free mapping is recovered everywhere, not only at the points.
    fx, fy = result.apply(np.array([0.0, 1200.0]), np.array([0.0, 900.0]))
    tx, ty = truth(np.array([0.0, 1200.0]), np.array([0.0, 900.0]))
    np.testing.assert_allclose(fx, tx, atol=1e-5)
    np.testing.assert_allclose(fy, ty, atol=1e-5)
    report = result.report()
    assert report["rms_m"] == round(expected_rms, 3)
    assert [r["id"] for r in report["residuals"]] == [p.id for p in points]
    with pytest.raises(G.GeorefError, match="exceeds the threshold"):
        G.check_fit(result, max_rms=1.0)
    G.check_fit(result, max_rms=1.0, force=True)
    G.check_fit(result, max_rms=expected_rms + 0.01)


def test_affine_fit_of_the_sample_scan_exposes_its_warp_and_the_polynomial_removes_it() -> None:
    points = sample_points()
    affine = G.fit(points, 1)
    poly = G.fit(points, 2)
    assert affine.rms > G.default_max_rms(2000) == 1.0
    assert max(r.distance for r in poly.residuals) < 0.005
    corners_px = np.array(META["scan"]["corners_px"])
    xs, ys = poly.apply(corners_px[:, 0], corners_px[:, 1])
    errors = np.hypot(xs - np.array(META["corners"])[:, 0], ys - np.array(META["corners"])[:, 1])
    assert errors.max() < 1.0
    # The affine fit misplaces some corner by more than the 0.5 mm graphic accuracy (1 m).
    ax, ay = affine.apply(corners_px[:, 0], corners_px[:, 1])
    assert np.hypot(ax - np.array(META["corners"])[:, 0],
                    ay - np.array(META["corners"])[:, 1]).max() > 1.0


def test_affine_fit_round_trips_to_a_transform() -> None:
    pts = [G.ControlPoint(str(i), c, r, 588300 + 2 * c, 2323850 - 2 * r)
           for i, (c, r) in enumerate([(0, 0), (100, 0), (0, 100), (100, 100)])]
    t = G.fit(pts, 1).affine()
    assert t @ (50, 50) == pytest.approx((588400, 2323750))


def test_too_few_or_collinear_points_are_refused() -> None:
    line = [G.ControlPoint(str(i), i * 10.0, i * 10.0, 588300 + i, 2323800 - i) for i in range(8)]
    with pytest.raises(G.GeorefError, match="collinear"):
        G.fit(line, 1)
    with pytest.raises(G.GeorefError, match="at least 6"):
        G.fit(sample_points()[:5], 2)
    with pytest.raises(G.GeorefError, match="at least 3"):
        G.fit(sample_points()[:2], 1)


def test_control_point_files_csv_json_and_qgis() -> None:
    csv_pts, _ = G.parse_control_points("id,pixel_x,pixel_y,x,y\nA,1.5,2.5,588300,2323800\n")
    assert csv_pts == [G.ControlPoint("A", 1.5, 2.5, 588300.0, 2323800.0)]
    doc = {"crs": "EPSG:4326", "points": [{"id": "B", "pixel": [3, 4], "coord": [105.85, 21.0]}]}
    json_pts, crs = G.parse_control_points(json.dumps(doc))
    assert crs == 4326 and json_pts[0].col == 3 and json_pts[0].x == 105.85
    qgis = ("#CRS: EPSG:5897\nmapX,mapY,sourceX,sourceY,enable,dX,dY,residual\n"
            "588300,2323800,10,-20,1,0,0,0\n588400,2323800,110,-20,0,0,0,0\n")
    q_pts, q_crs = G.parse_control_points(qgis)
    assert q_crs == 5897 and q_pts == [G.ControlPoint("1", 10.0, 20.0, 588300.0, 2323800.0)]
    with pytest.raises(G.GeorefError, match="pixel_x"):
        G.parse_control_points("a,b\n1,2\n")


def test_points_outside_hanoi_are_refused_with_a_hint() -> None:
    pts = [G.ControlPoint("A", 0, 0, 105.855, 21.0)]
    with pytest.raises(G.GeorefError, match="EPSG:4326"):
        G.to_vn2000(pts, 5897)
    swapped = [G.ControlPoint("A", 0, 0, 21.0, 105.855)]
    with pytest.raises(G.GeorefError, match="swapped"):
        G.to_vn2000(swapped, 4326)
    (p,) = G.to_vn2000(pts, 4326)
    assert p.x == pytest.approx(588691.99, abs=0.05) and p.y == pytest.approx(2323190.38, abs=0.05)


def test_crs_names_are_parsed_or_refused() -> None:
    assert G.parse_crs("EPSG:5897") == G.parse_crs("5897") == 5897
    assert G.parse_crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84") == 4326
    assert G.parse_crs(None) == 5897
    with pytest.raises(G.GeorefError, match="Unknown CRS"):
        G.parse_crs("EPSG:999999")


@pytest.mark.parametrize(("text", "code"), [
    ("QH_CX", "CX"), ("CX-01", "CX"), ("Đất ở", "ONM"), ("ĐẤT CÂY XANH", "CX"), ("ONHT-02", "ONHT"),
    ("GD 3", "GD"), ("LOP-GT", "GT"), ("MN", "MN"), ("0", None), ("KHUNG", None),
    ("MĐXD 40%", None), ("HO GUOM", None), ("ĐƯỜNG THANH NHÀN", None),
])
def test_land_use_codes_from_layer_names_and_labels(text: str, code: str | None) -> None:
    assert landuse.resolve(text) == code


def test_every_land_use_has_a_colour_and_both_names() -> None:
    assert len(set(landuse.CODES)) == len(landuse.LAND_USES)
    for use in landuse.LAND_USES:
        assert use.color.startswith("#") and len(use.color) == 7
        assert use.name_vi and use.name_en


def test_indicators_are_read_from_vietnamese_labels() -> None:
    assert indicators("MĐXD 40%") == {"building_density_pct": 40.0}
    assert indicators("TC 5-9\nHSSDĐ 3,6") == {"max_floors": 9.0, "floor_area_ratio": 3.6}
    assert indicators("MĐXD(%): 35\nTầng cao: 12") == {"building_density_pct": 35.0,
                                                       "max_floors": 12.0}
    assert indicators("ĐƯỜNG THANH NHÀN") == {}
