"""Encrypted job arguments: the envelope format and a Python reference (DATA-02).

The convention follows Sidekiq Enterprise's encryption: only the LAST job
argument, a hash (dict) of secrets, is encrypted with AES-256-GCM; the other
arguments stay readable so jobs can still be inspected and routed, and the
payload records which key version encrypted it so keys can rotate.

Envelope format, version 1 (``jqenc`` 1). The last argument is replaced by a
JSON object with exactly these members::

    {
      "_jqenc": 1,                  # format marker and format version
      "v": 3,                       # key version, a positive integer
      "alg": "A256GCM",             # AES-256-GCM, 32-byte key
      "iv": "<base64url, 12 bytes>",  # random per encryption, never reused
      "ct": "<base64url, ciphertext followed by the 16-byte GCM tag>"
    }

base64url is RFC 4648 section 5 without padding. The plaintext is the
argument serialised as compact JSON (``separators=(",", ":")``, UTF-8,
``ensure_ascii=False``). The additional authenticated data is the ASCII
string ``jqenc:1:v=<version>``, so moving a ciphertext under another version
number fails authentication instead of decrypting with the wrong key. The
job itself also gets ``"encrypt": true`` so readers know to look.

A keyring maps key versions to 32-byte keys; the highest version is the
active one for encryption and every version present can decrypt. Rotation
adds a version and keeps the old ones until a scan reports no envelope still
using them (the scanner counts envelopes per version).

Limitations: this is not wire-compatible with Sidekiq Enterprise's own
encrypted payloads (their layout is not public); producers and consumers in
other languages must implement this documented format. The IV is random
(96 bits), so one key should encrypt far fewer than 2**32 arguments before it
is rotated. Only JSON-serialisable dicts can be encrypted.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import os
from collections.abc import Mapping
from typing import Any

FORMAT_MARKER = "_jqenc"
FORMAT_VERSION = 1
ALGORITHM = "A256GCM"
KEY_BYTES = 32
IV_BYTES = 12
TAG_BYTES = 16
ENVELOPE_MEMBERS = frozenset({FORMAT_MARKER, "v", "alg", "iv", "ct"})


class EnvelopeError(ValueError):
    """An envelope or keyring is malformed or cannot be opened."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _aad(version: int) -> bytes:
    return f"jqenc:{FORMAT_VERSION}:v={version}".encode("ascii")


def _aesgcm(key: bytes) -> Any:
    # Imported late so the scanner, which only recognises envelopes, works on
    # hosts without the cryptography library.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def validate_keyring(keyring: Mapping[int, bytes]) -> dict[int, bytes]:
    """Return a checked copy of a keyring {version: 32-byte key}."""
    if not keyring:
        raise EnvelopeError("the keyring is empty")
    checked: dict[int, bytes] = {}
    for version, key in keyring.items():
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise EnvelopeError(f"key version {version!r} is not a positive integer")
        if not isinstance(key, bytes) or len(key) != KEY_BYTES:
            raise EnvelopeError(f"key version {version} is not {KEY_BYTES} bytes")
        checked[version] = key
    return checked


def active_version(keyring: Mapping[int, bytes]) -> int:
    """The version new encryptions use: the highest in the keyring."""
    return max(validate_keyring(keyring))


def envelope_version(value: object) -> int | None:
    """Return the key version if ``value`` is a well-formed envelope, else None."""
    if not isinstance(value, dict) or set(value) != ENVELOPE_MEMBERS:
        return None
    version = value["v"]
    if (
        value[FORMAT_MARKER] != FORMAT_VERSION
        or value["alg"] != ALGORITHM
        or isinstance(version, bool)
        or not isinstance(version, int)
        or version < 1
        or not isinstance(value["iv"], str)
        or not isinstance(value["ct"], str)
    ):
        return None
    try:
        iv = _b64decode(value["iv"])
        ct = _b64decode(value["ct"])
    except (binascii.Error, ValueError):
        return None
    if len(iv) != IV_BYTES or len(ct) < TAG_BYTES:
        return None
    return version


def encrypt_value(
    value: Mapping[str, Any],
    keyring: Mapping[int, bytes],
    version: int | None = None,
) -> dict[str, Any]:
    """Encrypt a dict of secrets into an envelope with the given key version."""
    if not isinstance(value, Mapping):
        raise EnvelopeError("only a hash (dict) argument can be encrypted")
    ring = validate_keyring(keyring)
    version = max(ring) if version is None else version
    if version not in ring:
        raise EnvelopeError(f"no key for version {version} in the keyring")
    plaintext = json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)
    iv = os.urandom(IV_BYTES)
    ct = _aesgcm(ring[version]).encrypt(iv, plaintext.encode("utf-8"), _aad(version))
    return {
        FORMAT_MARKER: FORMAT_VERSION,
        "v": version,
        "alg": ALGORITHM,
        "iv": _b64encode(iv),
        "ct": _b64encode(ct),
    }


def decrypt_value(envelope: object, keyring: Mapping[int, bytes]) -> dict[str, Any]:
    """Open an envelope with the keyring and return the original dict."""
    from cryptography.exceptions import InvalidTag

    version = envelope_version(envelope)
    if version is None:
        raise EnvelopeError("the value is not a jqenc envelope")
    assert isinstance(envelope, dict)
    ring = validate_keyring(keyring)
    if version not in ring:
        raise EnvelopeError(f"no key for version {version} in the keyring")
    iv = _b64decode(envelope["iv"])
    ct = _b64decode(envelope["ct"])
    try:
        plaintext = _aesgcm(ring[version]).decrypt(iv, ct, _aad(version))
    except InvalidTag:
        raise EnvelopeError(
            f"the envelope failed authentication with key version {version}"
        ) from None
    result = json.loads(plaintext.decode("utf-8"))
    if not isinstance(result, dict):
        raise EnvelopeError("the decrypted argument is not a hash")
    return result


def encrypt_job(
    job: Mapping[str, Any],
    keyring: Mapping[int, bytes],
    version: int | None = None,
) -> dict[str, Any]:
    """Return a copy of a Sidekiq-style job with its last argument encrypted."""
    result = copy.deepcopy(dict(job))
    args = result.get("args")
    if not isinstance(args, list) or not args:
        raise EnvelopeError("the job has no arguments to encrypt")
    if envelope_version(args[-1]) is not None:
        raise EnvelopeError("the last argument is already encrypted")
    args[-1] = encrypt_value(args[-1], keyring, version)
    result["encrypt"] = True
    return result


def decrypt_job(job: Mapping[str, Any], keyring: Mapping[int, bytes]) -> dict[str, Any]:
    """Return a copy of a job with an encrypted last argument opened again."""
    result = copy.deepcopy(dict(job))
    args = result.get("args")
    if isinstance(args, list) and args and envelope_version(args[-1]) is not None:
        args[-1] = decrypt_value(args[-1], keyring)
    return result


def keyring_from_text(entries: Mapping[Any, str]) -> dict[int, bytes]:
    """Build a keyring from {version: key as 64 hex digits or base64}."""
    ring: dict[int, bytes] = {}
    for version, text in entries.items():
        try:
            number = int(version)
        except (TypeError, ValueError):
            raise EnvelopeError(f"key version {version!r} is not an integer") from None
        text = text.strip()
        try:
            key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text)
        except (ValueError, binascii.Error):
            raise EnvelopeError(
                f"key version {number} is neither hex nor base64"
            ) from None
        ring[number] = key
    return validate_keyring(ring)
