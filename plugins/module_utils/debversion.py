"""Debian version ordering (``[epoch:]upstream[-revision]``) for PATCH-01.

Debian backports security fixes without changing the upstream version, so
only the package version says whether a fix is in. On Debian hosts the
comparison is python-apt's ``apt_pkg.version_compare``, the same code apt
uses. Where python-apt is missing (a controller that is not Debian, or a
virtual environment), a careful re-implementation of dpkg's algorithm
(deb-version(7)) takes over; the unit tests hold both to the same answers.
"""

from __future__ import annotations

import re
from typing import Callable


class VersionError(ValueError):
    """A string that is not a Debian version."""


def split(version: str) -> tuple[int, str, str]:
    """Epoch, upstream version and Debian revision of a version string."""
    text = version.strip()
    epoch = 0
    if ":" in text:
        head, text = text.split(":", 1)
        if not head.isdigit():
            raise VersionError(f"{version!r} has an epoch that is not a number")
        epoch = int(head)
    upstream, revision = text, ""
    if "-" in text:
        upstream, revision = text.rsplit("-", 1)
    if not upstream or not upstream[0].isdigit():
        raise VersionError(f"{version!r} does not start with a digit")
    if not re.fullmatch(r"[A-Za-z0-9.+~:-]+", upstream) or not re.fullmatch(
        r"[A-Za-z0-9.+~]*", revision
    ):
        raise VersionError(f"{version!r} holds a character Debian does not allow")
    return epoch, upstream, revision


def _order(char: str) -> int:
    # dpkg: '~' sorts before everything, even the end of the part; then the
    # end of the part; then letters; then every other character.
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(left: str, right: str) -> int:
    i = j = 0
    while i < len(left) or j < len(right):
        # The non-digit prefix, character by character.
        while (i < len(left) and not left[i].isdigit()) or (
            j < len(right) and not right[j].isdigit()
        ):
            a = _order(left[i]) if i < len(left) and not left[i].isdigit() else 0
            b = _order(right[j]) if j < len(right) and not right[j].isdigit() else 0
            if a != b:
                return -1 if a < b else 1
            if i < len(left) and not left[i].isdigit():
                i += 1
            if j < len(right) and not right[j].isdigit():
                j += 1
        # Then the numeric run, as a number (empty counts as zero).
        start_i, start_j = i, j
        while i < len(left) and left[i].isdigit():
            i += 1
        while j < len(right) and right[j].isdigit():
            j += 1
        a_num = int(left[start_i:i] or "0")
        b_num = int(right[start_j:j] or "0")
        if a_num != b_num:
            return -1 if a_num < b_num else 1
    return 0


def fallback_compare(left: str, right: str) -> int:
    """dpkg's ordering: negative, zero or positive like a cmp function."""
    l_epoch, l_up, l_rev = split(left)
    r_epoch, r_up, r_rev = split(right)
    if l_epoch != r_epoch:
        return -1 if l_epoch < r_epoch else 1
    return _compare_part(l_up, r_up) or _compare_part(l_rev, r_rev)


def _apt_compare() -> Callable[[str, str], int] | None:
    try:
        import apt_pkg
    except ImportError:
        return None
    apt_pkg.init_system()
    return apt_pkg.version_compare


_APT = _apt_compare()


def compare(left: str, right: str) -> int:
    """Order two Debian versions with apt_pkg when present, else dpkg's rules."""
    split(left)
    split(right)
    if _APT is not None:
        result = _APT(left, right)
        return (result > 0) - (result < 0)
    return fallback_compare(left, right)


def backend() -> str:
    """Which implementation compare() uses: apt_pkg or fallback."""
    return "apt_pkg" if _APT is not None else "fallback"
