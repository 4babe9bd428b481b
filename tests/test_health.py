"""The service answers and knows its database."""

from __future__ import annotations


def test_health_reports_versions(client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["postgresql"].startswith("15") or body["postgresql"][0].isdigit()
    assert body["postgis"].startswith("3.")
    assert body["schema"]


def test_unknown_path_is_a_json_404(client) -> None:
    r = client.get("/no-such-thing")
    assert r.status_code == 404
    assert r.json()["description_en"]
