"""The stance panel's periods: labels, last days, and the bound counted before listing."""

from __future__ import annotations

from datetime import date

import pytest

from stanceline.service import period_count, periods_between


def test_months_run_from_the_month_of_first_to_the_month_of_last() -> None:
    assert periods_between(date(2023, 12, 15), date(2024, 3, 1), "month") == [
        ("2023-12", date(2023, 12, 31)), ("2024-01", date(2024, 1, 31)),
        ("2024-02", date(2024, 2, 29)), ("2024-03", date(2024, 3, 31))]


def test_quarters_and_years() -> None:
    assert periods_between(date(2024, 11, 5), date(2025, 4, 1), "quarter") == [
        ("2024-Q4", date(2024, 12, 31)), ("2025-Q1", date(2025, 3, 31)),
        ("2025-Q2", date(2025, 6, 30))]
    assert periods_between(date(2024, 6, 1), date(2025, 1, 1), "year") == [
        ("2024", date(2024, 12, 31)), ("2025", date(2025, 12, 31))]
    assert periods_between(date(2025, 3, 3), date(2025, 3, 3), "month") == [
        ("2025-03", date(2025, 3, 31))]


@pytest.mark.parametrize("every", ["month", "quarter", "year"])
def test_the_count_is_the_length(every: str) -> None:
    for first, last in [(date(1999, 1, 1), date(2026, 12, 31)),
                        (date(2025, 2, 28), date(2025, 3, 1)),
                        (date(2020, 12, 31), date(2021, 1, 1))]:
        assert period_count(first, last, every) == len(periods_between(first, last, every))
    assert period_count(date(1, 1, 1), date(9999, 12, 31), every) > 600


def test_the_last_years_of_the_calendar() -> None:
    assert periods_between(date(9999, 11, 1), date(9999, 12, 31), "quarter") == [
        ("9999-Q4", date(9999, 12, 31))]
    assert periods_between(date(9600, 1, 1), date(9999, 12, 31), "year")[-1] == (
        "9999", date(9999, 12, 31))
