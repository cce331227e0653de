"""The figures of one benchmark run: each with the ceiling it was measured against, in the same
run, the ratio to it, and a target where the design sets one."""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field
from typing import Any, Literal

Comparison = Literal["<=", ">="]
_COMPARE = {"<=": operator.le, ">=": operator.ge}


@dataclass(frozen=True)
class Target:
    """What a figure should reach: its ratio to the ceiling, or its value itself."""

    op: Comparison
    threshold: float
    on: Literal["ratio", "value"] = "ratio"

    def text(self, unit: str, style: Literal["pct", "x"]) -> str:
        """`ratio >= 60%`, `ratio <= 5x`, `<= 20 ms`."""
        if self.on == "value":
            return f"{self.op} {self.threshold:g} {unit}"
        amount = f"{self.threshold:.0%}" if style == "pct" else f"{self.threshold:g}x"
        return f"ratio {self.op} {amount}"


@dataclass
class Measure:
    """One figure of the benchmark, with its ceiling where one was measured."""

    name: str
    value: float
    unit: str
    detail: str = ""
    ceiling: float | None = None
    # What the ceiling is ("bare executemany", "/healthz", "eventsourcing"): said in the table.
    ceiling_of: str = ""
    target: Target | None = None
    # Rates against their ceiling read best as a percentage, latencies and peers as a multiple.
    style: Literal["pct", "x"] = "pct"

    @property
    def ratio(self) -> float | None:
        """Value over ceiling."""
        return None if not self.ceiling else self.value / self.ceiling

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None when there is no target or nothing to compare)."""
        if self.target is None:
            return None
        subject = self.ratio if self.target.on == "ratio" else self.value
        if subject is None:
            return None
        return bool(_COMPARE[self.target.op](subject, self.target.threshold))

    def ratio_text(self) -> str:
        """The ratio as the table shows it."""
        ratio = self.ratio
        if ratio is None:
            return ""
        return f"{ratio:.0%}" if self.style == "pct" else f"{ratio:.2f}x"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form of one row."""
        return {
            "name": self.name, "value": self.value, "unit": self.unit,
            "ceiling": self.ceiling, "ceiling_of": self.ceiling_of or None,
            "ratio": self.ratio,
            "target": None if self.target is None else self.target.text(self.unit, self.style),
            "met": self.met, "detail": self.detail,
        }


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass
class Report:
    """Everything one run measured."""

    engine: str
    events: int
    cpus: int = 0
    python: str = ""
    quick: bool = False
    versions: dict[str, str] = field(default_factory=dict)
    measures: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: Measure | None) -> None:
        """Append a row (None: nothing was measured)."""
        if measure is not None:
            self.measures.append(measure)

    def as_json(self) -> str:
        """The `--json` form."""
        return json.dumps({
            "engine": self.engine, "events": self.events, "cpus": self.cpus,
            "python": self.python, "quick": self.quick, "versions": self.versions,
            "measures": [m.as_dict() for m in self.measures], "notes": self.notes,
        }, indent=2)

    def as_table(self) -> str:
        """A plain-text table: name, value, unit, ceiling, ratio, target, met, detail."""
        versions = ", ".join(f"{k} {v}" for k, v in self.versions.items())
        lines = [f"stanceline bench: {self.events:,} events on {self.engine}, "
                 f"{self.cpus} CPUs, Python {self.python}{', quick' if self.quick else ''}"
                 + (f" ({versions})" if versions else "")]
        head = (f"{'measure':<44}{'value':>10} {'unit':<10}{'ceiling':>10} {'ratio':>7} "
                f"{'target':<15}{'met':<5} detail")
        lines += [head, "-" * len(head)]
        for m in self.measures:
            ceiling = "" if m.ceiling is None else _number(m.ceiling)
            target = "" if m.target is None else m.target.text(m.unit, m.style)
            met = {None: "", True: "yes", False: "NO"}[m.met]
            detail = "; ".join(x for x in (f"ceiling: {m.ceiling_of}" if m.ceiling_of else "",
                                           m.detail) if x)
            lines.append(f"{m.name:<44}{_number(m.value):>10} {m.unit:<10}{ceiling:>10} "
                         f"{m.ratio_text():>7} {target:<15}{met:<5} {detail}".rstrip())
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def main_report(report: Report, as_json: bool) -> str:
    """The report in the form asked for."""
    return report.as_json() if as_json else report.as_table()
