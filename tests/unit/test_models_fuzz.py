"""Hypothesis fuzzes the event models: only the documented validation errors ever escape."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from stanceline.domain.events import EVENT_IN, prepare
from stanceline.errors import InvalidInput
from stanceline.service import parse_events

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)

VALID: dict[str, Any] = {
    "type": "stance.declared", "occurred": "2025-02-03", "occurred_text": "February 3",
    "relative_to": "2025-01-23",
    "data": {"actor": "fra", "topic": "troops-in-ukraine", "stance": "supports",
             "conditions": [{"on": "ceasefire", "text": "a ceasefire"}],
             "speaker": "emmanuel-macron", "summary": "s"},
    "source": {"document": "d", "quote": "q"},
}
TYPES = ["actor.registered", "topic.defined", "stance.declared", "claim.made", "meeting.held",
         "meeting.scheduled", "agreement.signed", "statement.made", "event.retracted", "x"]


def accept_or_refuse(raw: Any) -> None:
    with contextlib.suppress(ValidationError, InvalidInput):
        prepare(EVENT_IN.validate_python(raw))


@settings(max_examples=300, deadline=None)
@given(raw=json_values)
def test_arbitrary_json_is_validated_or_refused(raw: Any) -> None:
    accept_or_refuse(raw)


@settings(max_examples=400, deadline=None)
@given(key=st.sampled_from([*sorted(VALID), "id", "stream", "supersedes", "note", "extra"]),
       value=json_values, data_key=st.sampled_from([*sorted(VALID["data"]), "value", "low"]),
       data_value=json_values, type_=st.sampled_from(TYPES))
def test_near_valid_events_are_validated_or_refused(key: str, value: Any, data_key: str,
                                                    data_value: Any, type_: str) -> None:
    raw = {**VALID, "type": type_, "data": {**VALID["data"], data_key: data_value}}
    accept_or_refuse(raw)
    accept_or_refuse({**VALID, key: value})


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_input_is_parsed_or_refused_clearly(text: str) -> None:
    try:
        parse_events(text)
    except InvalidInput as exc:
        assert exc.detail
