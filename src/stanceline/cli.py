"""The command line: `stanceline serve | migrate | load | append | verify | ...`.

The reads (`stance`, `matrix`, `history`, `changes`, `claims`, `actors`, `topics`, `events`,
`panel`) call the use cases the API calls and print the same answer: `--format json` is the
route's JSON, `--format csv` its CSV (the API's one renderer, `stanceline.api.tables`), and
`--format table` (the default of the new reads) its rows as a rich table fitting the terminal.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from stanceline.answers import Answer
from stanceline.config import Settings
from stanceline.domain.chain import ChainReport
from stanceline.domain.checkpoint import Checkpoint
from stanceline.domain.events import format_timestamp
from stanceline.domain.projections import Evidence, Stance
from stanceline.errors import StancelineError
from stanceline.service import Service

if TYPE_CHECKING:
    from stanceline.api.tables import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Stanceline: who said what, when, on a contested question.")

T = TypeVar("T")
DatabaseOpt = Annotated[str | None, typer.Option(
    "--database", "-d", envvar="STANCELINE_DATABASE_URL",
    help="SQLAlchemy URL (default sqlite:///./stanceline.db)")]


class OutputFormat(StrEnum):
    """How a read prints its answer."""

    table = "table"
    json = "json"
    csv = "csv"


JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON (same as --format json)")]
FormatOpt = Annotated[OutputFormat | None, typer.Option(
    "--format", "-f", case_sensitive=False,
    help="table (rich, fitting the terminal), json (the API's answer) or csv (the API's CSV)")]
KnownAtOpt = Annotated[str | None, typer.Option(
    "--known-at", help="what the log held then: a timestamp, a date or text")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", help="ISO date or text ('last February'); default today")]
ReportedByOpt = Annotated[str | None, typer.Option(
    "--reported-by", help="count only what had been published by this date")]
EVERY = "*"


def chosen(fmt: OutputFormat | None, as_json: bool) -> OutputFormat | None:
    """The format asked for (`--json` is `--format json`); None: the command's own default."""
    if as_json:
        if fmt not in (None, OutputFormat.json):
            raise fail(f"--json and --format {fmt} disagree: give one of them")
        return OutputFormat.json
    return fmt


def printed_as_json(answer: Answer, as_json: bool) -> bool:
    """Print the answer as JSON if asked (the shape `/api` answers it in); whether it was."""
    if as_json:
        # Imported only here: the wire shapes are the API's response models, and the other
        # commands need not pay for importing FastAPI.
        from stanceline.api.models import to_wire

        print_json(to_wire(answer))
    return as_json


def print_json(wire: Mapping[str, Any]) -> None:
    """A JSON answer, indented."""
    typer.echo(json.dumps(wire, indent=2, ensure_ascii=False))


def printed_as(answer: Answer, fmt: OutputFormat | None, display: Sequence[str],
               title: str | None = None, drop: Sequence[str] = ()) -> bool:
    """Print an answer in `fmt` through the API's shapes: its JSON, its CSV or its rows as a
    table of the `display` columns. False (nothing printed) when no format was asked for and
    the command prints its own text."""
    if fmt is None:
        return False
    from stanceline.api.models import SHAPES
    from stanceline.api.tables import TABLES

    model = SHAPES[type(answer)]
    print_wire(TABLES[model], model.wire(answer), fmt, display, title, drop=drop)
    return True


def print_wire(table: Table, wire: Mapping[str, Any], fmt: OutputFormat,
               display: Sequence[str], title: str | None = None,
               caption: str | None = None, drop: Sequence[str] = ()) -> None:
    """A JSON-ready answer as JSON, as its table's CSV, or as a rich table."""
    from stanceline.api.tables import render_csv

    if fmt is OutputFormat.json:
        print_json(wire)
    elif fmt is OutputFormat.csv:
        typer.echo(render_csv(table, wire), nl=False)
    else:
        print_table([{c: row.get(c) for c in display} for row in table.rows(wire)], display,
                    title, caption, drop)


# Columns of long text: they fold to share what the terminal's width leaves; every other
# column (identifiers, dates, numbers, short words) keeps its text on one line.
_LONG = {"summary", "quote", "conditions_text", "after_conditions", "title", "description",
         "note", "aliases", "members", "possible", "name", "claim"}


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                title: str | None = None, caption: str | None = None,
                drop: Sequence[str] = ()) -> None:
    """Rows as a rich table that fits the terminal: short columns (identifiers, dates,
    numbers) keep their text on one line, long text folds into what is left; a column empty
    in every row is left out, and when the terminal is too narrow so are the `drop` columns
    (in that order), said in the caption; what still does not fit folds. Text is shown as
    written (no markup)."""
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    from stanceline.api.tables import cell

    console = Console(soft_wrap=False, highlight=False)
    texts = [{c: cell(r.get(c)) for c in columns} for r in rows]
    shown = [c for c in columns if any(t[c] for t in texts)] or list(columns)
    natural = {c: max([len(c), *(len(t[c]) for t in texts)]) for c in shown}

    def needed(cols: Sequence[str]) -> int:
        return sum(natural[c] if c not in _LONG else min(natural[c], 16) for c in cols) + 3 * (
            len(cols) - 1)

    left_out = []
    for column in [c for c in drop if c in shown]:
        if needed(shown) <= console.width:
            break
        shown.remove(column)
        left_out.append(column)
    note = caption or f"{len(rows)} row(s)"
    if left_out:
        note += f" (too narrow for {', '.join(left_out)}: --format csv has every column)"
    grid = RichTable(title=title, caption=note, header_style="bold", show_edge=False,
                     pad_edge=False)
    for column in shown:
        grid.add_column(column, overflow="fold", no_wrap=column not in _LONG)
    for text in texts:
        grid.add_row(*(Text(text[c]) for c in shown))
    console.print(grid)


def every_or(name: str) -> str | None:
    """`'*'` means every actor (or topic): no filter."""
    return None if name.strip() == EVERY else name


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
def grant(
    role: Annotated[str, typer.Argument(help="the login role the service will run as")],
    database: DatabaseOpt = None,
) -> None:
    """Grant ROLE what the service needs and no more (PostgreSQL; run as the tables' owner,
    after `migrate`): SELECT, INSERT on the log, read and write on the projections."""
    for statement in run(database, lambda s: s.grant_app(role)):
        typer.echo(statement)


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
def verify(
    database: DatabaseOpt = None,
    deep: Annotated[bool, typer.Option(
        "--deep", help="also recompute every projection from the log and compare it with the "
                       "stored tables (appends go on meanwhile; nothing changes)")] = False,
    against: Annotated[Path | None, typer.Option(
        "--against", help="a checkpoint saved earlier (`stanceline checkpoint` or "
                          "GET /api/checkpoint): prove the log still extends it")] = None,
    public_key: Annotated[str | None, typer.Option(
        "--public-key", help="the trusted public key (base64, or a file holding it) that "
                             "must have signed the checkpoint; default: the configured "
                             "signing key's")] = None,
) -> None:
    """Walk the hash chain and every column the queries read; exit 1 and name the first
    broken position (or, with --deep, table) in one line if anything is wrong."""
    saved = None if against is None else _checkpoint_file(against)
    if public_key is not None and saved is None:
        raise fail("--public-key checks a checkpoint: give --against CHECKPOINT.json too")
    trusted = None if public_key is None else _key_text(public_key)

    def check(service: Service) -> tuple[ChainReport, str | None, str]:
        bypass = service.guard_bypass()
        if saved is None:
            return service.verify(deep), bypass, ""
        report = service.verify_against(saved, trusted)
        if report.ok and deep:
            report = service.verify(deep)
        return report, bypass, (f", extends the checkpoint of position {saved.position} "
                                f"signed {format_timestamp(saved.signed_at)}")

    report, bypass, extends = run(database, check)
    # Reported, not failed: the chain may be intact, but the triggers do not bind. On the
    # report's own line: a report is one line.
    guards = ("" if bypass is None else
              f" (warning: the append-only guards can be switched off: {bypass})")
    if report.ok:
        typer.echo(f"ok: {report.events} events, head {report.head}{extends}"
                   f"{' (projections match the log)' if deep else ''}{guards}")
        return
    if report.table is not None:
        raise fail(f"projection differs from the log: {report.detail}{guards}")
    if report.column is not None:
        raise fail(f"row at position {report.broken_at} disagrees with its hash: "
                   f"{report.detail}{guards}")
    raise fail(f"chain broken at position {report.broken_at}: {report.detail}{guards}")


def _checkpoint_file(path: Path) -> Checkpoint:
    """A saved checkpoint, or one line saying why it cannot be read."""
    try:
        wire = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(f"{path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: not a checkpoint (invalid JSON: {exc})") from None
    try:
        return Checkpoint.of(wire)
    except StancelineError as exc:
        raise fail(f"{path}: {exc.detail}") from None


def _key_text(given: str) -> str:
    """A public key given on the command line: the text itself, or the file it names."""
    path = Path(given)
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else given
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{given}: cannot read the public key ({exc})") from None


@app.command()
def keygen(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="the private key file to write (refused if it exists)")
    ] = Path("stanceline-signing.key"),
) -> None:
    """Make an Ed25519 key that signs checkpoints: write the private key (mode 0600) and
    print its public half, which is what to keep somewhere else."""
    from stanceline.domain.checkpoint import Signer

    signer = Signer.generate()
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise fail(f"{out} already exists: a key is not overwritten (choose another --out)"
                   ) from None
    except OSError as exc:
        raise fail(f"{out}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as key_file:
        key_file.write(signer.private_pem())
    typer.echo(f"wrote the private key to {out} (mode 0600): point "
               "STANCELINE_SIGNING_KEY_FILE at it", err=True)
    typer.echo(signer.public_key)


@app.command()
def checkpoint(database: DatabaseOpt = None) -> None:
    """Print the signed checkpoint of the current head as JSON (signing it if the newest is
    behind the head): save it somewhere else, for `verify --against`."""
    signed = run(database, lambda s: s.checkpoint())
    print_json(signed.wire())


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


STANCE_COLUMNS = ("actor", "topic", "speaker", "stance", "certain", "possible", "since",
                  "conditions_text", "last_stated")
STANCE_DROP = ("last_stated", "speaker", "topic")


@app.command()
def stance(
    actor: Annotated[str, typer.Argument(help="an actor id or any of its names; '*': every "
                                              "actor")],
    topic: Annotated[str, typer.Argument(help="a topic id, e.g. troops-in-ukraine; '*': every "
                                              "topic")],
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    reported_by: ReportedByOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """An actor's stance on a topic as of a date, with the evidence (a person: what they
    voiced, one line per actor they spoke for). By default a line per stance and its evidence;
    `--format table|json|csv` prints the answer of `/api/stances`."""
    fmt = chosen(fmt, as_json)
    answer = run(database, lambda s: s.stances(actor=every_or(actor), topic=every_or(topic),
                                               as_of=as_of, known_at=known_at,
                                               reported_by=reported_by))
    if printed_as(answer, fmt, STANCE_COLUMNS, f"as of {answer.as_of}", STANCE_DROP):
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
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Each change of an actor's stance on a topic (`--format`: the answer of
    `/api/history`)."""
    fmt = chosen(fmt, as_json)
    answer = run(database, lambda s: s.history(actor, topic, known_at))
    if printed_as(answer, fmt, ("since", "actor", "stance", "certain", "conditions_text",
                                "quote", "document"), f"{answer.actor} on {answer.topic}",
                  ("document", "actor" if answer.speaker is None else "", "certain")):
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
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Who moved between two dates (`--format`: the answer of `/api/changes`)."""
    fmt = chosen(fmt, as_json)
    answer = run(database, lambda s: s.changes(start, end, topic, known_at))
    if printed_as(answer, fmt, ("actor", "topic", "before", "after", "after_since",
                                "after_conditions", "quote"),
                  f"from {answer.from_} to {answer.to}", ("after_conditions", "after_since")):
        return
    typer.echo(f"from {answer.from_} to {answer.to}: {len(answer.changes)} moved")
    for move in answer.changes:
        typer.echo(f"{move.actor} on {move.topic}: {move.before.stance} -> "
                   f"{move.after.stance}")


@app.command()
def matrix(
    topic: Annotated[str, typer.Argument(help="a topic id; '*': every topic")],
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    reported_by: ReportedByOpt = None,
    actor: Annotated[str | None, typer.Option("--actor", help="one actor's row")] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The stance matrix of a topic as of a date: every actor's stance, whether it is
    certain, since when and on what conditions (`/api/stances?topic=`)."""
    fmt = chosen(fmt, as_json) or OutputFormat.table
    answer = run(database, lambda s: s.stances(actor=actor, topic=every_or(topic),
                                               as_of=as_of, known_at=known_at,
                                               reported_by=reported_by))
    one_topic = every_or(topic) is not None
    printed_as(answer, fmt, [c for c in STANCE_COLUMNS if not (one_topic and c == "topic")],
               f"{topic} as of {answer.as_of}" if one_topic else f"as of {answer.as_of}",
               STANCE_DROP)


@app.command()
def claims(
    subject: Annotated[str | None, typer.Option("--subject", help="e.g. force-size")] = None,
    as_of: AsOfOpt = None,
    known_at: KnownAtOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The numbers claimed, by whom and when (`/api/claims`)."""
    fmt = chosen(fmt, as_json) or OutputFormat.table
    answer = run(database, lambda s: s.claims(subject, as_of, known_at))
    if fmt is not OutputFormat.table:
        printed_as(answer, fmt, ())
        return
    from stanceline.api.tables import cell

    rows = [{"occurred": c.occurred, "by": c.actor or c.speaker, "subject": c.subject,
             "claim": " ".join(p for p in (
                 c.qualifier, cell(c.value) if c.value is not None
                 else f"{cell(c.low)}-{cell(c.high)}", c.unit) if p),
             "certain": c.certain, "summary": c.summary} for c in answer.claims]
    print_table(rows, ("occurred", "by", "claim") if subject else (
        "occurred", "by", "subject", "claim", "certain", "summary"),
                f"{subject or 'claims'} as of {answer.as_of}")


@app.command()
def actors(
    q: Annotated[str | None, typer.Option("--q", "-q", help="a name or alias to match")
                 ] = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The actor directory, or the actors a name matches (`/api/actors`)."""
    fmt = chosen(fmt, as_json) or OutputFormat.table
    answer = run(database, lambda s: s.actors(q))
    printed_as(answer, fmt, ("actor", "name", "kind", "aliases", "represents", "members"),
               drop=("members", "represents"))


@app.command()
def topics(
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Every topic (`/api/topics`)."""
    fmt = chosen(fmt, as_json) or OutputFormat.table
    answer = run(database, lambda s: s.topics())
    printed_as(answer, fmt, ("topic", "title"))


@app.command()
def events(
    actor: Annotated[str | None, typer.Option("--actor", help="an actor id")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="a topic id")] = None,
    type: Annotated[str | None, typer.Option("--type", help="an event type, e.g. "
                                                            "stance.declared")] = None,
    start: Annotated[str | None, typer.Option("--from", help="occurred on or after (ISO or "
                                                             "text)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="occurred on or before")] = None,
    known_at: KnownAtOpt = None,
    after: Annotated[int, typer.Option("--after", min=0, help="the position to page after")
                     ] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, help="events per page")] = 100,
    include_retracted: Annotated[bool, typer.Option(
        "--include-retracted", help="keep retracted and superseded events (each says what "
                                    "voided it)")] = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The log, filtered and paged as `/api/events` reads it (CSV: one flat row per event)."""
    from stanceline.api.events import events_page
    from stanceline.api.tables import EVENTS

    fmt = chosen(fmt, as_json) or OutputFormat.table
    wire = run(database, lambda s: events_page(
        s, actor=actor, topic=topic, type=type, occurred_from=start, occurred_to=end,
        known_at=known_at, after=after, limit=limit, include_retracted=include_retracted))
    next_after = wire["next_after"]
    more = "" if next_after is None else f"; the next page: --after {next_after}"
    print_wire(EVENTS, wire, fmt, ("position", "occurred", "type", "actor", "topic", "stance",
                                   "speaker", "summary"),
               caption=f"{len(wire['events'])} event(s){more}",
               drop=("speaker", "type", "topic", "occurred"))


# The panel as a grid: one letter a stance ("?" after it while not certain).
_STANCE_MARKS = {"supports": "S", "opposes": "O", "conditional": "C", "undecided": "U",
                 "unknown": "."}


@app.command()
def panel(
    topic: Annotated[str, typer.Argument(help="a topic id; '*': every topic")],
    start: Annotated[str, typer.Option("--from", help="the first period holds this date")],
    end: Annotated[str | None, typer.Option("--to", help="the last period holds this date "
                                                         "(default today)")] = None,
    every: Annotated[str, typer.Option("--every", help="month, quarter or year")] = "month",
    actor: Annotated[str | None, typer.Option("--actor", help="one actor")] = None,
    known_at: KnownAtOpt = None,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """The stance panel (`/api/panel`): each actor's stance as of the end of each period.
    As a table: actors by periods (S supports, O opposes, C conditional, U undecided, .
    unknown; "?" while not certain) when the periods fit the terminal, else one row per
    actor and period."""
    fmt = chosen(fmt, as_json) or OutputFormat.table
    answer = run(database, lambda s: s.panel(start, end, topic=every_or(topic), every=every,
                                             actor=actor, known_at=known_at))
    title = (f"{answer.topic or 'every topic'}, every {answer.every}, "
             f"{answer.from_} to {answer.to}")
    if fmt is not OutputFormat.table:
        printed_as(answer, fmt, (), title)
        return
    print_panel(answer.rows, title)


def print_panel(rows: Sequence[Any], title: str) -> None:
    """The panel's rows as grids of actors by periods, as many periods to a grid as the
    terminal's width holds."""
    from rich.console import Console

    periods = list(dict.fromkeys(r.period for r in rows))
    pairs = list(dict.fromkeys((r.actor, r.topic) for r in rows))
    several = len({t for _, t in pairs}) > 1
    names = {(a, t): f"{a} {t}" if several else a for a, t in pairs}
    label = min(max((len(n) for n in names.values()), default=5), 30)
    width = max(len(p) for p in periods) + 3 if periods else 10
    per_grid = max(1, (Console().width - label - 3) // width)
    cells = {(r.actor, r.topic, r.period):
             _STANCE_MARKS.get(r.stance, r.stance) + ("" if r.certain else "?") for r in rows}
    legend = "S supports, O opposes, C conditional, U undecided, . unknown; ? not certain"
    for first in range(0, max(len(periods), 1), per_grid):
        chunk = periods[first:first + per_grid]
        grid = [{"actor": names[a, t], **{p: cells.get((a, t, p), "") for p in chunk}}
                for a, t in pairs]
        last = first + per_grid >= len(periods)
        print_table(grid, ("actor", *chunk), title if first == 0 else None,
                    legend if last else " ")


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
    scaling: Annotated[bool, typer.Option(
        "--scaling", help="the scaling table instead: as-of, matrix, page and load on one log "
                          "grown to 10k, 100k and 1M events (1k, 2k, 4k with --quick)")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Measure load, append, as-of (in-process and HTTP), matrix and replay on a synthetic log,
    each against a ceiling measured in the same run, and the eventsourcing peer."""
    from stanceline import bench as benchmark

    try:
        report = benchmark.run_scaling(database, quick=quick) if scaling else \
            benchmark.run(events=events, database=database, appends=appends, quick=quick)
    except StancelineError as exc:
        raise fail(exc.detail) from None
    typer.echo(benchmark.main_report(report, as_json))


@app.command()
def soak(
    minutes: Annotated[float, typer.Option(min=0.1, help="how long the mixed load runs")] = 3.0,
    database: Annotated[str | None, typer.Option(
        "--database", "-d", help="a PostgreSQL URL (its own scratch schema is used); "
                                 "default: a scratch SQLite file")] = None,
    events: Annotated[int, typer.Option("--events", "-n", min=1,
                                        help="synthetic events loaded first")] = 20_000,
    subscribers: Annotated[int, typer.Option(min=0, help="live subscribers")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """One real service under a bounded mixed load (appends, as-of, matrix, page, live) for
    some minutes: no 5xx, RSS flat, every acknowledged event readable, the chain verifies.
    Exits 1 when a check fails."""
    from stanceline.bench.soak import main as run_soak

    try:
        text, held = run_soak(database, minutes, events, subscribers, as_json)
    except StancelineError as exc:
        raise fail(exc.detail) from None
    typer.echo(text)
    if not held:
        raise typer.Exit(1)


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
