"""Declare Redis ACL users and bring a live server and its aclfile to them.

Pure logic first (rule parsing, hashing, comparison, diff text), then the few
functions that talk to Redis. Nothing here imports Ansible, so the module and
the unit tests run the same code.

Comparison is by meaning, not by text: Redis rewrites the rules it is given
(it drops a rule made redundant by a later one and reorders others), so the
rules a user declares and the rules ACL GETUSER returns are both evaluated
against the server's own command and category lists, and the resulting sets
of allowed commands are compared.

Atomicity guarantee of `apply` (see docs/acl.md):
- every rule is checked against the server's lists before anything is sent;
- all changes go in one MULTI/EXEC, so no client sees a half-changed set of
  users; each ACL SETUSER is itself all-or-nothing;
- if any command of the transaction fails, or ACL SAVE fails afterwards, the
  touched users are put back as ACL LIST showed them before (hashes only, in
  one more MULTI/EXEC); ACL SAVE replaces the aclfile by rename, so a failed
  save leaves the previous file whole. Live server and file then both hold
  the previous users.
- Not covered: a server that dies between EXEC and ACL SAVE (it restarts from
  the old, consistent file); clients of a user that the change deleted are
  disconnected by Redis and stay so after a rollback; users changed by
  someone else between our read and our write.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

try:
    import redis
except ImportError:  # reported by the caller with install advice
    redis = None

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
# +name, -name, +@category, -@category, +name|sub, -name|sub
COMMAND_RULE = re.compile(r"^([+-])(@?)([a-z0-9][a-z0-9_.-]*)(?:\|([a-z0-9_.-]+))?$")
KEY_PATTERN = re.compile(r"^(~|%R~|%W~|%RW~)\S+$")
CHANNEL_PATTERN = re.compile(r"^&\S+$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

# Callbacks some redis-py versions attach to these commands reshape the
# replies differently from one version to the next; raw replies are stable.
RAW_REPLY_COMMANDS = ("ACL", "COMMAND", "CONFIG")


class AclError(Exception):
    """Declared users cannot be applied; the message says which and why."""


class ApplyError(AclError):
    """Redis refused a change; `restored` tells whether the old users are back."""

    def __init__(self, message: str, restored: bool) -> None:
        super().__init__(message)
        self.restored = restored


def hash_password(password: str) -> str:
    """SHA-256 of the UTF-8 password, in hex, as ACL SETUSER #<hash> expects."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Catalog:
    """What the running server knows: its commands and its categories.

    `commands` holds every name from COMMAND LIST, subcommands included as
    `container|sub`; `categories` maps each category from ACL CAT to the
    command and subcommand names in it.
    """

    commands: frozenset[str]
    categories: dict[str, frozenset[str]]
    version: str = ""

    def subcommands(self, name: str) -> frozenset[str]:
        prefix = f"{name}|"
        return frozenset(c for c in self.commands if c.startswith(prefix))


@dataclass(frozen=True)
class Rule:
    """One command rule, parsed."""

    text: str
    allow: bool
    kind: str  # "all", "category" or "command"
    name: str = ""


def parse_rule(text: str) -> Rule:
    """Parse a command rule; raise ValueError for anything else.

    First-argument rules such as +select|0 are refused: Redis 7 deprecates
    them, and their meaning cannot be compared reliably.
    """
    lowered = text.lower()
    if lowered in ("allcommands", "+@all"):
        return Rule(text, True, "all")
    if lowered in ("nocommands", "-@all"):
        return Rule(text, False, "all")
    match = COMMAND_RULE.match(lowered)
    if not match:
        raise ValueError("is not +command, -command, +@category or -@category")
    sign, at, name, sub = match.groups()
    if at and sub:
        raise ValueError("names a subcommand of a category")
    kind = "category" if at else "command"
    full = f"{name}|{sub}" if sub else name
    return Rule(lowered, sign == "+", kind, full)


def check_rule(rule: Rule, catalog: Catalog) -> str | None:
    """Why the server would not accept `rule`, or None when it would."""
    if rule.kind == "all":
        return None
    if rule.kind == "category":
        if rule.name not in catalog.categories:
            return f"names the category @{rule.name}, unknown to this server"
        return None
    if rule.name not in catalog.commands:
        if "|" in rule.name and rule.name.split("|")[0] in catalog.commands:
            return (
                f"names the subcommand {rule.name}, unknown to this server "
                "(first-argument rules are not supported)"
            )
        return f"names the command {rule.name}, unknown to this server"
    return None


def allowed_commands(rules: Iterable[str], catalog: Catalog) -> frozenset[str]:
    """The command and subcommand names a sequence of rules lets through.

    Follows Redis: +@all and -@all set or clear everything, a category
    touches each command and subcommand in it, a command touches itself and
    all its subcommands, a subcommand only itself. Rules the catalog does not
    know are ignored here; `validate_rules` reports them.
    """
    allowed: set[str] = set()
    for text in rules:
        rule = parse_rule(text)
        if rule.kind == "all":
            names: Iterable[str] = catalog.commands
            if not rule.allow:
                allowed.clear()
                continue
        elif rule.kind == "category":
            names = catalog.categories.get(rule.name, frozenset())
        else:
            names = {rule.name} | catalog.subcommands(rule.name)
            names &= catalog.commands
        if rule.allow:
            allowed.update(names)
        else:
            allowed.difference_update(names)
    return frozenset(allowed)


def validate_rules(
    user: str, rules: list[str], optional: list[str], catalog: Catalog
) -> tuple[list[str], list[str]]:
    """Rules to send, and optional rules left out because the server lacks them.

    A malformed or unknown required rule raises AclError naming the user and
    the rule. An optional rule that is malformed fails too (that is a typo);
    one naming a command or category this server does not have is skipped,
    so a profile written for a newer Redis still loads on an older one.
    """
    kept: list[str] = []
    skipped: list[str] = []
    for text, is_optional in [(r, False) for r in rules] + [
        (r, True) for r in optional
    ]:
        try:
            rule = parse_rule(text)
        except ValueError as exc:
            raise AclError(f"User {user}: the rule {text!r} {exc}.") from None
        problem = check_rule(rule, catalog)
        if problem is None:
            kept.append(rule.text)
        elif is_optional:
            skipped.append(rule.text)
        else:
            raise AclError(f"User {user}: the rule {text!r} {problem}.")
    return kept, skipped


def normalize_keys(patterns: Iterable[str]) -> frozenset[str]:
    """Key patterns as Redis means them: %RW~ is ~, allkeys is ~*."""
    result = set()
    for pattern in patterns:
        if pattern == "allkeys":
            pattern = "~*"
        elif pattern.startswith("%RW~"):
            pattern = pattern[3:]
        result.add(pattern)
    return frozenset(result)


def normalize_channels(patterns: Iterable[str]) -> frozenset[str]:
    return frozenset("&*" if p == "allchannels" else p for p in patterns)


@dataclass
class Desired:
    """One user as declared, with passwords already hashed."""

    name: str
    state: str = "present"
    enabled: bool = True
    hashes: list[str] = field(default_factory=list)
    nopass: bool = False
    rules: list[str] = field(default_factory=list)
    skipped_rules: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)

    def setuser_args(self) -> list[str]:
        """Arguments after the name for ACL SETUSER: the whole user, from reset.

        resetkeys and resetchannels are explicit because `reset` leaves
        channels open when acl-pubsub-default is allchannels.
        """
        args = ["reset", "on" if self.enabled else "off"]
        if self.nopass:
            args.append("nopass")
        args += [f"#{h}" for h in self.hashes]
        args += ["resetkeys", *self.keys, "resetchannels", *self.channels]
        return args + self.rules


@dataclass
class Current:
    """One user as ACL GETUSER shows it."""

    enabled: bool
    nopass: bool
    hashes: list[str]
    commands: str
    keys: frozenset[str]
    channels: frozenset[str]
    selectors: int


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value).split()


def parse_getuser(reply: Any) -> Current | None:
    """Read a raw ACL GETUSER reply (a flat list, or a dict under RESP3)."""
    if not reply:
        return None
    if isinstance(reply, dict):
        fields = {str(k): v for k, v in reply.items()}
    else:
        items = list(reply)
        fields = {str(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}
    flags = _split(fields.get("flags"))
    keys = _split(fields.get("keys"))
    channels = _split(fields.get("channels"))
    # Redis 6.2 reports ~* and &* as flags instead of patterns.
    if "allkeys" in flags:
        keys.append("~*")
    if "allchannels" in flags:
        channels.append("&*")
    return Current(
        enabled="on" in flags,
        nopass="nopass" in flags,
        hashes=_split(fields.get("passwords")),
        commands=str(fields.get("commands") or ""),
        keys=normalize_keys(keys),
        channels=normalize_channels(channels),
        selectors=len(fields.get("selectors") or []),
    )


def _current_allowed(current: Current, catalog: Catalog) -> frozenset[str] | None:
    try:
        return allowed_commands(current.commands.split(), catalog)
    except ValueError:
        # A rule we do not model (a first-argument rule, say): not equal.
        return None


def changes(current: Current | None, desired: Desired, catalog: Catalog) -> list[str]:
    """Names of the fields that differ; empty when the user is as declared."""
    if desired.state == "absent":
        return [] if current is None else ["deleted"]
    if current is None:
        return ["created"]
    found = []
    if current.enabled != desired.enabled:
        found.append("enabled")
    if current.nopass != desired.nopass or set(current.hashes) != set(desired.hashes):
        found.append("passwords")
    if current.keys != normalize_keys(desired.keys):
        found.append("keys")
    if current.channels != normalize_channels(desired.channels):
        found.append("channels")
    if _current_allowed(current, catalog) != allowed_commands(desired.rules, catalog):
        found.append("commands")
    if current.selectors:
        found.append("selectors")
    return found


def _password_text(hashes: list[str], nopass: bool) -> str:
    return "nopass" if nopass else str(len(hashes))


def describe(current: Current | None, desired: Desired, catalog: Catalog) -> dict:
    """Before and after text of one user for diff mode, without any secret.

    Passwords appear as a count of hashes; when the count stays the same but
    a hash changes, the after side says "replaced". Commands show the
    server's own rendering before, and the declared rules after (or the
    server's rendering again when they mean the same).
    """
    name = desired.name

    def block(lines: list[str]) -> str:
        return "".join(f"{line}\n" for line in [f"user {name}", *lines])

    if current is None:
        before = ""
    else:
        before = block(
            [
                f"  enabled: {str(current.enabled).lower()}",
                "  password hashes: " + _password_text(current.hashes, current.nopass),
                f"  keys: {' '.join(sorted(current.keys)) or '(none)'}",
                f"  channels: {' '.join(sorted(current.channels)) or '(none)'}",
                f"  commands: {current.commands}",
            ]
            + ([f"  selectors: {current.selectors}"] if current.selectors else [])
        )
    if desired.state == "absent":
        return {"before": before, "after": ""}
    passwords = _password_text(desired.hashes, desired.nopass)
    if (
        current is not None
        and not desired.nopass
        and len(current.hashes) == len(desired.hashes)
        and set(current.hashes) != set(desired.hashes)
    ):
        passwords += " (replaced)"
    commands = " ".join(desired.rules) or "-@all"
    if current is not None and "commands" not in changes(current, desired, catalog):
        commands = current.commands
    after = block(
        [
            f"  enabled: {str(desired.enabled).lower()}",
            f"  password hashes: {passwords}",
            f"  keys: {' '.join(sorted(normalize_keys(desired.keys))) or '(none)'}",
            "  channels: "
            + (" ".join(sorted(normalize_channels(desired.channels))) or "(none)"),
            f"  commands: {commands}",
        ]
    )
    return {"before": before, "after": after}


def build_desired(
    spec: dict[str, Any], catalog: Catalog, min_length: int = 0
) -> Desired:
    """Check one declared user and hash its passwords; AclError on bad input."""
    name = spec["name"]
    if not USER_NAME.match(name or ""):
        raise AclError(f"The user name {name!r} must be letters, digits and _.@- only.")
    state = spec.get("state") or "present"
    if state == "absent":
        return Desired(name=name, state="absent")
    passwords = list(spec.get("passwords") or [])
    for password in passwords:
        if len(password) < max(min_length, 1):
            raise AclError(
                f"User {name}: a password is shorter than {max(min_length, 1)} "
                "characters."
            )
    hashes = [hash_password(p) for p in passwords]
    for value in spec.get("password_hashes") or []:
        if not SHA256_HEX.match(value.lower()):
            raise AclError(
                f"User {name}: a password hash is not 64 hexadecimal digits."
            )
        hashes.append(value.lower())
    hashes = list(dict.fromkeys(hashes))
    enabled = spec.get("enabled", True)
    nopass = bool(spec.get("nopass"))
    if enabled and not hashes and not nopass:
        raise AclError(
            f"User {name} is enabled without a password; give it one, or disable it."
        )
    keys = list(spec.get("keys") or [])
    for pattern in keys:
        if pattern != "allkeys" and not KEY_PATTERN.match(pattern):
            raise AclError(
                f"User {name}: the key pattern {pattern!r} must start with ~ "
                "or %R~, %W~, %RW~."
            )
    if "~*" in normalize_keys(keys) and len(keys) > 1:
        raise AclError(
            f"User {name}: ~* already allows every key; drop the other key patterns."
        )
    channels = list(spec.get("channels") or [])
    for pattern in channels:
        if pattern != "allchannels" and not CHANNEL_PATTERN.match(pattern):
            raise AclError(
                f"User {name}: the channel pattern {pattern!r} must start with &."
            )
    if "&*" in normalize_channels(channels) and len(channels) > 1:
        raise AclError(
            f"User {name}: &* already allows every channel; drop the other "
            "channel patterns."
        )
    rules, skipped = validate_rules(
        name,
        list(spec.get("rules") or []),
        list(spec.get("optional_rules") or []),
        catalog,
    )
    return Desired(
        name=name,
        enabled=enabled,
        hashes=hashes,
        nopass=nopass,
        rules=rules,
        skipped_rules=skipped,
        keys=keys,
        channels=channels,
    )


def split_acl_line(line: str) -> tuple[str, list[str]]:
    """Name and rule tokens of one ACL LIST line; a (selector) stays whole."""
    tokens: list[str] = []
    depth = 0
    for word in line.split():
        if depth:
            tokens[-1] += f" {word}"
        else:
            tokens.append(word)
        depth += word.count("(") - word.count(")")
    if len(tokens) < 2 or tokens[0] != "user":
        raise ValueError("not an ACL LIST line")
    return tokens[1], tokens[2:]


# --- Talking to Redis --------------------------------------------------------


def connect(params: dict[str, Any]) -> Any:
    """A client on the unix socket when it exists, else on host and port."""
    if redis is None:
        raise AclError(
            "The Python redis library is missing on the host (Debian: "
            "apt-get install python3-redis)."
        )
    kwargs: dict[str, Any] = {
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
        "decode_responses": True,
        "username": params.get("login_user") or None,
        "password": params.get("login_password") or None,
    }
    socket_path = params.get("login_unix_socket")
    if socket_path and os.path.exists(socket_path):
        client = redis.Redis(unix_socket_path=socket_path, **kwargs)
    else:
        client = redis.Redis(
            host=params.get("login_host") or "127.0.0.1",
            port=params.get("login_port") or 6379,
            **kwargs,
        )
    for name in list(client.response_callbacks):
        if str(name).upper().split(" ")[0] in RAW_REPLY_COMMANDS:
            del client.response_callbacks[name]
    return client


def read_catalog(client: Any) -> Catalog:
    commands = frozenset(
        str(c).lower() for c in client.execute_command("COMMAND", "LIST")
    )
    categories = {}
    for category in client.execute_command("ACL", "CAT"):
        members = client.execute_command("ACL", "CAT", category)
        categories[str(category).lower()] = frozenset(str(m).lower() for m in members)
    version = str(client.info("server").get("redis_version", ""))
    return Catalog(commands=commands, categories=categories, version=version)


def read_user(client: Any, name: str) -> Current | None:
    return parse_getuser(client.execute_command("ACL", "GETUSER", name))


def read_acl_lines(client: Any) -> dict[str, list[str]]:
    """Every user as ACL LIST shows it: name -> tokens to restore it with."""
    users = {}
    for line in client.execute_command("ACL", "LIST"):
        name, tokens = split_acl_line(str(line))
        users[name] = tokens
    return users


def aclfile_configured(client: Any) -> bool | None:
    """Whether the server has an aclfile to save to; None if we may not ask."""
    try:
        reply = client.execute_command("CONFIG", "GET", "aclfile")
    except redis.exceptions.ResponseError:
        return None
    values = list(reply.values()) if isinstance(reply, dict) else list(reply)[1:]
    return bool(values and values[0])


def _run_transaction(client: Any, calls: list[tuple[str, ...]]) -> list[str]:
    """Run calls in one MULTI/EXEC; return the error text of each failure."""
    pipe = client.pipeline(transaction=True)
    for call in calls:
        pipe.execute_command(*call)
    try:
        replies = pipe.execute(raise_on_error=False)
    except redis.exceptions.RedisError as exc:
        return [str(exc)]
    return [
        f"{call[2]}: {reply}"
        for call, reply in zip(calls, replies)
        if isinstance(reply, Exception)
    ]


def restore(client: Any, previous: dict[str, list[str] | None]) -> list[str]:
    """Put users back as ACL LIST showed them; errors, if any, as text."""
    calls: list[tuple[str, ...]] = []
    for name, tokens in previous.items():
        if tokens is None:
            calls.append(("ACL", "DELUSER", name))
        else:
            calls.append(("ACL", "SETUSER", name, "reset", *tokens))
    return _run_transaction(client, calls) if calls else []


def apply(client: Any, plan: list[Desired]) -> None:
    """Make the server and its aclfile hold `plan`, or neither (see top)."""
    if not plan:
        return
    before = read_acl_lines(client)
    previous = {d.name: before.get(d.name) for d in plan}
    calls: list[tuple[str, ...]] = []
    for desired in plan:
        if desired.state == "absent":
            calls.append(("ACL", "DELUSER", desired.name))
        else:
            calls.append(("ACL", "SETUSER", desired.name, *desired.setuser_args()))
    failures = _run_transaction(client, calls)
    if not failures:
        try:
            client.execute_command("ACL", "SAVE")
            return
        except redis.exceptions.RedisError as exc:
            failures = [f"ACL SAVE: {exc}"]
    problems = restore(client, previous)
    detail = "; ".join(failures)
    if problems:
        raise ApplyError(
            f"Redis refused the change ({detail}) and putting the previous "
            f"users back failed too ({'; '.join(problems)}); the live users "
            "may differ from the aclfile until Redis restarts.",
            restored=False,
        )
    raise ApplyError(
        f"Redis refused the change ({detail}); the previous users were put "
        "back and the aclfile was not changed.",
        restored=True,
    )
