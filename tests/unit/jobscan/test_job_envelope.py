"""DATA-02 reference encryption: the envelope round-trips and fails closed."""

from __future__ import annotations

import json

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
    job_envelope as env,
)

KEYRING = {1: bytes(range(32)), 2: bytes(range(32, 64))}
SECRETS = {"card": "4111111111111111", "note": "any printable ~`!@#$%^&*()\"'"}


def test_data02_round_trip_uses_active_key_and_hides_plaintext() -> None:
    job = {"class": "PayJob", "jid": "a" * 24, "args": [7, "x", SECRETS]}
    sealed = env.encrypt_job(job, KEYRING)
    assert sealed["encrypt"] is True
    assert sealed["args"][:2] == [7, "x"]
    assert env.envelope_version(sealed["args"][-1]) == 2
    text = json.dumps(sealed)
    assert "4111111111111111" not in text and "printable" not in text
    assert env.decrypt_job(sealed, KEYRING)["args"] == job["args"]
    assert job["args"][-1] is SECRETS  # the input is not modified


def test_data02_old_version_still_decrypts_after_rotation() -> None:
    sealed = env.encrypt_value(SECRETS, {1: KEYRING[1]})
    assert sealed["v"] == 1
    assert env.decrypt_value(sealed, KEYRING) == SECRETS


def test_data02_retired_key_version_fails_with_its_number() -> None:
    sealed = env.encrypt_value(SECRETS, KEYRING, version=1)
    with pytest.raises(env.EnvelopeError, match="no key for version 1"):
        env.decrypt_value(sealed, {2: KEYRING[2]})


def test_data02_tampering_and_version_swaps_fail_authentication() -> None:
    sealed = env.encrypt_value(SECRETS, KEYRING, version=1)
    swapped = dict(sealed, v=2)
    # Same key under both numbers: only the authenticated version stops it.
    same_key = {1: KEYRING[1], 2: KEYRING[1]}
    with pytest.raises(env.EnvelopeError, match="failed authentication"):
        env.decrypt_value(swapped, same_key)
    raw = bytearray(env._b64decode(sealed["ct"]))
    raw[0] ^= 1
    flipped = dict(sealed, ct=env._b64encode(bytes(raw)))
    with pytest.raises(env.EnvelopeError, match="failed authentication"):
        env.decrypt_value(flipped, KEYRING)


def test_data02_each_encryption_uses_a_fresh_iv() -> None:
    first = env.encrypt_value(SECRETS, KEYRING)
    second = env.encrypt_value(SECRETS, KEYRING)
    assert first["iv"] != second["iv"] and first["ct"] != second["ct"]


@pytest.mark.parametrize(
    "value",
    [
        {"_jqenc": 1, "v": 1, "alg": "A256GCM", "iv": "AAAA", "ct": "A" * 30},
        {"_jqenc": 2, "v": 1, "alg": "A256GCM", "iv": "A" * 16, "ct": "A" * 30},
        {"_jqenc": 1, "v": 0, "alg": "A256GCM", "iv": "A" * 16, "ct": "A" * 30},
        {"_jqenc": 1, "v": True, "alg": "A256GCM", "iv": "A" * 16, "ct": "A" * 30},
        {"_jqenc": 1, "v": 1, "alg": "A256GCM", "iv": "A" * 16, "ct": "A" * 30,
         "card": "4111111111111111"},
        {"v": 1, "iv": "A" * 16, "ct": "A" * 30},
        ["_jqenc", 1],
        "A" * 30,
    ],
)  # fmt: skip
def test_data02_only_well_formed_envelopes_are_recognised(value: object) -> None:
    assert env.envelope_version(value) is None


def test_data02_recognises_a_well_formed_envelope() -> None:
    envelope = {"_jqenc": 1, "v": 9, "alg": "A256GCM", "iv": "A" * 16, "ct": "A" * 30}
    assert env.envelope_version(envelope) == 9


@pytest.mark.parametrize(
    ("keyring", "message"),
    [
        ({}, "empty"),
        ({1: b"short"}, "not 32 bytes"),
        ({0: bytes(32)}, "positive integer"),
        ({"1": bytes(32)}, "positive integer"),
    ],
)
def test_data02_bad_keyrings_are_refused(keyring: dict, message: str) -> None:
    with pytest.raises(env.EnvelopeError, match=message):
        env.encrypt_value(SECRETS, keyring)


def test_data02_only_hash_arguments_are_encrypted_once() -> None:
    with pytest.raises(env.EnvelopeError, match="only a hash"):
        env.encrypt_job({"args": ["plain string"]}, KEYRING)
    with pytest.raises(env.EnvelopeError, match="no arguments"):
        env.encrypt_job({"args": []}, KEYRING)
    sealed = env.encrypt_job({"args": [SECRETS]}, KEYRING)
    with pytest.raises(env.EnvelopeError, match="already encrypted"):
        env.encrypt_job(sealed, KEYRING)


def test_data02_keyring_from_hex_and_base64_text() -> None:
    ring = env.keyring_from_text(
        {"1": KEYRING[1].hex(), 2: "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}
    )
    assert ring == KEYRING
    with pytest.raises(env.EnvelopeError, match="neither hex nor base64"):
        env.keyring_from_text({1: "not base64!!"})
