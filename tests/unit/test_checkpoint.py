"""The checkpoint module (issue 14.2), pure: signing, what a verifier refuses, and what it
takes for a log to extend a checkpoint."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from stanceline.domain.chain import GENESIS
from stanceline.domain.checkpoint import (
    Checkpoint,
    CheckpointRefused,
    NoSigningKey,
    Signer,
    check_extension,
    check_signature,
    message,
    trusted_key,
)
from stanceline.store.memory import InMemoryStore
from tests.conftest import registry, stance

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HASH = "ab" * 32
KEY = Signer.generate()


def test_a_signed_checkpoint_verifies_with_its_key_and_round_trips_as_json() -> None:
    signed = KEY.sign(42, HASH, NOW)
    check_signature(signed, KEY.public_key)
    again = Checkpoint.of(signed.wire())
    assert again == signed
    check_signature(again, KEY.public_key)
    assert signed.wire()["time"] == "2026-03-01T12:00:00.000000Z"


@pytest.mark.parametrize("field", ["position", "hash", "signed_at"])
def test_any_edited_field_breaks_the_signature(field: str) -> None:
    signed = KEY.sign(42, HASH, NOW)
    edited = {"position": replace(signed, position=41), "hash": replace(signed, hash="cd" * 32),
              "signed_at": replace(signed, signed_at=NOW - timedelta(days=1))}[field]
    with pytest.raises(CheckpointRefused, match="signature does not match"):
        check_signature(edited, KEY.public_key)


def test_a_checkpoint_of_another_key_is_refused_even_though_it_verifies_with_its_own() -> None:
    forger = Signer.generate()
    forged = forger.sign(42, HASH, NOW)
    check_signature(forged, forger.public_key)  # a valid signature: by the wrong key
    with pytest.raises(CheckpointRefused, match="not by the trusted key"):
        check_signature(forged, KEY.public_key)
    # Swapping in the trusted key's name does not help: the signature is not its.
    with pytest.raises(CheckpointRefused, match="signature does not match"):
        check_signature(replace(forged, public_key=KEY.public_key), KEY.public_key)


def test_the_signed_bytes_are_separated_from_anything_else_the_key_may_sign() -> None:
    assert message(1, HASH, NOW).startswith(b'{"format":"stanceline-checkpoint/1"')


@pytest.mark.parametrize(("wire", "says"), [
    ({}, "has no position"),
    ("[]", "a JSON object"),
    ({"position": -1}, "non-negative"),
    ({"position": True}, "non-negative"),
    ({"hash": "xyz"}, "64 hex"),
    ({"time": "yesterday"}, "not a timestamp"),
    ({"time": "2026-03-01T12:00:00"}, "no time zone"),
    ({"algorithm": "rsa"}, "ed25519"),
    ({"signature": "!!"}, "not base64"),
    ({"signature": base64.b64encode(b"short").decode()}, "not 64"),
])
def test_a_malformed_checkpoint_is_refused_in_one_clear_line(wire: object, says: str) -> None:
    good = KEY.sign(42, HASH, NOW).wire()
    given = wire if not isinstance(wire, dict) or not wire else {**good, **wire}
    with pytest.raises(CheckpointRefused, match=says):
        check_signature(Checkpoint.of(given), KEY.public_key)  # type: ignore[arg-type]


def test_keys_load_from_pem_or_base64_and_refuse_anything_else() -> None:
    pem = KEY.private_pem()
    assert Signer.load(pem, "file").public_key == KEY.public_key
    raw = serialization.load_pem_private_key(pem, password=None).private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())
    assert Signer.load(base64.b64encode(raw).decode(), "env").public_key == KEY.public_key
    for bad in ("not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"):
        with pytest.raises(NoSigningKey, match="the signing key in env"):
            Signer.load(bad, "env")


def test_a_trusted_key_is_its_base64_or_a_pem_public_key() -> None:
    assert trusted_key(f"  {KEY.public_key}\n") == KEY.public_key
    public = serialization.load_pem_private_key(KEY.private_pem(), password=None).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM,
                              serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert trusted_key(pem) == KEY.public_key
    with pytest.raises(CheckpointRefused, match="public key"):
        trusted_key("AAAA")


def _log() -> list:  # type: ignore[type-arg]
    store = InMemoryStore()
    store.append(registry(["fra"], ["t"]))
    store.append([stance("fra", "t", "supports", "2025-01-01")])
    store.append([stance("fra", "t", "opposes", "2025-02-01")])
    return list(store.iter_all())


def test_a_log_extends_a_checkpoint_of_its_own_head_and_of_any_earlier_one() -> None:
    log = _log()
    for event in log:
        signed = KEY.sign(event.position, event.hash, event.recorded_at)
        assert check_extension(signed, len(log), log[event.position - 1:]) is None
    assert check_extension(KEY.sign(0, GENESIS, log[0].recorded_at), len(log), log) is None


def test_what_does_not_extend_a_checkpoint_is_named() -> None:
    log = _log()
    head = log[-1]
    signed = KEY.sign(head.position, head.hash, head.recorded_at)
    found = check_extension(signed, len(log) - 1, log[-2:-1])
    assert found is not None and "rows were removed" in found[1]
    other = replace(head, hash="00" * 32)
    found = check_extension(signed, len(log), [other])
    assert found == (head.position, found[1]) and "rewritten" in found[1]
    earlier = KEY.sign(log[1].position, log[1].hash, head.recorded_at + timedelta(seconds=1))
    found = check_extension(earlier, len(log), log[1:])
    assert found is not None and found[0] == 3 and "back-dated" in found[1]
    found = check_extension(KEY.sign(0, HASH, NOW), len(log), log)
    assert found is not None and "genesis" in found[1]
