"""Issue 14.9, briefly: the soak (`stanceline soak`, stanceline.bench.soak) for about 30 s per
engine. The full run (minutes) is the command's; its figures are in the README."""

from __future__ import annotations

import pytest

from stanceline.bench.soak import RSS_BAND, soak
from tests.conftest import require_pg

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres",
                                                           marks=pytest.mark.postgres)])
def test_a_short_soak_holds(engine: str) -> None:
    database = None if engine == "sqlite" else require_pg()
    result = soak(database, seconds=30, events=5_000, subscribers=10)
    print(result.report())
    assert result.appended > 0 and result.requests["as-of"] > 0
    assert result.requests["matrix"] > 0 and result.requests["page"] > 0
    assert not result.server_errors, result.server_errors
    assert not result.client_errors, result.client_errors
    assert result.missing == 0
    assert result.live_short == 0
    assert result.verified
    assert result.rss_drift <= RSS_BAND, result.rss
    assert result.ok
