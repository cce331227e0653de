"""The CLI reads what the API reads: every read command in table, JSON and CSV, the JSON the
route's answer, the CSV the route's CSV (read back and compared with the JSON)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stanceline.api import create_app
from stanceline.cli import app
from stanceline.config import Settings

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
T = "troops-in-ukraine"
KNOWN = "2030-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('reads') / 'seeded.db'}"
    loaded = runner.invoke(app, ["load", str(ROOT / "events"), "-d", url])
    assert loaded.exit_code == 0, loaded.output
    return url


@pytest.fixture(scope="module")
def api(seeded_db: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=seeded_db, load_seed=False))) as client:
        yield client


def cli(db: str, *args: str, width: int = 100) -> str:
    result = runner.invoke(app, [*args, "-d", db], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    # The runner's `stdout` turns CRLF into LF: read the bytes as printed.
    return result.stdout_bytes.decode("utf-8")


# (the command line, the route it reads, the key of its rows)
READS = [
    (["matrix", T, "--as-of", "2026-01-10", "--known-at", KNOWN],
     f"/api/stances?topic={T}&as_of=2026-01-10&known_at={KNOWN}&evidence=full", "stances"),
    (["stance", "*", T, "--as-of", "2025-03-01", "--known-at", KNOWN],
     f"/api/stances?topic={T}&as_of=2025-03-01&known_at={KNOWN}&evidence=full", "stances"),
    (["stance", "Kir Starmer", T, "--as-of", "2026-01-10", "--known-at", KNOWN],
     f"/api/stances?actor=Kir+Starmer&topic={T}&as_of=2026-01-10&known_at={KNOWN}",
     "stances"),
    (["history", "fra", T, "--known-at", KNOWN],
     f"/api/history?actor=fra&topic={T}&known_at={KNOWN}", "changes"),
    (["changes", "--from", "2025-02-15", "--to", "2026-01-10", "--known-at", KNOWN],
     f"/api/changes?from=2025-02-15&to=2026-01-10&known_at={KNOWN}", "changes"),
    (["claims", "--subject", "force-size", "--as-of", "2026-01-10", "--known-at", KNOWN],
     f"/api/claims?subject=force-size&as_of=2026-01-10&known_at={KNOWN}", "claims"),
    (["claims", "--known-at", KNOWN, "--as-of", "2026-01-10"],
     f"/api/claims?as_of=2026-01-10&known_at={KNOWN}", "claims"),
    (["actors"], "/api/actors?", "actors"),
    (["actors", "--q", "French"], "/api/actors?q=French", "actors"),
    (["topics"], "/api/topics?", "topics"),
    (["events", "--actor", "pol", "--limit", "50"], "/api/events?actor=pol&limit=50",
     "events"),
    (["events", "--topic", T, "--type", "stance.declared", "--from", "2025-01",
      "--to", "2025-12", "--known-at", KNOWN, "--limit", "7"],
     f"/api/events?topic={T}&type=stance.declared&from=2025-01&to=2025-12"
     f"&known_at={KNOWN}&limit=7", "events"),
    (["panel", T, "--from", "2025-01", "--to", "2025-06-15", "--known-at", KNOWN],
     f"/api/panel?topic={T}&from=2025-01&to=2025-06-15&known_at={KNOWN}", "rows"),
    (["panel", T, "--from", "2024", "--to", "2026-01", "--every", "quarter",
      "--known-at", KNOWN],
     f"/api/panel?topic={T}&from=2024&to=2026-01&every=quarter&known_at={KNOWN}", "rows"),
]
IDS = [" ".join(args[:2]) for args, _, _ in READS]


@pytest.mark.parametrize(("args", "url", "key"), READS, ids=IDS)
def test_json_is_the_routes_answer(seeded_db: str, api: TestClient, args: list[str],
                                   url: str, key: str) -> None:
    printed = json.loads(cli(seeded_db, *args, "--format", "json"))
    served = api.get(url)
    assert served.status_code == 200, served.text
    assert printed == served.json()
    assert printed[key], "the example has rows"


@pytest.mark.parametrize(("args", "url", "key"), READS, ids=IDS)
def test_csv_is_the_routes_csv_and_reads_back_as_the_json(
        seeded_db: str, api: TestClient, args: list[str], url: str, key: str) -> None:
    printed = cli(seeded_db, *args, "--format", "csv")
    served = api.get(f"{url}&format=csv")
    assert served.headers["content-type"] == "text/csv; charset=utf-8"
    assert printed == served.content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(printed, newline="")))
    answer = json.loads(cli(seeded_db, *args, "--json"))
    assert len(rows) == len(answer[key]) > 0
    for row, item in zip(rows, answer[key], strict=True):
        for column, value in item.items():
            if column in row and not isinstance(value, dict | list):
                assert row[column] == _text(value), (column, row, item)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@pytest.mark.parametrize(("args", "url", "key"), READS, ids=IDS)
@pytest.mark.parametrize("width", [60, 100, 160])
def test_tables_fit_the_terminal(seeded_db: str, args: list[str], url: str, key: str,
                                 width: int) -> None:
    printed = cli(seeded_db, *args, "--format", "table", width=width)
    lines = printed.splitlines()
    assert len(lines) > 3
    assert max(len(line) for line in lines) <= width, printed


def test_table_contents(seeded_db: str) -> None:
    matrix = cli(seeded_db, "matrix", T, "--as-of", "2026-01-10")
    assert "troops-in-ukraine as of 2026-01-10" in matrix
    assert any(line.startswith("gbr ") and "conditional" in line for line in matrix.splitlines())
    assert "11 row(s)" in matrix
    # The new reads print a table by default; the same with --format table.
    assert cli(seeded_db, "matrix", T, "--as-of", "2026-01-10", "-f", "table") == matrix
    panel = cli(seeded_db, "panel", T, "--from", "2025-01", "--to", "2025-03", width=120)
    gbr = next(line for line in panel.splitlines() if line.startswith("gbr "))
    assert gbr.split() == ["gbr", "│", ".?", "│", "C", "│", "S"]
    assert "? not certain" in panel
    claims = cli(seeded_db, "claims", "--subject", "force-size", width=120)
    assert "fewer than 30000 troops" in claims and "25000-30000 troops" in claims
    events = cli(seeded_db, "events", "--actor", "pol", "--limit", "1")
    assert "the next page: --after" in events
    topics = cli(seeded_db, "topics")
    assert "own-troops" in topics and "10 row(s)" in topics
    actors = cli(seeded_db, "actors", "-q", "Polish")
    assert "pol" in actors and "Poland" in actors


def test_star_means_every_actor(seeded_db: str) -> None:
    every = json.loads(cli(seeded_db, "stance", "*", T, "--as-of", "2026-01-10", "--json"))
    matrix = json.loads(cli(seeded_db, "matrix", T, "--as-of", "2026-01-10", "--json"))
    assert every["stances"] == matrix["stances"]
    assert len({s["actor"] for s in every["stances"]}) == 11
    text = cli(seeded_db, "stance", "*", T, "--as-of", "2026-01-10")
    assert "gbr on troops-in-ukraine: conditional" in text
    both = json.loads(cli(seeded_db, "stance", "fra", "*", "--json"))
    assert {s["actor"] for s in both["stances"]} == {"fra"}
    assert len({s["topic"] for s in both["stances"]}) > 1


def test_json_and_format_agree_or_are_refused(seeded_db: str) -> None:
    args = ["history", "fra", T, "--known-at", KNOWN]
    assert cli(seeded_db, *args, "--json") == cli(seeded_db, *args, "--format", "json")
    clash = runner.invoke(app, [*args, "--json", "--format", "csv", "-d", seeded_db])
    assert clash.exit_code == 1 and clash.output.startswith("error: --json and --format csv")
    wrong = runner.invoke(app, [*args, "--format", "xml", "-d", seeded_db])
    assert wrong.exit_code == 2


def test_panel_errors_are_one_line(seeded_db: str) -> None:
    for args in (["panel", T, "--from", "1900-01", "--to", "2025-01"],
                 ["panel", T, "--from", "2025-01", "--every", "week"],
                 ["panel", T, "--from", "blorp"]):
        result = runner.invoke(app, [*args, "-d", seeded_db])
        assert result.exit_code == 1, result.output
        assert result.output.startswith("error: ") and len(result.output.splitlines()) == 1


def test_markup_in_the_data_is_shown_as_written(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    event = {"type": "stance.declared", "occurred": "2025-02-03",
             "data": {"actor": "fra", "topic": T, "stance": "supports",
                      "summary": "[bold]not bold[/bold] [red]x"},
             "source": {"document": "d", "quote": "q"}}
    registered = [{"type": "actor.registered", "data": {"actor": "fra", "name": "France",
                                                        "kind": "country"}},
                  {"type": "topic.defined", "data": {"topic": T, "title": "Troops"}}]
    appended = runner.invoke(app, ["append", "-d", db],
                             input=json.dumps({"events": [*registered, event]}))
    assert appended.exit_code == 0, appended.output
    printed = cli(db, "events", "--type", "stance.declared", width=200)
    assert "[bold]not bold[/bold] [red]x" in printed
