"""The service answers and knows its database."""

from __future__ import annotations


def test_health_reports_status_and_schema_only(client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["schema"]
    assert "postgresql" not in body and "postgis" not in body


def test_unknown_path_is_a_json_404(client) -> None:
    r = client.get("/no-such-thing")
    assert r.status_code == 404
    assert r.json()["description_en"]
