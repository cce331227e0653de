"""Settings from the environment (prefix STANCELINE_), built once by the caller, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_documents_dir() -> Path:
    """The seed articles of a source checkout (`seeds/`: NAME.txt with NAME.meta.json)."""
    return _PROJECT_ROOT / "seeds"


def default_events_dir() -> Path:
    """The curated `events/` folder of a source checkout (None-like empty path if absent)."""
    return _PROJECT_ROOT / "events"


class Settings(BaseSettings):
    """Everything configurable about a Stanceline process."""

    model_config = SettingsConfigDict(env_prefix="STANCELINE_", extra="ignore")

    database_url: str = "sqlite:///./stanceline.db"
    # Comma-separated write tokens, each `name:secret` or a bare secret (anonymous; it may not
    # hold a colon); empty means writes are open (loopback only, see `serve`).
    api_tokens: str = ""
    max_body_bytes: int = 1024 * 1024
    max_batch_events: int = 10_000
    max_page: int = 1_000
    seed_events_dir: Path | None = Field(default_factory=default_events_dir)
    seed_documents_dir: Path | None = Field(default_factory=default_documents_dir)
    load_seed: bool = True
    # PostgreSQL only, in seconds (0: no limit): a session idle inside a transaction this long
    # is ended by the server (a killed client's orphan cannot hold the append lock), and a
    # statement waiting this long for a lock gives up (the writer answers 503: retry).
    pg_idle_in_transaction_timeout: float = Field(default=5.0, ge=0)
    pg_lock_timeout: float = Field(default=10.0, ge=0)
    # The Ed25519 key that signs checkpoints of the head (`stanceline keygen` makes one): a
    # file holding it, or the key itself (PEM, or the base64 of its 32 bytes); the file wins
    # when both are set. Neither: no checkpoints (`GET /api/checkpoint` answers 404).
    signing_key_file: Path | None = None
    signing_key: SecretStr | None = None

    @property
    def tokens(self) -> list[str]:
        """The configured write tokens' secrets."""
        return list(self.writers)

    @property
    def writers(self) -> dict[str, str | None]:
        """Each write token's secret and the name it records as `recorded_by` (None: bare)."""
        found: dict[str, str | None] = {}
        for item in self.api_tokens.split(","):
            name, colon, secret = item.strip().partition(":")
            if colon and name.strip() and secret.strip():
                found[secret.strip()] = name.strip()
            elif item.strip():
                found[item.strip()] = None
        return found
