"""The HTTP API: `create_app(settings)`."""

from stanceline.api.app import create_app

__all__ = ["create_app"]
