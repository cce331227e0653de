"""The command line: `stanceline serve | migrate | load | append | verify | ...`."""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from stanceline.answers import Answer
from stanceline.config import Settings
from stanceline.domain.projections import Evidence, Stance
from stanceline.errors import StancelineError
from stanceline.service import Service

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Stanceline: who said what, when, on a contested question.")

T = TypeVar("T")
DatabaseOpt = Annotated[str | None, typer.Option(
    "--database", "-d", envvar="STANCELINE_DATABASE_URL",
    help="SQLAlchemy URL (default sqlite:///./stanceline.db)")]


JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
KnownAtOpt = Annotated[str | None, typer.Option(
    "--known-at", help="what the log held then: a timestamp, a date or text")]


def printed_as_json(answer: Answer, as_json: bool) -> bool:
    """Print the answer as JSON if asked (the shape `/api` answers it in); whether it was."""
    if as_json:
        # Imported only here: the wire shapes are the API's response models, and the other
        # commands need not pay for importing FastAPI.
        from stanceline.api.models import to_wire

        typer.echo(json.dumps(to_wire(answer), indent=2, ensure_ascii=False))
    return as_json


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def settings_for(database: str | None) -> Settings:
    """Settings from the environment, with the database named on the command line."""
    settings = Settings()
    if database:
        settings = settings.model_copy(update={"database_url": database})
    return settings


@contextmanager
def opened(database: str | None, *, create: bool = False) -> Iterator[Service]:
    """A service for one command; domain errors become one line and exit code 1.

    Only the commands that write (`serve`, `migrate`, `load`, `append`, `import`) pass
    `create`: every other one opens an existing store at the newest revision or says there is
    none, creating nothing (no SQLite file, no table on PostgreSQL).
    """
    try:
        service = Service.open(settings_for(database), migrate=create)
    except StancelineError as exc:
        raise fail(exc.detail) from None
    except Exception as exc:  # a bad URL or an unreachable server: say so, no traceback
        cause = getattr(exc, "orig", None) or exc
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        raise fail(f"cannot open the store {database or 'sqlite:///./stanceline.db'}: {first}"
                   ) from None
    try:
        yield service
    except StancelineError as exc:
        raise fail(exc.detail) from None
    finally:
        service.close()


def run(database: str | None, action: Callable[[Service], T], *, create: bool = False) -> T:
    """Run one use case on a freshly opened service (`create`: see `opened`)."""
    with opened(database, create=create) as service:
        return action(service)


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    database: DatabaseOpt = None,
    allow_open_writes: Annotated[bool, typer.Option(
        "--allow-open-writes", help="serve a non-loopback host without write tokens")] = False,
) -> None:
    """Run the service (migrates the store and loads the curated events on start)."""
    import uvicorn

    settings = settings_for(database)
    if not is_loopback(host) and not settings.tokens and not allow_open_writes:
        raise fail(f"refusing to serve {host} with open writes: set STANCELINE_API_TOKENS "
                   "or pass --allow-open-writes")
    os.environ["STANCELINE_DATABASE_URL"] = settings.database_url
    # Migrate and seed once here, so several workers do not race to do it.
    with opened(database, create=True) as service:
        said = service.seed()
    if said:
        typer.echo(said, err=True)
    os.environ["STANCELINE_LOAD_SEED"] = "false"
    uvicorn.run("stanceline.api.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, loop="uvloop", http="httptools", log_level="info",
                access_log=False)


@app.command()
def migrate(database: DatabaseOpt = None) -> None:
    """Create or upgrade the store's schema."""
    run(database, lambda s: None, create=True)
    typer.echo("schema is up to date")


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="JSON Lines files or folders of them")],
    database: DatabaseOpt = None,
) -> None:
    """Load events (idempotent: events already present are skipped)."""
    with opened(database, create=True) as service:
        if sys.stderr.isatty():
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("loading", total=None)
                summary = service.load(paths, progress=lambda n: bar.advance(task, n))
        else:
            summary = service.load(paths)
    typer.echo(summary.line())


@app.command()
def append(
    path: Annotated[Path | None, typer.Argument(help="a JSON file (list, object or JSON Lines); "
                                                     "stdin if omitted or '-'")] = None,
    database: DatabaseOpt = None,
) -> None:
    """Append events from a file or stdin, atomically."""
    if path is None or str(path) == "-":
        payload = sys.stdin.read()
    elif not path.is_file():
        raise fail(f"{path}: no such file")
    else:
        payload = path.read_text(encoding="utf-8")
    appended = run(database, lambda s: s.append_json(payload), create=True)
    for item in appended:
        typer.echo(f"{item.position}\t{item.id}\t{item.stream}@{item.version}")


@app.command()
def verify(database: DatabaseOpt = None) -> None:
    """Walk the hash chain; exit 1 and name the first broken position if it is broken."""
    report = run(database, lambda s: s.verify())
    if report.ok:
        typer.echo(f"ok: {report.events} events, head {report.head}")
        return
    raise fail(f"chain broken at position {report.broken_at}: {report.detail}")


@app.command()
def rebuild(database: DatabaseOpt = None) -> None:
    """Recompute every projection from the log."""
    count, seconds = run(database, lambda s: s.rebuild())
    rate = count / seconds if seconds else 0.0
    typer.echo(f"rebuilt the projections of {count} events in {seconds:.2f} s "
               f"({rate:,.0f} events/s)")


@app.command("export")
def export_log(
    path: Annotated[Path | None, typer.Argument(help="a file to write; stdout if omitted")
                    ] = None,
    database: DatabaseOpt = None,
) -> None:
    """Write the whole log as JSON Lines (positions, times and hashes included)."""
    with opened(database) as service:  # before the file: a missing store leaves no file
        if path is None or str(path) == "-":
            count = service.export(sys.stdout)
        else:
            with path.open("w", encoding="utf-8") as out:
                count = service.export(out)
    typer.echo(f"exported {count} events", err=True)


@app.command("import")
def import_log(
    path: Annotated[Path, typer.Argument(help="a file written by `stanceline export`")],
    database: DatabaseOpt = None,
) -> None:
    """Restore an export into an empty store (the chain head comes out the same)."""
    if not path.is_file():
        raise fail(f"{path}: no such file")
    with path.open(encoding="utf-8") as lines:
        count = run(database, lambda s: s.import_(lines), create=True)
    report = run(database, lambda s: s.verify())
    typer.echo(f"imported {count} events, head {report.head}")


def _stance_line(stance: Stance) -> str:
    value = stance.stance if stance.certain else (
        f"{stance.stance} (not certain: may already be {', '.join(stance.possible)})")
    since = f" since {stance.since}" if stance.since else ""
    if stance.last_stated and stance.last_stated != stance.since:
        since += f" (last stated {stance.last_stated})"
    conditions = (f" if {'; '.join(c.text for c in stance.conditions)}"
                  if stance.conditions else "")
    voiced = f" as voiced by {stance.speaker}" if stance.speaker else ""
    return f"{stance.actor} on {stance.topic}{voiced}: {value}{since}{conditions}"


def _evidence_lines(evidence: list[Evidence]) -> list[str]:
    lines = []
    for item in evidence:
        written = f" ({item.occurred_text!r})" if item.occurred_text else ""
        flag = " [disputed]" if item.disputed else ""
        lines.append(f"  {item.counts}: {item.occurred}{written} {item.document}: "
                     f"\u201c{item.quote}\u201d{flag}")
    return lines


@app.command()
def stance(
    actor: Annotated[str, typer.Argument(help="an actor id or any of its names")],
    topic: Annotated[str, typer.Argument(help="a topic id, e.g. troops-in-ukraine")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO date or text")] = None,
    known_at: KnownAtOpt = None,
    reported_by: Annotated[str | None, typer.Option(
        "--reported-by", help="count only what had been published by this date")] = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """An actor's stance on a topic as of a date, with the evidence (a person: what they
    voiced, one line per actor they spoke for)."""
    answer = run(database, lambda s: s.stance(actor, topic, as_of, known_at, reported_by))
    if printed_as_json(answer, as_json):
        return
    typer.echo(f"as of {answer.as_of} (known at {answer.known_at})")
    for item in answer.stances:
        typer.echo(_stance_line(item))
        for line in _evidence_lines(item.evidence):
            typer.echo(line)


@app.command()
def history(
    actor: Annotated[str, typer.Argument(help="an actor id or any of its names")],
    topic: Annotated[str, typer.Argument(help="a topic id")],
    known_at: KnownAtOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Each change of an actor's stance on a topic."""
    answer = run(database, lambda s: s.history(actor, topic, known_at))
    if printed_as_json(answer, as_json):
        return
    if not answer.changes:
        typer.echo(f"{answer.actor} has declared no stance on {answer.topic}")
    for change in answer.changes:
        mark = "" if change.certain else " (order uncertain)"
        who = f" {change.actor}" if answer.speaker and change.actor else ""
        conditions = (f" if {'; '.join(c.text for c in change.conditions)}"
                      if change.conditions else "")
        typer.echo(f"{change.since}:{who} {change.stance}{conditions}{mark}")
        for line in _evidence_lines(change.evidence):
            typer.echo(line)


@app.command()
def changes(
    start: Annotated[str, typer.Option("--from", help="ISO date or text")],
    end: Annotated[str | None, typer.Option("--to", help="ISO date or text (default today)")
                   ] = None,
    topic: Annotated[str | None, typer.Option("--topic")] = None,
    known_at: KnownAtOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Who moved between two dates."""
    answer = run(database, lambda s: s.changes(start, end, topic, known_at))
    if printed_as_json(answer, as_json):
        return
    typer.echo(f"from {answer.from_} to {answer.to}: {len(answer.changes)} moved")
    for move in answer.changes:
        typer.echo(f"{move.actor} on {move.topic}: {move.before.stance} -> "
                   f"{move.after.stance}")


@app.command()
def bench(
    events: Annotated[int | None, typer.Option(
        "--events", "-n", min=1, help="synthetic events (default 100,000; 2,000 with --quick)")
                      ] = None,
    database: Annotated[str | None, typer.Option(
        "--database", "-d", help="a PostgreSQL URL (its own scratch schema is used); "
                                 "default: a scratch SQLite file")] = None,
    appends: Annotated[int | None, typer.Option(
        min=1, help="single appends to time (default 1,000; 100 with --quick)")] = None,
    quick: Annotated[bool, typer.Option(
        "--quick", help="small and short, for CI: 2,000 events, 1 s HTTP phases")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Measure load, append, as-of (in-process and HTTP), matrix and replay on a synthetic log,
    each against a ceiling measured in the same run, and the eventsourcing peer."""
    from stanceline import bench as benchmark

    try:
        report = benchmark.run(events=events, database=database, appends=appends, quick=quick)
    except StancelineError as exc:
        raise fail(exc.detail) from None
    typer.echo(benchmark.main_report(report, as_json))


@app.command()
def vocabulary(
    events: Annotated[Path | None, typer.Option(
        "--events", help="the curated events folder (default: the checkout's events/)")] = None,
    readme: Annotated[Path | None, typer.Option(
        "--readme", help="rewrite this README's Vocabulary section in place")] = None,
) -> None:
    """Print the vocabulary (event types and fields, stance values, actor kinds, topics, claim
    subjects) as Markdown, generated from the payload models and events/."""
    from stanceline.config import default_events_dir
    from stanceline.vocabulary import vocabulary_markdown, with_section

    folder = events or default_events_dir()
    if not folder.is_dir():
        raise fail(f"no events folder at {folder}")
    markdown = vocabulary_markdown(folder)
    if readme is None:
        typer.echo(markdown, nl=False)
        return
    try:
        readme.write_text(with_section(readme.read_text(encoding="utf-8"), markdown),
                          encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"wrote the Vocabulary section of {readme}", err=True)


def main() -> None:
    """Console-script entry point."""
    app()
