"""Reading, validating and batching JSON Lines for `load`: the worker pipeline.

Files are read in batches of lines, each batch validated in one pydantic call and prepared
(dates resolved, content hashed); large inputs are validated by a second process while this
one appends. Nothing here touches the store: `Service.load` appends what this yields.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from stanceline.domain.events import (
    EVENT_BATCH_IN,
    EVENT_IN,
    NUL_FREE,
    EventIn,
    PreparedEvent,
    prepare,
)
from stanceline.domain.payloads import DocumentRegistered
from stanceline.domain.quotes import normalise
from stanceline.errors import InvalidDate, InvalidInput, NotFound, StancelineError

LOAD_BATCH = 10_000
WORKER_CHUNK = 1_000
# Below this much input a second process costs more to start than it saves.
PARALLEL_LOAD_BYTES = 4 * 1024 * 1024


def validation_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, object]]:
    """Pydantic's errors as `{"path": "events.0.data.stance", "message": ...}`."""
    found: list[dict[str, object]] = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        path = ".".join(str(p) for p in err["loc"])
        found.append({"path": f"{prefix}{path}" if path else prefix.rstrip("."),
                      "message": err["msg"]})
    return found


def describe(errors: Sequence[Mapping[str, object]]) -> str:
    """One readable line for a list of field errors."""
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first['path']}: {first['message']}{more}"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC: bulk work makes many acyclic objects that refcounting frees, and
    collections triggered by their sheer number cost ~40% of a load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


Texts = dict[str, str]


def prepared_batches(files: Sequence[Path], texts: Texts) -> Iterator[list[PreparedEvent]]:
    """Validated, prepared batches of every file in turn."""
    for path in files:
        for lines in raw_batches(path, LOAD_BATCH):
            yield prepare_lines(path, lines, texts)


def prepared_in_worker(files: Sequence[Path], texts: Texts) -> Iterator[list[PreparedEvent]]:
    """The same batches, read and validated by a second process while this one appends.

    Validation is about half of a load's CPU time; on two cores it overlaps the appends. The
    queue holds a few chunks at most, so memory stays flat whatever the size of the input.
    """
    # Spawned, never forked: by now this process holds the store's connections, and a forked
    # child inherits their sockets. Outliving a killed parent, such a child kept its
    # PostgreSQL session (and the append lock of its open transaction) alive for ever. A
    # spawned one starts from a fresh interpreter with nothing but the queue's pipes.
    context = multiprocessing.get_context("spawn")
    chunks: multiprocessing.Queue[list[PreparedEvent] | BaseException | None] = context.Queue(
        maxsize=2 * LOAD_BATCH // WORKER_CHUNK)
    worker = context.Process(target=_prepare_files,
                             args=(list(files), chunks, os.getpid(), texts),
                             daemon=True)
    worker.start()
    try:
        ready: list[PreparedEvent] = []
        while (chunk := chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            ready.extend(chunk)
            if len(ready) >= LOAD_BATCH:
                yield ready
                ready = []
        if ready:
            yield ready
    finally:
        worker.kill()
        worker.join()
        chunks.close()


def _prepare_files(files: list[Path],
                   chunks: multiprocessing.Queue[list[PreparedEvent] | BaseException | None],
                   parent: int, texts: Texts) -> None:
    """The worker of `prepared_in_worker`: every file's prepared chunks, then None; it exits
    as soon as `parent` (the loading process) is gone."""
    threading.Thread(target=_exit_without, args=(parent,), daemon=True,
                     name="stanceline-parent-watch").start()
    try:
        for path in files:
            for lines in raw_batches(path, WORKER_CHUNK):
                chunks.put(prepare_lines(path, lines, texts))
    except StancelineError as exc:
        chunks.put(exc)
    except Exception as exc:  # surfaced in the parent as one clear error
        chunks.put(StancelineError(f"{type(exc).__name__}: {exc}"))
    chunks.put(None)


PARENT_POLL_SECONDS = 0.2


def _exit_without(parent: int) -> None:
    """Exit this process once `parent` has died (it is then re-parented, so `getppid`
    changes). A SIGKILLed parent runs no cleanup, and a worker blocked on a full queue would
    otherwise wait for ever; polling also works where no parent-death signal exists."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def raw_batches(path: Path, size: int) -> Iterator[list[tuple[int, bytes]]]:
    """Non-blank lines of a JSON Lines file with their numbers, `size` at a time."""
    lines: list[tuple[int, bytes]] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                lines.append((number, raw))
                if len(lines) >= size:
                    yield lines
                    lines = []
    if lines:
        yield lines


def prepare_lines(path: Path, lines: list[tuple[int, bytes]], texts: Texts
                  ) -> list[PreparedEvent]:
    """Validate and prepare JSON lines; errors name the file, line and field.

    `texts` (document -> normalised text) marks quotes `verified` as they are prepared, so
    the store's own check rarely has to re-mark one; documents registered in the lines join
    it for the lines after them.
    """
    with paused_gc():
        prepared: list[PreparedEvent] = []
        for line, event in _validate_lines(path, lines):
            prepared.append(prepare_or_explain(event, path, line, texts))
            if isinstance(event.data, DocumentRegistered):
                texts[event.data.document] = normalise(event.data.text)
        return prepared


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given and the `*.jsonl` files of folders, sorted, registries first."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            # Actors and topics first, so that the articles' events find them registered.
            files.extend(sorted(found, key=lambda p: (p.stem not in ("actors", "topics"), p.name)))
        elif path.exists():
            files.append(path)
        else:
            raise NotFound(f"{path}: no such file or folder")
    return files


def _validate_lines(path: Path, lines: list[tuple[int, bytes]]) -> list[tuple[int, EventIn]]:
    text = b"[" + b",".join(r for _, r in lines) + b"]"
    try:
        events = EVENT_BATCH_IN.validate_json(text, context={NUL_FREE: b"\\u0000" not in text})
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            _explain_json(path, lines)
        errors = validation_errors(exc)
        first = errors[0]
        index = int(str(first["path"]).split(".", 1)[0]) if str(first["path"])[:1].isdigit() \
            else 0
        line = lines[min(index, len(lines) - 1)][0]
        path_in_event = str(first["path"]).split(".", 1)[-1]
        raise InvalidInput(f"{path}:{line}: {path_in_event}: {first['message']}",
                           errors) from None
    return [(number, event) for (number, _), event in zip(lines, events, strict=True)]


def _explain_json(path: Path, lines: list[tuple[int, bytes]]) -> None:
    """The batch is not valid JSON: name the first line that is not, with its own line number
    and column and what was expected there (the batch's joined text would say line 1)."""
    for number, raw in lines:
        try:
            value = json.loads(raw.rstrip())
        except json.JSONDecodeError as exc:
            message = f"not valid JSON at column {exc.colno}: {exc.msg}"
            raise InvalidInput(f"{path}:{number}: {message}",
                               [{"path": f"line {number}", "line": number,
                                 "column": exc.colno, "message": message}]) from None
        except UnicodeDecodeError as exc:
            message = f"not UTF-8 text at byte {exc.start + 1}"
            raise InvalidInput(f"{path}:{number}: {message}",
                               [{"path": f"line {number}", "line": number,
                                 "message": message}]) from None
        if not isinstance(value, dict):
            message = f"expected one JSON object per line, found {type(value).__name__}"
            raise InvalidInput(f"{path}:{number}: {message}",
                               [{"path": f"line {number}", "line": number,
                                 "message": message}])


def prepare_or_explain(event: EventIn, path: Path, line: int, texts: Texts) -> PreparedEvent:
    """Prepare an event from a file, naming the file and line if its date is wrong."""
    try:
        prepared = prepare(event, texts=texts)
    except InvalidDate as exc:
        raise InvalidInput(f"{path}:{line}: {exc.detail}") from None
    prepared.origin = f"{path}:{line}"
    return prepared


def load_batches(files: Sequence[Path], texts: Mapping[str, str] | None = None
                 ) -> Iterator[list[PreparedEvent]]:
    """The prepared batches of `files`: read here for a small input, else by a worker.
    `texts` holds the registered documents' texts (as written), to mark quotes early."""
    normalised = {d: normalise(t) for d, t in (texts or {}).items()}
    size = sum(p.stat().st_size for p in files)
    if size < PARALLEL_LOAD_BYTES:
        return prepared_batches(files, normalised)
    return prepared_in_worker(files, normalised)


def located(exc: InvalidInput, batch: Sequence[PreparedEvent]) -> InvalidInput:
    """A store's refusal of a loaded batch, its `events.N` paths named by file and line."""
    errors = []
    for error in exc.errors:
        path = str(error.get("path", ""))
        head, _, rest = path.partition(".")
        index = rest.split(".", 1)[0]
        if head == "events" and index.isdigit() and int(index) < len(batch):
            where = batch[int(index)].origin
            field = rest.split(".", 1)[1] if "." in rest else ""
            errors.append({**error, "path": f"{where}: {field}" if where else path})
        else:
            errors.append(error)
    if not errors:
        return exc
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return InvalidInput(f"{first['path']}: {first['message']}{more}", errors)


def document_events(folder: Path) -> list[EventIn]:
    """`document.registered` events for the seed articles of a folder: each `NAME.txt` with
    its `NAME.meta.json` (title, outlet, publication date). Their ids derive from the
    document and its text, so registering them again is a replay."""
    found: list[EventIn] = []
    for meta_path in sorted(folder.glob("*.meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        text_path = meta_path.with_name(meta_path.name.removesuffix(".meta.json") + ".txt")
        if not text_path.is_file():
            continue
        text = text_path.read_text(encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        found.append(EVENT_IN.validate_python({
            "id": str(uuid.uuid5(SEED_DOCUMENTS, f"{meta['document']}:{digest}")),
            "type": "document.registered",
            "data": {"document": meta["document"], "title": meta["title"][:300],
                     "publisher": meta.get("outlet"), "url": meta.get("url"),
                     "published": meta.get("published"), "language": meta.get("language", "en"),
                     "text": text, "text_sha256": digest},
        }))
    return found


SEED_DOCUMENTS = uuid.UUID("5e1f0c8e-6d3b-4c55-9a51-000000000d0c")
