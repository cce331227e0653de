"""What `import` asks of an exported event before it may enter a log (issue 14.6): the same as
an append does. The chain proves a backup was not changed after export; it cannot prove the
export held only what the API accepts (a doctored file re-chains), so each event's payload is
validated again here, and the store runs the integrity and correction checks over the whole
import in order. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from stanceline.domain import corrections, integrity
from stanceline.domain.events import EVENT_IN, PreparedEvent, RecordedEvent, prepare
from stanceline.domain.payloads import PAYLOADS
from stanceline.domain.upcast import upcast
from stanceline.errors import InvalidInput, StancelineError


def revalidated(event: RecordedEvent) -> PreparedEvent:
    """`event` validated as an append validates it (through the upcasters to its type's
    current model, with every bound of the input models), as a prepared event carrying the
    exported `data` (upcast) and `source` for the integrity checks. InvalidInput, in one
    line, where it would have been refused or where its stored dates disagree with `occurred`.
    """
    if event.type not in PAYLOADS:
        raise InvalidInput(f"unknown event type {event.type!r}")
    version, data = upcast(event.type, event.schema_version, dict(event.data))
    current, _ = PAYLOADS[event.type]
    if version != current:
        raise InvalidInput(f"schema_version {event.schema_version} of {event.type} is not "
                           f"one this version reads (current: {current})")
    source = None if event.source is None else {
        k: v for k, v in event.source.items() if k != "verified"}
    raw: dict[str, Any] = {
        "id": event.id, "type": event.type, "stream": event.stream, "occurred": event.occurred,
        "occurred_text": event.occurred_text, "relative_to": event.relative_to, "data": data,
        "source": source, "supersedes": event.supersedes, "disputed": event.disputed,
        "note": event.note}
    try:
        checked = prepare(EVENT_IN.validate_python(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "event"
        raise InvalidInput(f"{where}: {first['msg']}") from None
    except InvalidInput as exc:
        raise InvalidInput(str(exc)) from None
    for key, value in data.items():
        # Lax validation would coerce ("5" for 5); what is stored must be what the model
        # makes of it, or reads meet a value no append could have written.
        if checked.data.get(key) != value:
            raise InvalidInput(f"data.{key}: {value!r} is not what the model stores "
                               f"({checked.data.get(key)!r})")
    span = (checked.occurred_start, checked.occurred_end, checked.precision)
    if span != (event.occurred_start, event.occurred_end, event.precision):
        raise InvalidInput(f"occurred: the stored dates ({event.occurred_start}, "
                           f"{event.occurred_end}, {event.precision}) are not those of "
                           f"{event.occurred!r}")
    # The checks read the event as exported; its digest is the chain's business, not theirs.
    checked.data = data
    checked.source = None if event.source is None else dict(event.source)
    return checked


def unmarked(checked: Sequence[PreparedEvent], exported: Sequence[RecordedEvent]
             ) -> int | None:
    """The index of the first event whose exported `verified` mark differs from what the
    integrity check found (it marks the prepared copies), or None."""
    for index, (mine, theirs) in enumerate(zip(checked, exported, strict=True)):
        if theirs.source is None or "verified" not in theirs.source or mine.source is None:
            continue
        if mine.source.get("verified") != theirs.source["verified"]:
            return index
    return None


def check_page(page: Sequence[RecordedEvent],
               known: Callable[[Sequence[PreparedEvent]], integrity.Known],
               targets: Callable[[set[str]], Mapping[str, corrections.Target]],
               normalise: Callable[[str], str]) -> None:
    """Refuse a page of an import (in position order, after every earlier page is in) with
    one line naming the first event's position, where an append would have refused it:
    its payload, a reference or quote (`integrity.check`, against `known` of the log so far),
    a retraction or correction (`corrections.check`; the stream rule is not asked of a log
    written before it), or a `verified` mark the document's text does not bear out."""
    prepared: list[PreparedEvent] = []
    for event in page:
        try:
            prepared.append(revalidated(event))
        except InvalidInput as exc:
            raise InvalidInput(f"position {event.position}: {exc}") from None
    try:
        integrity.check(prepared, known(prepared), normalise)
        corrections.check(prepared, targets(corrections.wanted(prepared)), placed=False)
    except StancelineError as exc:
        detail = re.sub(r"events\.(\d+)", lambda m: f"position {page[int(m[1])].position}",
                        str(exc), count=1)
        raise InvalidInput(detail) from None
    wrong = unmarked(prepared, page)
    if wrong is not None:
        claimed = (page[wrong].source or {}).get("verified")
        raise InvalidInput(f"position {page[wrong].position}: source.verified says "
                           f"{claimed}, which the cited document's text does not bear out")
