"""Signed checkpoints of the head (issue 14.2): what anchors the log against a rewrite.

The hash chain alone shows that each row follows the one before it, not that the log is the
one it was: truncating it, or deleting a row and re-chaining the rest, leaves a chain that
walks. A checkpoint is the head (position, hash) and the time it was signed, signed with an
Ed25519 key. Saved somewhere the attacker cannot write, it proves later that the log still
extends it: the row at its position has its hash (every row up to there is then the same, by
the chain), and every row after it was recorded after it was signed (a row slipped in after
the head with a back-dated recording time, to look as if it had been known then, is not).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from stanceline.domain.chain import GENESIS
from stanceline.domain.digest import canonical
from stanceline.domain.events import RecordedEvent, format_timestamp
from stanceline.errors import InvalidInput, NotFound

ALGORITHM = "ed25519"
# Domain separation: these bytes are a Stanceline checkpoint and nothing else a key signs.
FORMAT = "stanceline-checkpoint/1"


class NoSigningKey(NotFound):
    """No usable signing key is configured, so there is no checkpoint to serve (a 404: a
    5xx would read as a fault of the service, and nothing here is one until a key is set)."""


class CheckpointRefused(InvalidInput):
    """A checkpoint that proves nothing: malformed, badly signed, or signed by another key."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str, size: int, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointRefused(f"the {what} is not base64") from None
    if len(raw) != size:
        raise CheckpointRefused(f"the {what} is {len(raw)} bytes, not {size}")
    return raw


def message(position: int, head_hash: str, signed_at: datetime) -> bytes:
    """The bytes a checkpoint signs: its format, the head and the time, as canonical JSON."""
    return canonical({"format": FORMAT, "position": position, "hash": head_hash,
                      "time": format_timestamp(signed_at)}).encode()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed head: `position` and `hash` of the log's last row when it was signed."""

    position: int
    hash: str
    signed_at: datetime
    public_key: str
    signature: str

    def wire(self) -> dict[str, Any]:
        """The JSON a verifier needs (what `GET /api/checkpoint` and `checkpoint` print)."""
        return {"format": FORMAT, "algorithm": ALGORITHM, "position": self.position,
                "hash": self.hash, "time": format_timestamp(self.signed_at),
                "key": self.public_key, "signature": self.signature}

    @classmethod
    def of(cls, wire: Mapping[str, Any]) -> Checkpoint:
        """A checkpoint from its JSON, or CheckpointRefused naming what is wrong with it."""
        if not isinstance(wire, Mapping):
            raise CheckpointRefused("a checkpoint is a JSON object")
        missing = [k for k in ("position", "hash", "time", "key", "signature")
                   if k not in wire]
        if missing:
            raise CheckpointRefused(f"the checkpoint has no {', '.join(missing)}")
        if wire.get("format", FORMAT) != FORMAT or wire.get("algorithm", ALGORITHM) != ALGORITHM:
            raise CheckpointRefused(f"not a {FORMAT} checkpoint signed with {ALGORITHM}")
        position, head_hash = wire["position"], wire["hash"]
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise CheckpointRefused("the checkpoint's position is not a non-negative integer")
        if not (isinstance(head_hash, str) and len(head_hash) == 64
                and all(c in "0123456789abcdef" for c in head_hash)):
            raise CheckpointRefused("the checkpoint's hash is not 64 hex digits")
        try:
            signed_at = datetime.fromisoformat(str(wire["time"]).replace("Z", "+00:00"))
        except ValueError:
            raise CheckpointRefused("the checkpoint's time is not a timestamp") from None
        if signed_at.tzinfo is None:
            raise CheckpointRefused("the checkpoint's time has no time zone")
        return cls(position, head_hash, signed_at.astimezone(UTC), str(wire["key"]),
                   str(wire["signature"]))


class Signer:
    """An Ed25519 private key that signs checkpoints."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = public_text(key.public_key())

    def sign(self, position: int, head_hash: str, signed_at: datetime) -> Checkpoint:
        """The checkpoint of this head, signed now."""
        signed_at = signed_at.astimezone(UTC)
        signature = self._key.sign(message(position, head_hash, signed_at))
        return Checkpoint(position, head_hash, signed_at, self.public_key, _b64(signature))

    def private_pem(self) -> bytes:
        """The key as an unencrypted PKCS#8 PEM (the key file `keygen` writes)."""
        return self._key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())

    @classmethod
    def generate(cls) -> Signer:
        """A new random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, text: str | bytes, where: str) -> Signer:
        """A key from a PEM (what `keygen` writes) or the base64 of its 32 raw bytes (handier
        in an environment variable); NoSigningKey naming `where` when it is neither."""
        raw = text.encode() if isinstance(text, str) else text
        try:
            if raw.lstrip().startswith(b"-----BEGIN"):
                key = serialization.load_pem_private_key(raw, password=None)
            else:
                key = Ed25519PrivateKey.from_private_bytes(
                    base64.b64decode(raw.strip(), validate=True))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise NoSigningKey(f"the signing key in {where} cannot be read: "
                               f"{str(exc).splitlines()[0] if str(exc) else 'not a key'}"
                               ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise NoSigningKey(f"the signing key in {where} is not an Ed25519 key")
        return cls(key)


def public_text(key: Ed25519PublicKey) -> str:
    """A public key as the base64 of its 32 raw bytes: how checkpoints and `keygen` show it."""
    return _b64(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def trusted_key(given: str) -> str:
    """A public key given to trust, as the base64 of its raw bytes: from that base64 text, or
    a PEM public key."""
    if given.lstrip().startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(given.encode())
        except ValueError as exc:
            raise CheckpointRefused(f"the public key cannot be read: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise CheckpointRefused("the public key is not an Ed25519 key")
        return public_text(key)
    return _b64(_unb64(given, 32, "public key"))


def check_signature(checkpoint: Checkpoint, trusted: str) -> None:
    """Raise CheckpointRefused unless `trusted` (a public key's base64) signed `checkpoint`.

    A checkpoint carries its own public key, but that proves nothing: whoever rewrote the
    log can make a key and sign a checkpoint of the rewritten one. Only a key trusted from
    elsewhere (kept outside the machine) makes the signature evidence."""
    if checkpoint.public_key.strip() != trusted:
        raise CheckpointRefused(
            f"the checkpoint is signed by key {checkpoint.public_key.strip()[:16]}..., not by "
            f"the trusted key {trusted[:16]}...: anyone can sign with a key of their own")
    public = Ed25519PublicKey.from_public_bytes(_unb64(trusted, 32, "public key"))
    try:
        public.verify(_unb64(checkpoint.signature, 64, "signature"),
                      message(checkpoint.position, checkpoint.hash, checkpoint.signed_at))
    except InvalidSignature:
        raise CheckpointRefused("the checkpoint's signature does not match its content "
                                "(position, hash, time): it was altered") from None


def check_extension(checkpoint: Checkpoint, events: int,
                    tail: Iterable[RecordedEvent]) -> tuple[int, str] | None:
    """Whether a log of `events` rows (whose chain walks) extends `checkpoint`: None, or the
    position and one line saying where it does not. `tail` is the log from the checkpoint's
    position on (from position 1 for a checkpoint of the empty log)."""
    position = checkpoint.position
    if events < position:
        return position, (f"the log ends at position {events}, before the checkpoint's "
                          f"position {position}: rows were removed from its end")
    if position == 0 and checkpoint.hash != GENESIS:
        return 0, "a checkpoint of the empty log must carry the genesis hash"
    for event in tail:
        if event.position == position and event.hash != checkpoint.hash:
            return position, (f"the row at position {position} has hash {event.hash[:16]}..., "
                              f"not the checkpoint's {checkpoint.hash[:16]}...: the log was "
                              "rewritten up to there (a row changed, removed or inserted and "
                              "the rest re-chained)")
        if event.position > position and event.recorded_at < checkpoint.signed_at:
            return event.position, (
                f"the row at position {event.position} says it was recorded at "
                f"{format_timestamp(event.recorded_at)}, before the checkpoint signed at "
                f"{format_timestamp(checkpoint.signed_at)} that ends the log at position "
                f"{position}: a back-dated row added after it")
    return None
