"""Stanceline: who said what, when, and how positions moved."""
