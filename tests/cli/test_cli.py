"""The CLI: load, append, verify, migrate; errors are one line and a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from stanceline.api import create_app
from stanceline.cli import app
from stanceline.config import Settings

runner = CliRunner()


def line(actor: str, occurred: str = "2025-02-03") -> str:
    return json.dumps({"type": "stance.declared", "occurred": occurred,
                       "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{actor}/{occurred}")),
                       "data": {"actor": actor, "topic": "troops-in-ukraine", "stance": "opposes"},
                       "source": {"document": "t", "quote": "q"}})


# Every actor and topic these tests name, registered before each test (on their own stream).
NAMES = ["pol", "deu", "rus", "gbr", "a", "b", "c", "zz", *(f"a{i}" for i in range(10)),
         "b1", "b2", "b3"]
DIRECTORY = [{"type": "actor.registered", "stream": "test-directory",
              "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"actor/{a}")),
              "data": {"actor": a, "name": f"Actor {a}", "kind": "country"}} for a in NAMES]
DIRECTORY.append({"type": "topic.defined", "stream": "test-directory",
                  "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "topic/troops-in-ukraine")),
                  "data": {"topic": "troops-in-ukraine", "title": "Troops in Ukraine"}})
N = len(DIRECTORY)


@pytest.fixture
def empty_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def db(tmp_path: Path, empty_db: str) -> str:
    """A store with the tests' names registered (positions 1..N)."""
    path = tmp_path / "directory.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in DIRECTORY) + "\n")
    loaded = runner.invoke(app, ["load", str(path), "-d", empty_db])
    assert loaded.exit_code == 0, loaded.output
    return empty_db


def test_load_a_folder_is_idempotent(tmp_path: Path, db: str) -> None:
    folder = tmp_path / "events"
    folder.mkdir()
    (folder / "a.jsonl").write_text("\n".join(line(a) for a in ("pol", "deu")) + "\n")
    (folder / "b.jsonl").write_text(line("rus") + "\n\n")
    first = runner.invoke(app, ["load", str(folder), "-d", db])
    assert first.exit_code == 0, first.output
    assert "loaded 3 new events from 2 file(s)" in first.output
    again = runner.invoke(app, ["load", str(folder), "-d", db])
    assert "loaded 0 new events" in again.output and "3 already present" in again.output
    verified = runner.invoke(app, ["verify", "-d", db])
    assert verified.exit_code == 0 and verified.output.startswith(f"ok: {N + 3} events")


def test_load_reports_file_line_and_field(tmp_path: Path, db: str) -> None:
    bad = tmp_path / "bad.jsonl"
    broken = json.loads(line("pol"))
    broken["data"]["stance"] = "perhaps"
    bad.write_text(line("deu") + "\n" + json.dumps(broken) + "\n")
    result = runner.invoke(app, ["load", str(bad), "-d", db])
    assert result.exit_code == 1
    assert f"{bad}:2: " in result.output and "data.stance" in result.output
    assert "Traceback" not in result.output


def test_append_from_stdin_and_file(tmp_path: Path, db: str) -> None:
    result = runner.invoke(app, ["append", "-d", db], input=line("pol") + "\n" + line("deu"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(f"{N + 1}\t")
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"events": [json.loads(line("gbr"))]}))
    assert runner.invoke(app, ["append", str(path), "-d", db]).output.startswith(f"{N + 3}\t")
    empty = runner.invoke(app, ["append", "-d", db], input="")
    assert empty.exit_code == 1 and "empty" in empty.output


def test_verify_names_the_broken_position(tmp_path: Path, db: str) -> None:
    runner.invoke(app, ["append", "-d", db], input="\n".join(line(a) for a in "abc"))
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER events_no_update")
        conn.exec_driver_sql(f"UPDATE events SET note = 'forged' WHERE position = {N + 2}")
    engine.dispose()
    result = runner.invoke(app, ["verify", "-d", db])
    assert result.exit_code == 1 and f"broken at position {N + 2}" in result.output


def test_errors_are_one_line_without_traceback(tmp_path: Path, db: str) -> None:
    for args in (["load", str(tmp_path / "missing.jsonl"), "-d", db],
                 ["append", str(tmp_path / "missing.json"), "-d", db],
                 ["verify", "-d", "postgresql+psycopg://nobody@127.0.0.1:1/none"],
                 ["migrate", "-d", "nosuchdialect://x"]):
        result = runner.invoke(app, args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output and result.output.startswith("error: "), args
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_serve_refuses_open_writes_on_a_public_host(db: str) -> None:
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "-d", db],
                           env={"STANCELINE_API_TOKENS": ""})
    assert result.exit_code == 1 and "--allow-open-writes" in result.output


def test_console_script_is_installed(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "stanceline", "--help"], capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0 and "serve" in out.stdout


def test_large_loads_validate_in_a_second_process(tmp_path: Path, db: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import stanceline.ingest as ingest

    monkeypatch.setattr(ingest, "PARALLEL_LOAD_BYTES", 0)
    monkeypatch.setattr(ingest, "WORKER_CHUNK", 2)
    monkeypatch.setattr(ingest, "LOAD_BATCH", 3)
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(line(f"a{i}") for i in range(10)) + "\n")
    result = runner.invoke(app, ["load", str(path), "-d", db])
    assert result.exit_code == 0 and "loaded 10 new events" in result.output
    assert runner.invoke(app, ["verify", "-d", db]).output.startswith(f"ok: {N + 10} events")
    broken = json.loads(line("zz"))
    broken["occurred"] = "2025-02-31"
    path.write_text("\n".join([line("b1"), line("b2"), line("b3"), json.dumps(broken)]) + "\n")
    failed = runner.invoke(app, ["load", str(path), "-d", db])
    assert failed.exit_code == 1 and f"{path}:4:" in failed.output and "2025-02-31" in failed.output


@pytest.fixture
def seeded_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    root = Path(__file__).resolve().parents[2]
    assert runner.invoke(app, ["load", str(root / "events"), "-d", url]).exit_code == 0
    return url


def test_stance_history_and_changes_commands(seeded_db: str) -> None:
    answer = runner.invoke(app, ["stance", "France", "troops-during-war", "--as-of",
                                 "10 February 2024", "-d", seeded_db])
    assert answer.exit_code == 0, answer.output
    assert "as of 2024-02-10" in answer.output
    assert "fra on troops-during-war: unknown (not certain: may already be supports)" in (
        answer.output)
    assert "'last February'" in answer.output
    as_json = runner.invoke(app, ["stance", "pol", "own-troops", "--as-of",
                                  "2025-02-15", "--json", "-d", seeded_db])
    assert json.loads(as_json.output)["stances"][0]["stance"] == "opposes"
    history = runner.invoke(app, ["history", "fra", "troops-in-ukraine", "-d", seeded_db])
    assert history.exit_code == 0 and history.output.startswith("2025-03: supports")
    moved = runner.invoke(app, ["changes", "--from", "2025-02-15", "--to", "2026-01-10",
                                "--topic", "troops-in-ukraine", "-d", seeded_db])
    assert moved.exit_code == 0 and "fra on troops-in-ukraine: unknown -> conditional" in (
        moved.output)
    person = runner.invoke(app, ["stance", "Kir Starmer", "troops-in-ukraine", "--as-of",
                                 "2026-01-10", "-d", seeded_db])
    assert person.exit_code == 0, person.output
    assert "gbr on troops-in-ukraine as voiced by keir-starmer: conditional" in person.output
    assert "fra on troops-in-ukraine as voiced by keir-starmer: conditional" in person.output
    bad = runner.invoke(app, ["stance", "fra", "troops-in-ukraine", "--as-of", "blorp",
                              "-d", seeded_db])
    assert bad.exit_code == 1 and bad.output.startswith("error: as_of:")


@pytest.mark.parametrize(("args", "url"), [
    (["stance", "Kir Starmer", "troops-in-ukraine", "--as-of", "2025-03-15"],
     "/api/stances?actor=Kir+Starmer&topic=troops-in-ukraine&as_of=2025-03-15"),
    (["history", "fra", "troops-in-ukraine"], "/api/history?actor=fra&topic=troops-in-ukraine"),
    (["changes", "--from", "2025-02-15", "--to", "2026-01-10"],
     "/api/changes?from=2025-02-15&to=2026-01-10"),
])
def test_json_output_is_the_api_answer(seeded_db: str, args: list[str], url: str) -> None:
    # One source of the wire shapes: `--json` prints what the route answers.
    known = "2030-01-01T00:00:00Z"
    printed = runner.invoke(app, [*args, "--known-at", known, "--json", "-d", seeded_db])
    assert printed.exit_code == 0, printed.output
    with TestClient(create_app(Settings(database_url=seeded_db, load_seed=False))) as client:
        served = client.get(f"{url}&known_at={known}")
    assert served.status_code == 200
    assert json.loads(printed.output) == served.json()


def test_export_import_and_rebuild_commands(seeded_db: str, tmp_path: Path) -> None:
    dump = tmp_path / "log.jsonl"
    exported = runner.invoke(app, ["export", str(dump), "-d", seeded_db])
    assert exported.exit_code == 0 and dump.read_text().count("\n") > 100
    head = runner.invoke(app, ["verify", "-d", seeded_db]).output.split("head ")[1].strip()
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    imported = runner.invoke(app, ["import", str(dump), "-d", copy])
    assert imported.exit_code == 0 and imported.output.strip().endswith(head)
    again = runner.invoke(app, ["import", str(dump), "-d", copy])
    assert again.exit_code == 1 and "empty store" in again.output
    rebuilt = runner.invoke(app, ["rebuild", "-d", copy])
    assert rebuilt.exit_code == 0 and rebuilt.output.startswith("rebuilt the projections of")
    to_stdout = runner.invoke(app, ["export", "-d", copy])
    assert to_stdout.exit_code == 0 and to_stdout.stdout.startswith('{"position":1,')


@pytest.mark.parametrize(("bad", "column", "expected"), [
    ('{"type": "stance.declared", "occurred": "2025-02-03",, }', 54, "Expecting property name"),
    ('{"type": "stance.declared"', 27, "Expecting ',' delimiter"),
    ("not json at all", 1, "Expecting value"),
])
def test_a_malformed_line_is_reported_with_its_own_number(tmp_path: Path, db: str, bad: str,
                                                          column: int, expected: str) -> None:
    # Issue 11.9: once reported as `file.jsonl:1: : Invalid JSON ... at line 11`.
    path = tmp_path / "broken.jsonl"
    good = [line(f"a{i}") for i in range(10)]
    path.write_text("\n".join([*good[:5], "", *good[5:], bad, line("z")]) + "\n")
    result = runner.invoke(app, ["load", str(path), "-d", db])
    assert result.exit_code == 1
    said = result.output.strip()
    assert said.startswith(f"error: {path}:12: not valid JSON at column {column}: "), said
    assert expected in said and len(said.splitlines()) == 1


def test_a_line_that_is_not_an_object_is_named(tmp_path: Path, db: str) -> None:
    path = tmp_path / "list.jsonl"
    path.write_text(line("a") + "\n[1, 2]\n")
    result = runner.invoke(app, ["load", str(path), "-d", db])
    assert result.exit_code == 1 and f"{path}:2: " in result.output and "object" in result.output


def test_load_names_the_file_and_line_of_an_unregistered_reference(tmp_path: Path,
                                                                   db: str) -> None:
    path = tmp_path / "refs.jsonl"
    path.write_text("\n".join([line("pol"), line("germany"), line("deu")]) + "\n")
    result = runner.invoke(app, ["load", str(path), "-d", db])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{path}:2: data.actor: no actor `germany` is registered" in result.output
    assert "did you mean `a` (Actor a)" in result.output, "the closest ids, with their names"
    verified = runner.invoke(app, ["verify", "-d", db])
    assert verified.output.startswith(f"ok: {N} events"), "the batch is refused whole"
