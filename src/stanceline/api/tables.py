"""Every table answer as flat rows, and those rows as CSV: the one CSV renderer.

A table is read from the JSON-ready value the route answers (its response model's dump, or the
log's page), never from the typed answer: so a CSV says exactly what the JSON says, and a field
the JSON grows (a claim's `verified`) is a column without a change here. RFC 4180: a header row,
CRLF line ends, quotes only where needed, UTF-8; a list inside a cell (conditions, possible
stances, evidence ids) is joined with "; "; `null` is an empty cell, booleans are `true` /
`false`, whole floats are written without `.0`. The CLI prints the same rows (`--format csv`,
and its rich tables).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from stanceline.api.models import (
    ActorOut,
    ActorsOut,
    ChangesOut,
    ClaimOut,
    ClaimsOut,
    DocumentOut,
    DocumentsOut,
    HistoryOut,
    Out,
    PanelOut,
    PanelRowOut,
    StancesOut,
    TopicOut,
    TopicsOut,
)
from stanceline.api.respond import respond
from stanceline.errors import InvalidInput

CSV_MEDIA_TYPE = "text/csv"
LIST_SEPARATOR = "; "
FORMATS = ("json", "csv")
FORMAT_HELP = ("`csv` answers the table as CSV (RFC 4180, a header row, UTF-8), as does "
               "`Accept: text/csv`; default JSON")
# What the OpenAPI document says a table route may also answer.
CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
          "description": "the answer; as CSV with `format=csv` or `Accept: text/csv`"},
}

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Table:
    """A table answer: its name (the file's), its columns and how to read its rows."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[Mapping[str, Any]], list[Row]]


def cell(value: Any) -> str:
    """One value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(cell(v) for v in value)
    if isinstance(value, dict):
        # A reference such as `{"id": ..., "recorded_at": ...}`: its id.
        return cell(value.get("id"))
    return str(value)


def _ref(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _conditions(items: Iterable[Mapping[str, Any]] | None) -> tuple[list[str], list[str]]:
    """(what each condition is on, its words) of a list of conditions (v2 objects or text)."""
    on: list[str] = []
    text: list[str] = []
    for item in items or ():
        if isinstance(item, str):
            on.append(item)
            text.append(item)
        else:
            on.append(str(item.get("on") or item.get("text") or ""))
            text.append(str(item.get("text") or ""))
    return on, text


def _first(evidence: list[Mapping[str, Any]], key: str) -> Any:
    return evidence[0].get(key) if evidence else None


# -- the log ------------------------------------------------------------------------------
EVENT_COLUMNS = ("id", "position", "type", "occurred", "occurred_start", "occurred_end",
                 "precision", "actor", "topic", "stance", "conditions", "speaker", "summary",
                 "quote", "document", "verified", "disputed", "retracted", "recorded_at")


def event_row(event: Mapping[str, Any]) -> Row:
    """One envelope as one flat row: the payload's actor, topic, stance, speaker and summary,
    the source's quote and document; `verified` and `retracted` when the envelope says them."""
    data = event.get("data") or {}
    source = event.get("source") or {}
    on, _ = _conditions(data.get("conditions"))
    verified = event.get("verified", source.get("verified"))
    retracted = _ref(event.get("retracted_by")) or _ref(event.get("superseded_by"))
    return {
        "id": event["id"], "position": event["position"], "type": event["type"],
        "occurred": event.get("occurred"), "occurred_start": event.get("occurred_start"),
        "occurred_end": event.get("occurred_end"), "precision": event.get("precision"),
        "actor": data.get("actor"), "topic": data.get("topic"), "stance": data.get("stance"),
        "conditions": on, "speaker": data.get("speaker"), "summary": data.get("summary"),
        "quote": source.get("quote"), "document": source.get("document"),
        "verified": verified, "disputed": event.get("disputed"), "retracted": retracted,
        "recorded_at": event.get("recorded_at"),
    }


def _events(page: Mapping[str, Any]) -> list[Row]:
    return [event_row(e) for e in page["events"]]


# -- the projections ----------------------------------------------------------------------
STANCE_COLUMNS = ("as_of", "actor", "topic", "speaker", "stance", "certain", "possible",
                  "since", "last_stated", "conditions", "conditions_text", "evidence")


def _stances(answer: Mapping[str, Any]) -> list[Row]:
    rows = []
    for item in answer["stances"]:
        on, text = _conditions(item["conditions"])
        rows.append({"as_of": answer["as_of"], "actor": item["actor"], "topic": item["topic"],
                     "speaker": item.get("speaker"), "stance": item["stance"],
                     "certain": item["certain"], "possible": item["possible"],
                     "since": item.get("since"), "last_stated": item.get("last_stated"),
                     "conditions": on, "conditions_text": text,
                     "evidence": [e["id"] for e in item["evidence"]]})
    return rows


HISTORY_COLUMNS = ("actor", "topic", "speaker", "since", "last_stated", "stance", "certain",
                   "conditions", "conditions_text", "evidence", "quote", "document")


def _history(answer: Mapping[str, Any]) -> list[Row]:
    rows = []
    for change in answer["changes"]:
        on, text = _conditions(change["conditions"])
        evidence = change["evidence"]
        rows.append({"actor": change.get("actor") or answer["actor"], "topic": answer["topic"],
                     "speaker": answer.get("speaker"), "since": change.get("since"),
                     "last_stated": change.get("last_stated"), "stance": change["stance"],
                     "certain": change["certain"], "conditions": on, "conditions_text": text,
                     "evidence": [e["id"] for e in evidence],
                     "quote": _first(evidence, "quote"),
                     "document": _first(evidence, "document")})
    return rows


CHANGE_COLUMNS = ("from", "to", "actor", "topic", "before", "before_certain", "before_since",
                  "after", "after_certain", "after_since", "after_conditions", "evidence",
                  "quote", "document")


def _changes(answer: Mapping[str, Any]) -> list[Row]:
    rows = []
    for move in answer["changes"]:
        before, after, evidence = move["before"], move["after"], move["evidence"]
        rows.append({"from": answer["from"], "to": answer["to"], "actor": move["actor"],
                     "topic": move["topic"], "before": before["stance"],
                     "before_certain": before["certain"], "before_since": before.get("since"),
                     "after": after["stance"], "after_certain": after["certain"],
                     "after_since": after.get("since"),
                     "after_conditions": _conditions(after["conditions"])[0],
                     "evidence": [e["id"] for e in evidence],
                     "quote": _first(evidence, "quote"),
                     "document": _first(evidence, "document")})
    return rows


def _columns_of(model: type[Out]) -> tuple[str, ...]:
    return tuple(field.serialization_alias or name
                 for name, field in model.model_fields.items())


def _items(key: str, columns: tuple[str, ...]) -> Callable[[Mapping[str, Any]], list[Row]]:
    """Rows that are the answer's items as they are (lists of plain values joined)."""

    def rows(answer: Mapping[str, Any]) -> list[Row]:
        return [{c: item.get(c) for c in columns} for item in answer[key]]

    return rows


def _table(name: str, columns: tuple[str, ...],
           rows: Callable[[Mapping[str, Any]], list[Row]]) -> Table:
    return Table(name, columns, rows)


CLAIM_COLUMNS = _columns_of(ClaimOut)
ACTOR_COLUMNS = _columns_of(ActorOut)
TOPIC_COLUMNS = _columns_of(TopicOut)
PANEL_COLUMNS = _columns_of(PanelRowOut)
DOCUMENT_COLUMNS = _columns_of(DocumentOut)

EVENTS = _table("events", EVENT_COLUMNS, _events)
# Each table answer's response model and its table.
TABLES: dict[type[Out], Table] = {
    StancesOut: _table("stances", STANCE_COLUMNS, _stances),
    HistoryOut: _table("history", HISTORY_COLUMNS, _history),
    ChangesOut: _table("changes", CHANGE_COLUMNS, _changes),
    ClaimsOut: _table("claims", CLAIM_COLUMNS, _items("claims", CLAIM_COLUMNS)),
    ActorsOut: _table("actors", ACTOR_COLUMNS, _items("actors", ACTOR_COLUMNS)),
    TopicsOut: _table("topics", TOPIC_COLUMNS, _items("topics", TOPIC_COLUMNS)),
    PanelOut: _table("panel", PANEL_COLUMNS, _items("rows", PANEL_COLUMNS)),
    DocumentsOut: _table("documents", DOCUMENT_COLUMNS, _items("documents", DOCUMENT_COLUMNS)),
}


# -- CSV ----------------------------------------------------------------------------------
def render_csv(table: Table, wire: Mapping[str, Any]) -> str:
    """The table as CSV text: RFC 4180 with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows(wire):
        writer.writerow([cell(row.get(c)) for c in table.columns])
    return out.getvalue()


def wants_csv(format: str | None, accept: str | None) -> bool:
    """Whether a request asks for CSV: `format=csv`, or `Accept` naming `text/csv` ahead of
    (or without) `application/json`. `format=json` always answers JSON."""
    if format is not None:
        if format not in FORMATS:
            raise InvalidInput(f"`format` must be json or csv, not {format!r}",
                               [{"path": "query.format", "message": "json or csv"}])
        return format == "csv"
    if not accept or "csv" not in accept:
        return False
    weights: dict[str, tuple[float, int]] = {}
    for order, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights.setdefault(media.lower(), (weight, order))
    csv_weight, csv_order = weights.get(CSV_MEDIA_TYPE, (0.0, 0))
    json_weight, json_order = weights.get("application/json", (0.0, 0))
    if csv_weight <= 0:
        return False
    return csv_weight > json_weight or (csv_weight == json_weight and csv_order < json_order)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def filename(table: Table, params: Mapping[str, str]) -> str:
    """The download's name: the table and the request's filters, e.g.
    `panel_troops-in-ukraine_2025-01_2025-12_month.csv`."""
    parts = [table.name] + [_UNSAFE.sub("-", value).strip("-") for key, value in params.items()
                            if key != "format" and value]
    return "_".join(p for p in parts if p)[:120] + ".csv"


def csv_response(table: Table, wire: Mapping[str, Any], params: Mapping[str, str],
                 headers: Mapping[str, str] | None = None) -> Response:
    """The table as a CSV download (`text/csv; charset=utf-8`)."""
    return Response(render_csv(table, wire).encode("utf-8"),
                    media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="{filename(table, params)}"',
                             **(headers or {})})




def respond_table(model: type[Out], answer: object, request: Request,
                  format: str | None = None) -> Response:
    """The answer as JSON (`respond`), or as the CSV of its table when the request asks."""
    if wants_csv(format, request.headers.get("accept")):
        return csv_response(TABLES[model], model.wire(answer), request.query_params)
    return respond(model, answer)
