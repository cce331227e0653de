"""The pure core: events, stances and projections. Imports no web framework and no SQL."""
