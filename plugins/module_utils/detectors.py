"""Sensitive-value detectors for job payloads (control DATA-01).

Each detector looks at one decoded string together with the name of the field
that holds it and yields the values it recognises. Values leave this module
only inside :class:`Hit` records, which the scanner turns into a keyed
fingerprint straight away; nothing here prints or logs a value.

Detectors (ids are stable, they appear in findings and options):

``card_number``
    13-19 digits, optionally split by single spaces or dashes, that pass the
    Luhn check and start with a plausible issuer prefix for their length
    (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Mir, Maestro).
``iban``
    Country code, check digits and BBAN of the exact length registered for
    that country, passing the ISO 7064 mod-97 check. Upper case only.
``aws_access_key_id`` / ``aws_secret_access_key``
    Key IDs by their prefix (AKIA, ASIA...). Secret keys (40 base64 chars)
    only next to an AWS-like name, in a field or in ``name=value`` text:
    alone they cannot be told from any other 40-character string.
``github_token``, ``slack_token``, ``stripe_key``
    Vendor token formats with their fixed prefixes.
``private_key``
    PEM or OpenSSH private-key blocks (a BEGIN line is enough).
``jwt``
    Three base64url parts whose first part decodes to a JSON object that
    has an ``alg`` member.
``url_credentials``
    The password part of ``scheme://user:password@host`` URLs.
``secret_field``
    Any non-placeholder value of a field named like password, secret, token,
    api_key or credentials, and ``password=value`` pairs in free text.
``high_entropy_key``
    Long, random-looking values of fields whose name suggests a key or an
    authorisation (``key``, ``auth``, ``signature``...). Random-looking
    values elsewhere are not reported: ids and hashes look the same.
``email``
    E-mail addresses.
``us_ssn``
    US social security numbers written ``AAA-GG-SSSS`` (or nine digits in a
    field named like ssn), excluding ranges never issued (area 000, 666,
    900-999, group 00, serial 0000) and well-known specimen numbers.
``uk_nino``
    UK national insurance numbers, excluding prefixes never allocated.

Limitations: detection is pattern based, so formats not listed are missed
(other national IDs, passwords without a telling field name, secrets split
across fields), and checksum-free formats (e-mail, NINO, SSN) can match
look-alike data. A secret-looking field hit is dropped when a more specific
detector already matched inside the same value, so one value gives one
finding.
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

# Detectors tied to a field name rather than the value's own shape; they give
# way to a specific detector that matched within the same string.
GENERIC_DETECTORS = frozenset({"secret_field", "high_entropy_key"})


@dataclass(frozen=True, slots=True)
class Hit:
    """One recognised value. ``value`` must never be printed or stored."""

    detector: str
    value: str
    start: int
    end: int


# -- card numbers ---------------------------------------------------------

_DIGIT_RE = re.compile(r"\d")
_CARD_RE = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){11,18}(?![\w-])")

# (first digits range low, high, allowed lengths); prefixes compared on the
# same number of leading digits.
_CARD_IIN: tuple[tuple[str, str, frozenset[int]], ...] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard 2-series
    ("34", "34", frozenset({15})),  # Amex
    ("37", "37", frozenset({15})),
    ("6011", "6011", frozenset(range(16, 20))),  # Discover
    ("644", "649", frozenset(range(16, 20))),
    ("65", "65", frozenset(range(16, 20))),
    ("62", "62", frozenset(range(16, 20))),  # UnionPay
    ("3528", "3589", frozenset(range(16, 20))),  # JCB
    ("300", "305", frozenset(range(14, 20))),  # Diners
    ("36", "36", frozenset(range(14, 20))),
    ("38", "39", frozenset(range(16, 20))),
    ("2200", "2204", frozenset(range(16, 20))),  # Mir
    ("5018", "5018", frozenset(range(12, 20))),  # Maestro
    ("5020", "5020", frozenset(range(12, 20))),
    ("5038", "5038", frozenset(range(12, 20))),
    ("5893", "5893", frozenset(range(12, 20))),
    ("6304", "6304", frozenset(range(12, 20))),
    ("6759", "6759", frozenset(range(12, 20))),
    ("6761", "6763", frozenset(range(12, 20))),
)


def luhn_valid(digits: str) -> bool:
    """Return True when a digit string passes the Luhn (mod 10) check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def plausible_card(digits: str) -> bool:
    """Return True for a digit string with a known issuer prefix and length."""
    if not 12 <= len(digits) <= 19 or len(set(digits)) < 2:
        return False
    for low, high, lengths in _CARD_IIN:
        prefix = digits[: len(low)]
        if low <= prefix <= high and len(digits) in lengths:
            return luhn_valid(digits)
    return False


def card_digit_runs(text: str) -> bool:
    """Return True if any run of digits, even inside a word, is a card number."""
    return any(plausible_card(run) for run in re.findall(r"\d{12,19}", text))


def _find_cards(text: str, _field: str | None) -> Iterator[tuple[str, int, int]]:
    for match in _CARD_RE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if plausible_card(digits):
            yield digits, match.start(), match.end()


# -- IBAN -----------------------------------------------------------------

_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16,
    "BG": 22, "BH": 22, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28,
    "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23,
    "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

_IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})\d{2}")


def iban_valid(compact: str) -> bool:
    """Return True for an IBAN without spaces of the right length and mod 97."""
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _find_ibans(text: str, _field: str | None) -> Iterator[tuple[str, int, int]]:
    for match in _IBAN_START_RE.finditer(text):
        length = _IBAN_LENGTHS.get(match.group(1))
        if length is None:
            continue
        # Collect exactly `length` characters, allowing single spaces between
        # groups, so trailing words ("... 00 EUR") are not swallowed.
        chars: list[str] = []
        pos = match.start()
        while pos < len(text) and len(chars) < length:
            char = text[pos]
            if char == " " and chars and pos + 1 < len(text) and text[pos + 1] != " ":
                pos += 1
                continue
            if not (char.isascii() and (char.isdigit() or char.isupper())):
                break
            chars.append(char)
            pos += 1
        if len(chars) != length:
            continue
        if pos < len(text) and text[pos].isascii() and text[pos].isalnum():
            continue
        compact = "".join(chars)
        if iban_valid(compact):
            yield compact, match.start(), pos


# -- cloud and vendor tokens ------------------------------------------------

_AWS_KEY_ID_RE = re.compile(
    r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA"
    r"|ASCA)[A-Z0-9]{16}(?![A-Z0-9])"
)
_AWS_SECRET_VALUE_RE = re.compile(r"[A-Za-z0-9/+]{40}")
_AWS_SECRET_TEXT_RE = re.compile(
    r"(?i)aws[\w.-]{0,20}?(?:secret|key)[\w.-]{0,20}?[\"']?\s*[:=]\s*[\"']?"
    r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
)
_AWS_SECRET_FIELD_RE = re.compile(r"(?i)(?:aws.*(?:secret|key)|secret_?access)")

_VENDOR_PATTERNS: dict[str, re.Pattern[str]] = {
    "github_token": re.compile(
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}"
        r"|github_pat_[A-Za-z0-9_]{60,255})(?![A-Za-z0-9_])"
    ),
    "slack_token": re.compile(
        r"(?<![A-Za-z0-9-])(?:xox[abposr]-[A-Za-z0-9-]{10,250}"
        r"|https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+"
        r"/[A-Za-z0-9_]{8,})"
    ),
    "stripe_key": re.compile(
        r"(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}"
        r"(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])whsec_[A-Za-z0-9]{24,}"
    ),
}


def _find_aws_key_ids(text: str, _field: str | None) -> Iterator[tuple[str, int, int]]:
    for match in _AWS_KEY_ID_RE.finditer(text):
        yield match.group(), match.start(), match.end()


def _find_aws_secrets(text: str, field: str | None) -> Iterator[tuple[str, int, int]]:
    stripped = text.strip()
    named = field is not None and _AWS_SECRET_FIELD_RE.search(field)
    if named and _AWS_SECRET_VALUE_RE.fullmatch(stripped):
        start = text.index(stripped)
        yield stripped, start, start + 40
        return
    for match in _AWS_SECRET_TEXT_RE.finditer(text):
        yield match.group(1), match.start(1), match.end(1)


def _vendor_finder(pattern: re.Pattern[str]) -> _Finder:
    def find(text: str, _field: str | None) -> Iterator[tuple[str, int, int]]:
        for match in pattern.finditer(text):
            yield match.group(), match.start(), match.end()

    return find


# -- private keys and JWTs ----------------------------------------------------

_PEM_RE = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:[\s\S]{0,16384}?-----END \1-----)?"
)
_JWT_RE = re.compile(
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}={0,2}\.[A-Za-z0-9_-]{2,}={0,2}"
    r"\.[A-Za-z0-9_-]*(?![A-Za-z0-9_-])"
)


def _b64url_json(part: str) -> object:
    part = part.rstrip("=")
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(raw)


def _find_private_keys(text: str, _field: str | None) -> Iterator[tuple[str, int, int]]:
    for match in _PEM_RE.finditer(text):
        yield match.group(), match.start(), match.end()


def _find_jwts(text: str, _field: str | None) -> Iterator[tuple[str, int, int]]:
    for match in _JWT_RE.finditer(text):
        try:
            header = _b64url_json(match.group().split(".", 1)[0])
        except (ValueError, binascii.Error):
            continue
        if isinstance(header, dict) and isinstance(header.get("alg"), str):
            yield match.group(), match.start(), match.end()


# -- secrets by name ------------------------------------------------------------

_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "passphrase", "pwd", "pass", "secret", "secrets",
        "token", "tokens", "apikey", "credential", "credentials", "privatekey",
        "pin", "cvv", "cvc", "otp", "totp",
    }
)  # fmt: skip
_SECRET_PAIRS = frozenset(
    {("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key")}
)
# A trailing word that turns a secret-looking name into metadata about it.
_METADATA_WORDS = frozenset(
    {
        "type", "count", "length", "len", "expires", "expiry", "expiration",
        "hint", "policy", "required", "reset", "changed", "set", "updated",
        "at", "on", "name", "id", "ids", "url", "present", "enabled", "version",
        "valid", "strength", "digest", "hash", "fingerprint", "last4",
    }
)  # fmt: skip
_KEYLIKE_WORDS = frozenset(
    {
        "key", "keys", "auth", "authorization", "signature", "sig", "bearer",
        "cookie", "session", "hmac", "salt", "access", "refresh",
        "license", "dsn",
    }
)  # fmt: skip
_PLACEHOLDERS = frozenset(
    {
        "", "null", "none", "nil", "redacted", "[redacted]", "<redacted>",
        "[filtered]", "filtered", "changeme", "undefined", "n/a", "-",
    }
)  # fmt: skip
_WORD_SPLIT_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_ASSIGNMENT_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9_-]{0,40})[\"']?\s*(?:=>|=|:)\s*"
    r"(?:\"([^\"\n]{1,512})\"|'([^'\n]{1,512})'|([^\s\"',;&)}\]]{1,512}))"
)
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


@functools.lru_cache(maxsize=4096)
def field_words(name: str) -> tuple[str, ...]:
    """Split a field name in snake, kebab or camel case into lower-case words."""
    return tuple(word.lower() for word in _WORD_SPLIT_RE.findall(name))


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Return True for field names that say their value is a secret."""
    words = field_words(name)
    if not words or words[-1] in _METADATA_WORDS:
        return False
    if any(word in _SECRET_WORDS for word in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


@functools.lru_cache(maxsize=4096)
def is_keylike_name(name: str) -> bool:
    """Return True for field names that hint at a key without saying secret."""
    words = field_words(name)
    if not words or words[-1] in _METADATA_WORDS:
        return False
    return any(word in _KEYLIKE_WORDS for word in words)


def _is_placeholder(value: str) -> bool:
    stripped = value.strip()
    return stripped.lower() in _PLACEHOLDERS or len(set(stripped)) == 1


def shannon_entropy(value: str) -> float:
    """Bits per character of a string's own character distribution."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def looks_random(value: str) -> bool:
    """Return True for a long single-token value with a random-like alphabet."""
    if not 16 <= len(value) <= 1024 or any(char.isspace() for char in value):
        return False
    if _UUID_RE.fullmatch(value):
        return False
    has_alpha = any(char.isalpha() for char in value)
    has_digit = any(char.isdigit() for char in value)
    return has_alpha and has_digit and shannon_entropy(value) >= 3.5


def _find_secret_fields(text: str, field: str | None) -> Iterator[tuple[str, int, int]]:
    if field is not None and is_secret_name(field) and not _is_placeholder(text):
        yield text, 0, len(text)
        return
    for match in _ASSIGNMENT_RE.finditer(text):
        if not is_secret_name(match.group(1)):
            continue
        group = next(g for g in (2, 3, 4) if match.group(g) is not None)
        value = match.group(group)
        if not _is_placeholder(value):
            yield value, match.start(group), match.end(group)


def _find_high_entropy(text: str, field: str | None) -> Iterator[tuple[str, int, int]]:
    if field is not None and is_keylike_name(field) and not is_secret_name(field):
        candidate = text.strip()
        for scheme in ("Bearer ", "Basic ", "Token "):
            candidate = candidate.removeprefix(scheme)
        if looks_random(candidate):
            start = text.find(candidate)
            yield candidate, start, start + len(candidate)


_URL_CREDENTIALS_RE = re.compile(
    r"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s/:@\"']{1,128}:([^\s/@\"']{1,256})@"
)


def _find_url_credentials(
    text: str, _field: str | None
) -> Iterator[tuple[str, int, int]]:
    for match in _URL_CREDENTIALS_RE.finditer(text):
        if not _is_placeholder(match.group(1)):
            yield match.group(1), match.start(1), match.end(1)


# -- personal data ----------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9-])"
)
_SSN_RE = re.compile(r"(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])")
_SSN_PLAIN_RE = re.compile(r"(?<!\d)(\d{3})(\d{2})(\d{4})(?!\d)")
_SSN_SPECIMENS = frozenset({"078051120", "219099999", "123456789"})
_NINO_RE = re.compile(
    r"(?<![A-Za-z0-9])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2})"
    r" ?(\d{2}) ?([A-D])(?![A-Za-z0-9])"
)
_NINO_UNALLOCATED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """Return True for an SSN outside the never-issued ranges and specimens."""
    if area in {"000", "666"} or area.startswith("9"):
        return False
    if group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_SPECIMENS


def _find_emails(text: str, _field: str | None) -> Iterator[tuple[str, int, int]]:
    if "@" not in text:
        return
    for match in _EMAIL_RE.finditer(text):
        yield match.group().lower(), match.start(), match.end()


def _find_ssns(text: str, field: str | None) -> Iterator[tuple[str, int, int]]:
    for match in _SSN_RE.finditer(text):
        if ssn_valid(*match.groups()):
            yield "".join(match.groups()), match.start(), match.end()
    if field is not None and {"ssn", "social"} & set(field_words(field)):
        for match in _SSN_PLAIN_RE.finditer(text):
            if ssn_valid(*match.groups()):
                yield match.group(), match.start(), match.end()


def _find_ninos(text: str, _field: str | None) -> Iterator[tuple[str, int, int]]:
    for match in _NINO_RE.finditer(text):
        if match.group(1) not in _NINO_UNALLOCATED:
            yield "".join(match.groups()), match.start(), match.end()


# -- registry -------------------------------------------------------------------

_Finder = Callable[[str, "str | None"], Iterator[tuple[str, int, int]]]


_Gate = Callable[[str, "str | None", bool], bool]


@dataclass(frozen=True, slots=True)
class DetectorInfo:
    """A detector id, what it reports, its search and a cheap pre-check.

    ``gate(text, field, has_digits)`` must be True whenever ``find`` could
    match; it only exists to skip the regex work on most strings.
    """

    id: str
    title: str
    find: _Finder
    gate: _Gate


def _always(_text: str, _field: str | None, _digits: bool) -> bool:
    return True


def _needs_digits(_text: str, _field: str | None, digits: bool) -> bool:
    return digits


def _needs(*needles: str) -> _Gate:
    def gate(text: str, _field: str | None, _digits: bool) -> bool:
        return any(needle in text for needle in needles)

    return gate


def _aws_secret_gate(text: str, field: str | None, _digits: bool) -> bool:
    return field is not None or "aws" in text.lower()


def _secret_gate(text: str, field: str | None, _digits: bool) -> bool:
    return field is not None or "=" in text or ":" in text


def _field_gate(_text: str, field: str | None, _digits: bool) -> bool:
    return field is not None


DETECTORS: dict[str, DetectorInfo] = {
    info.id: info
    for info in (
        # Order matters: a hit overlapping an earlier one is dropped, so the
        # password of a URL is not also reported as part of an e-mail address.
        DetectorInfo(
            "url_credentials",
            "Password in a URL",
            _find_url_credentials,
            _needs("://"),
        ),
        DetectorInfo("card_number", "Payment card number", _find_cards, _needs_digits),
        DetectorInfo("iban", "IBAN bank account number", _find_ibans, _needs_digits),
        DetectorInfo(
            "aws_access_key_id", "AWS access key ID", _find_aws_key_ids, _needs("A")
        ),
        DetectorInfo(
            "aws_secret_access_key",
            "AWS secret access key",
            _find_aws_secrets,
            _aws_secret_gate,
        ),
        DetectorInfo(
            "github_token",
            "GitHub token",
            _vendor_finder(_VENDOR_PATTERNS["github_token"]),
            _needs("gh", "github_pat_"),
        ),
        DetectorInfo(
            "slack_token",
            "Slack token or webhook",
            _vendor_finder(_VENDOR_PATTERNS["slack_token"]),
            _needs("xox", "hooks.slack.com"),
        ),
        DetectorInfo(
            "stripe_key",
            "Stripe secret key",
            _vendor_finder(_VENDOR_PATTERNS["stripe_key"]),
            _needs("_live_", "_test_", "whsec_"),
        ),
        DetectorInfo(
            "private_key",
            "Private key block",
            _find_private_keys,
            _needs("PRIVATE KEY"),
        ),
        DetectorInfo("jwt", "JSON Web Token", _find_jwts, _needs("eyJ")),
        DetectorInfo(
            "secret_field",
            "Value of a secret field",
            _find_secret_fields,
            _secret_gate,
        ),
        DetectorInfo(
            "high_entropy_key",
            "Random-looking key value",
            _find_high_entropy,
            _field_gate,
        ),
        DetectorInfo("email", "E-mail address", _find_emails, _needs("@")),
        DetectorInfo("us_ssn", "US social security number", _find_ssns, _needs_digits),
        DetectorInfo(
            "uk_nino", "UK national insurance number", _find_ninos, _needs_digits
        ),
    )
}


class DetectorSet:
    """The enabled detectors, run together over one string at a time."""

    def __init__(
        self, enabled: Iterable[str] | None = None, disabled: Iterable[str] = ()
    ) -> None:
        chosen = list(DETECTORS) if enabled is None else list(enabled)
        unknown = sorted(set(chosen).union(disabled) - set(DETECTORS))
        if unknown:
            raise ValueError(f"unknown detector(s): {', '.join(unknown)}")
        off = set(disabled)
        self.ids: tuple[str, ...] = tuple(d for d in chosen if d not in off)
        self._ordered = [
            info
            for generic in (False, True)
            for info in DETECTORS.values()
            if info.id in self.ids and (info.id in GENERIC_DETECTORS) is generic
        ]

    def scan(self, text: str, field: str | None = None) -> list[Hit]:
        """Return the hits in one string; ``field`` is its nearest field name."""
        hits: list[Hit] = []
        # Specific detectors first, then the name-based ones: a value already
        # named by an earlier detector is reported once.
        digits = _DIGIT_RE.search(text) is not None
        for info in self._ordered:
            if not info.gate(text, field, digits):
                continue
            for value, start, end in info.find(text, field):
                if not any(h.start < end and start < h.end for h in hits):
                    hits.append(Hit(info.id, value, start, end))
        return hits


@dataclass(slots=True)
class AllowList:
    """Accepted values (by keyed fingerprint) and locations (by regex).

    ``path_patterns`` are searched (``re.search``) in ``"<redis key>#<path>"``,
    for example ``^queue:mailers#args\\[0\\]\\.to$``.
    """

    fingerprints: frozenset[str] = frozenset()
    path_patterns: tuple[re.Pattern[str], ...] = field(default_factory=tuple)

    @classmethod
    def build(
        cls, fingerprints: Iterable[str] = (), path_patterns: Iterable[str] = ()
    ) -> AllowList:
        compiled = []
        for pattern in path_patterns:
            try:
                compiled.append(re.compile(pattern))
            except re.error as exc:
                raise ValueError(
                    f"allow-list pattern {pattern!r} is invalid: {exc}"
                ) from None
        return cls(frozenset(fingerprints), tuple(compiled))

    def allows(self, fingerprint: str, key: str, path: str) -> bool:
        if fingerprint in self.fingerprints:
            return True
        location = f"{key}#{path}"
        return any(p.search(location) for p in self.path_patterns)
