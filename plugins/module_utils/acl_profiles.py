"""Turn users declared by profile into the user list the redis_acl module takes.

Profiles are plain data (roles/redis_acl/vars/main.yml and the inventory's
redis_acl_profiles). This file only combines them: profile rules, then the
user's extra rules, then the CMD-01 denials last so that nothing declared
earlier can let a denied command through. Pure Python, no Ansible import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ROTATION_STAGES = ("none", "stage", "finish")


class ProfileError(ValueError):
    """A user or profile cannot be expanded; the message names it."""


def denial_rules(denied: Iterable[str], exceptions: Iterable[str]) -> list[str]:
    """-command for each CMD-01 command, minus a profile's documented exceptions.

    An exception names a command (replicaof) or a subcommand (config|rewrite);
    a subcommand exception is allowed again after its command's denial.
    """
    exceptions = [e.lower() for e in exceptions]
    rules = [f"-{c.lower()}" for c in denied if c.lower() not in exceptions]
    denied_set = {c.lower() for c in denied}
    rules += [f"+{e}" for e in exceptions if "|" in e and e.split("|")[0] in denied_set]
    return rules


def passwords_for(
    name: str,
    secrets: Mapping[str, Mapping[str, str]],
    stage: str,
    rotating: bool,
    inline: str | None = None,
) -> list[str]:
    """Passwords valid for `name` at this stage of a rotation."""
    entry = secrets.get(name) or {}
    current, upcoming = entry.get("current"), entry.get("next")
    current = current or inline
    if stage not in ROTATION_STAGES:
        raise ProfileError(
            f"The rotation stage {stage!r} is not one of none, stage, finish."
        )
    if not rotating or stage == "none":
        wanted = [current]
    elif stage == "stage":
        wanted = [current, upcoming]
    else:
        wanted = [upcoming]
    if any(not p for p in wanted):
        raise ProfileError(
            f"User {name} has no {'next ' if stage != 'none' and rotating else ''}"
            "password: set it, or set redis_acl_secrets_dir to generate one."
        )
    return list(dict.fromkeys(wanted))


def _either(user: Mapping[str, Any], profile: Mapping[str, Any], key: str) -> list:
    """The user's own list when it gives one, else the profile's."""
    value = user.get(key)
    return list(profile.get(key) or [] if value is None else value)


def expand_users(
    users: Iterable[Mapping[str, Any]],
    profiles: Mapping[str, Mapping[str, Any]],
    denied: Iterable[str],
    secrets: Mapping[str, Mapping[str, str]],
    stage: str = "none",
    rotate: Iterable[str] = ("all",),
) -> list[dict[str, Any]]:
    """The redis_acl module's `users` option for users declared by profile."""
    denied = list(denied)
    rotate = set(rotate)
    result = []
    for user in users:
        name = user["name"]
        if user.get("state", "present") == "absent":
            result.append({"name": name, "state": "absent"})
            continue
        profile_name = user.get("profile")
        if profile_name is None:
            # Declared with its own rules, as redis_server_acl_users are:
            # every key unless told otherwise, CMD-01 still denied.
            profile: Mapping[str, Any] = {"keys": ["~*"]}
        elif profile_name not in profiles:
            known = ", ".join(sorted(profiles))
            raise ProfileError(
                f"User {name} names the profile {profile_name!r}; known profiles "
                f"are {known}."
            )
        else:
            profile = profiles[profile_name]
        rules = [
            *profile.get("rules", []),
            *user.get("rules", []),
            *user.get("extra_rules", []),
        ]
        optional = list(profile.get("optional_rules", []))
        if not profile.get("admin", False):
            # Last, and optional only so that a command this server lacks
            # (nothing to deny) does not fail the run.
            optional += denial_rules(denied, profile.get("cmd01_exceptions", []))
        rotating = "all" in rotate or name in rotate
        result.append(
            {
                "name": name,
                "state": "present",
                "enabled": user.get("enabled", True),
                "passwords": passwords_for(
                    name, secrets, stage, rotating, user.get("password")
                ),
                "keys": _either(user, profile, "keys"),
                "channels": _either(user, profile, "channels"),
                "rules": rules,
                "optional_rules": optional,
            }
        )
    return result
