"""Schemathesis against /openapi.json (bounded): no 5xx, and every response fits the schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from stanceline.api import create_app
from stanceline.config import Settings
from stanceline.service import Service

ROOT = Path(__file__).resolve().parents[2]
_TMP = tempfile.TemporaryDirectory(prefix="stanceline-fuzz-")
_SETTINGS = Settings(database_url=f"sqlite:///{Path(_TMP.name) / 'fuzz.db'}", load_seed=False)
_SERVICE = Service.open(_SETTINGS)
_SERVICE.load([ROOT / "events"])
APP = create_app(_SETTINGS, service=_SERVICE)

# The live stream never ends by itself, so it is tested on its own, not fuzzed.
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path="/api/live")


@schema.parametrize()
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_no_5xx_and_responses_fit_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])
