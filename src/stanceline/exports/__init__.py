"""Exports of the log into other tools' formats: pure conversions of typed answers, no HTTP."""
