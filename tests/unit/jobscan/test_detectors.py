"""DATA-01 detectors: each recognises its format and rejects look-alikes."""

from __future__ import annotations

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
    detectors,
)
from jobscan_corpus import (
    GITHUB_TOKEN,
    JWT,
    PRINTABLE_PASSWORD,
    PRIVATE_KEY,
    SLACK_TOKEN,
    STRIPE_KEY,
)

AllowList = detectors.AllowList
DetectorSet = detectors.DetectorSet
ALL = DetectorSet()


def found(text: str, field: str | None = None) -> set[tuple[str, str]]:
    return {(hit.detector, hit.value) for hit in ALL.scan(text, field)}


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("4111111111111111", "4111111111111111"),  # Visa
        ("card 4111 1111 1111 1111 exp 12/30", "4111111111111111"),
        ("5555-5555-5555-4444", "5555555555554444"),  # Mastercard
        ("2223003122003222", "2223003122003222"),  # Mastercard 2-series
        ("378282246310005", "378282246310005"),  # Amex
        ("6011111111111117", "6011111111111117"),  # Discover
        ("3530111333300000", "3530111333300000"),  # JCB
        ("30569309025904", "30569309025904"),  # Diners
    ],
)
def test_data01_card_numbers_with_luhn_and_issuer_are_found(
    text: str, digits: str
) -> None:
    assert ("card_number", digits) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # Luhn fails
        "1234567890123452",  # passes Luhn, no issuer starts with 1
        "41111111111111",  # Visa prefix, wrong length (14)
        "order 1717171717123 at 1717171717.123",  # millisecond timestamps
        "v4111111111111111x",  # embedded in a word
        "0000000000000000",
    ],
)
def test_data01_card_like_numbers_are_not_cards(text: str) -> None:
    assert not {d for d, _ in found(text)} & {"card_number"}


def test_data01_luhn_helper() -> None:
    assert detectors.luhn_valid("79927398713")
    assert not detectors.luhn_valid("79927398710")


@pytest.mark.parametrize(
    ("text", "compact"),
    [
        ("DE89370400440532013000", "DE89370400440532013000"),
        ("pay to DE89 3704 0044 0532 0130 00 EUR today", "DE89370400440532013000"),
        ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("FR1420041010050500013M02606", "FR1420041010050500013M02606"),
        ("NO9386011117947", "NO9386011117947"),
    ],
)
def test_data01_iban_with_checksum_is_found(text: str, compact: str) -> None:
    assert ("iban", compact) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "DE89370400440532013001",  # checksum fails
        "DE8937040044053201300",  # one character short for DE
        "XX89370400440532013000",  # no such country
    ],
)
def test_data01_iban_look_alikes_are_rejected(text: str) -> None:
    assert "iban" not in {d for d, _ in found(text)}


def test_data01_cloud_and_vendor_tokens_are_found() -> None:
    assert ("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE") in found(
        "key=AKIAIOSFODNN7EXAMPLE"
    )
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert ("aws_secret_access_key", secret) in found(secret, "aws_secret_access_key")
    assert ("aws_secret_access_key", secret) in found(
        f"export AWS_SECRET_ACCESS_KEY={secret}"
    )
    assert ("github_token", GITHUB_TOKEN) in found(f"token {GITHUB_TOKEN}")
    assert ("slack_token", SLACK_TOKEN) in found(SLACK_TOKEN)
    assert ("stripe_key", STRIPE_KEY) in found(STRIPE_KEY)


def test_data01_forty_char_strings_alone_are_not_aws_secrets() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert "aws_secret_access_key" not in {d for d, _ in found(secret, "comment")}


def test_data01_publishable_stripe_keys_are_not_secrets() -> None:
    assert not found("pk" + "_test_" + "TYooMQauvdEDq54NiTphI7jx")


def test_data01_private_key_blocks_are_found_even_without_end_line() -> None:
    assert ("private_key", PRIVATE_KEY) in found(f"key:\n{PRIVATE_KEY}\n")
    truncated = PRIVATE_KEY.split("-----END")[0]
    assert "private_key" in {d for d, _ in found(truncated)}
    assert not found("-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----")


def test_data01_jwt_needs_a_json_header_with_alg() -> None:
    assert ("jwt", JWT) in found(f"Authorization: {JWT}")
    no_alg = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"  # header {"typ":"JWT"}
    assert "jwt" not in {d for d, _ in found(no_alg)}
    assert "jwt" not in {d for d, _ in found("eyJhbGciOi.broken.parts")}


@pytest.mark.parametrize(
    "field", ["password", "db_password", "userPassword", "client_secret", "apiKey",
              "api_key", "auth_token", "refresh_token", "private_key", "credentials"]
)  # fmt: skip
def test_data01_values_of_secret_named_fields_are_found(field: str) -> None:
    assert ("secret_field", PRINTABLE_PASSWORD) in found(PRINTABLE_PASSWORD, field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("token_type", "bearer"),
        ("password_reset_required", "true"),
        ("password", "[FILTERED]"),
        ("password", "********"),
        ("password", ""),
        ("secret_santa_name", "Bob"),
        ("username", PRINTABLE_PASSWORD),
    ],
)
def test_data01_secret_metadata_and_placeholders_are_ignored(
    field: str, value: str
) -> None:
    assert "secret_field" not in {d for d, _ in found(value, field)}


def test_data01_secret_assignments_in_free_text_are_found() -> None:
    hits = found("charge(amount=5, password='s3cr3t value', api_key=abc123XYZ)")
    assert ("secret_field", "s3cr3t value") in hits
    assert ("secret_field", "abc123XYZ") in hits
    assert ("secret_field", "hunter2") in found('{"passwd"=>"hunter2"}')


def test_data01_specific_detector_wins_over_field_name() -> None:
    hits = found(STRIPE_KEY, "api_key")
    assert hits == {("stripe_key", STRIPE_KEY)}


def test_data01_high_entropy_values_need_a_keylike_field() -> None:
    value = "Zx9Qw3Er5Ty7Ui1Op2As4Df6Gh8Jk0Lm"
    assert ("high_entropy_key", value) in found(value, "signature")
    assert ("high_entropy_key", value) in found(f"Bearer {value}", "authorization")
    assert "high_entropy_key" not in {d for d, _ in found(value, "checksum_label")}
    uuid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert not found(uuid, "idempotency_key")
    assert not found("short-key", "key")


def test_data01_url_credentials_are_found() -> None:
    hits = found("redis://worker:Pa55-w0rd_x@10.0.0.5:6379/0")
    assert hits == {("url_credentials", "Pa55-w0rd_x")}
    assert not found("https://example.invalid/path?q=1")


def test_data01_email_addresses_are_found_and_lowercased() -> None:
    assert ("email", "jane.doe@example.org") in found("to: Jane.Doe@Example.org")
    assert not found("user at example dot org")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("536-22-1234", True),
        ("000-12-3456", False),  # area 000 never issued
        ("666-12-3456", False),
        ("912-12-3456", False),  # 9xx never issued
        ("536-00-1234", False),
        ("536-22-0000", False),
        ("078-05-1120", False),  # the Woolworth wallet specimen
        ("2024-06-01", False),
    ],
)
def test_data01_us_ssn_excludes_invalid_ranges(text: str, expected: bool) -> None:
    assert ("us_ssn" in {d for d, _ in found(text)}) is expected


def test_data01_us_ssn_without_dashes_only_in_ssn_fields() -> None:
    assert ("us_ssn", "536221234") in found("536221234", "ssn")
    assert "us_ssn" not in {d for d, _ in found("536221234", "order_number")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AB123456C", True),
        ("AB 12 34 56 C", True),
        ("GB123456A", False),  # unallocated prefix
        ("DA123456A", False),  # D never used as first letter
        ("AB123456E", False),  # suffix beyond D
    ],
)
def test_data01_uk_nino_format(text: str, expected: bool) -> None:
    assert ("uk_nino" in {d for d, _ in found(text)}) is expected


def test_data01_detectors_can_be_enabled_and_disabled() -> None:
    only_cards = DetectorSet(enabled=["card_number"])
    assert only_cards.ids == ("card_number",)
    text = "4111111111111111 jane@example.org"
    assert {h.detector for h in only_cards.scan(text)} == {"card_number"}
    no_email = DetectorSet(disabled=["email"])
    assert {h.detector for h in no_email.scan(text)} == {"card_number"}
    with pytest.raises(ValueError, match="unknown detector"):
        DetectorSet(enabled=["nope"])


def test_data01_allow_list_by_fingerprint_and_path() -> None:
    allow = AllowList.build(["fp:0123456789abcdef"], [r"^queue:mailers#args\[0\]$"])
    assert allow.allows("fp:0123456789abcdef", "queue:default", "args[3]")
    assert allow.allows("fp:ffffffffffffffff", "queue:mailers", "args[0]")
    assert not allow.allows("fp:ffffffffffffffff", "queue:mailers", "args[0].to")
    with pytest.raises(ValueError, match="invalid"):
        AllowList.build(path_patterns=["("])
