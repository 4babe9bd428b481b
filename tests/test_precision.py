"""Coordinates served in degrees carry surveyed VN-2000 points to the millimetre."""

from __future__ import annotations

from pyproj import Transformer


def test_markers_in_crs84_round_trip_to_the_surveyed_millimetre(client) -> None:
    doc = client.get("/collections/red_line_markers/items", params={"limit": 10000}).json()
    to_vn = Transformer.from_crs("OGC:CRS84", 5897, always_xy=True)
    worst = 0.0
    for f in doc["features"]:
        x, y = to_vn.transform(*f["geometry"]["coordinates"])
        p = f["properties"]
        worst = max(worst, abs(x - float(p["easting_m"])), abs(y - float(p["northing_m"])))
    assert len(doc["features"]) > 100
    assert worst < 0.0015, f"{worst * 1000:.2f} mm"
