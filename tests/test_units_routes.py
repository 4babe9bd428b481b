"""Every route that takes a district or a ward answers an unknown one with a 404 naming the known."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from layers import units

PERIOD = {"from": "2022-01-01", "to": "2022-06-30"}
BBOX = "105.885,21.025,105.89,21.03"  # a corner of Long Biên

ROUTES = [
    pytest.param("/stats/clearance", {}, id="stats"),
    pytest.param("/reports/clearance", {**PERIOD, "format": "json"}, id="report-json"),
    pytest.param("/reports/clearance/map.png", PERIOD, id="report-map"),
    pytest.param("/dashboard", {}, id="dashboard"),
    pytest.param("/map", {}, id="map"),
    pytest.param("/exports/map.png", {"bbox": BBOX, "width": "200"}, id="export-png"),
    pytest.param("/exports/map.pdf", {"bbox": BBOX, "paper": "A4"}, id="export-pdf"),
]


@pytest.fixture(scope="module")
def api(live_server: str) -> Iterator[httpx.Client]:
    # The real server: a PNG export has Chromium load this service's own /map page.
    with httpx.Client(base_url=live_server, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def wards(engine) -> dict[str, list[str]]:
    with engine.connect() as c:
        return units.wards_by_district(c)


@pytest.mark.parametrize("path, params", ROUTES)
def test_unknown_district_is_a_404_naming_the_districts(api, path: str,
                                                        params: dict[str, str]) -> None:
    r = api.get(path, params={**params, "district": "atlantis"})
    assert r.status_code == 404, r.text[:300]
    body = r.json()
    for text in (body["description_vi"], body["description_en"]):
        assert "atlantis" in text
        assert "long-bien" in text and "hai-ba-trung" in text


@pytest.mark.parametrize("path, params", ROUTES)
def test_unknown_ward_is_a_404_naming_the_wards_of_its_district(
        api, wards: dict[str, list[str]], path: str, params: dict[str, str]) -> None:
    r = api.get(path, params={**params, "district": "hai-ba-trung", "ward": "Atlantis"})
    assert r.status_code == 404, r.text[:300]
    body = r.json()
    assert wards["hai-ba-trung"] and wards["long-bien"]
    for text in (body["description_vi"], body["description_en"]):
        assert "Atlantis" in text
        assert all(name in text for name in wards["hai-ba-trung"]), text
        assert not any(name in text for name in wards["long-bien"]), text
