"""`stanceline bench`: the one place that measures Stanceline's speed, on a synthetic log.

Each figure is shown with a ceiling measured in the same run (the bare driver, /healthz, the
`eventsourcing` peer), the ratio to it and the target the design sets, if any.
"""

from __future__ import annotations

from stanceline.bench.report import Measure, Report, Target, main_report
from stanceline.bench.runner import Plan, run
from stanceline.bench.scaling import run_scaling

__all__ = ["Measure", "Plan", "Report", "Target", "main_report", "run", "run_scaling"]
