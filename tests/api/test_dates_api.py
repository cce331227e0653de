"""`GET /api/dates`: a date expression resolved as `occurred_text` is on append, for forms."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_words_resolve_to_a_span_against_the_reference(client: TestClient) -> None:
    answer = client.get("/api/dates", params={"text": "last February",
                                              "relative_to": "2025-01-23"})
    assert answer.status_code == 200
    assert answer.json() == {"text": "last February", "relative_to": "2025-01-23",
                             "start": "2024-02-01", "end": "2024-02-29", "precision": "month",
                             "edtf": "2024-02", "open": False, "is_edtf": False}


def test_edtf_and_open_starts(client: TestClient) -> None:
    day = client.get("/api/dates", params={"text": "2025-02-03"}).json()
    assert (day["start"], day["end"], day["precision"], day["is_edtf"]) == (
        "2025-02-03", "2025-02-03", "day", True)
    before = client.get("/api/dates", params={"text": "previously",
                                              "relative_to": "2025-02-20"}).json()
    assert before["open"] is True and before["start"] is None
    assert before["edtf"] == "../2025-02-20"


def test_what_is_not_understood_is_a_422_with_the_reason(client: TestClient) -> None:
    vague = client.get("/api/dates", params={"text": "recently"})
    assert vague.status_code == 422
    body = vague.json()
    assert body["error"] == "InvalidInput" and "too vague" in body["detail"]
    assert body["errors"][0]["path"] == "query.text"
    bad_ref = client.get("/api/dates", params={"text": "May", "relative_to": "soon"})
    assert bad_ref.status_code == 422
    assert bad_ref.json()["errors"][0]["path"] == "query.relative_to"
    assert client.get("/api/dates").status_code == 422
