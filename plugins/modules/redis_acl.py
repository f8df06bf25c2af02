#!/usr/bin/python
# Copyright: redis-hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declare Redis ACL users; the live server and its aclfile follow together."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: redis_acl
short_description: Declare Redis ACL users and apply them to the live server and its aclfile together
description:
  - Makes the listed ACL users of a running Redis match their declaration
    (enabled or not, passwords, command rules, key and channel patterns) and
    saves the result to the server's aclfile with ACL SAVE. Users that are not
    listed are left alone.
  - Passwords are hashed with SHA-256 on the managed host and sent as
    C(#<hash>); a password never reaches Redis, its aclfile or a log in clear.
  - Every rule is checked against the commands and categories the running
    server reports (COMMAND LIST, ACL CAT) before anything changes; an unknown
    rule fails the task with the user and the rule named. Rules in
    O(users[].optional_rules) that the server does not know are left out and
    reported instead, so one profile serves several Redis versions, and only
    rules this server accepted can reach its aclfile.
  - Changes are compared by meaning (the set of commands the rules allow),
    since Redis rewrites the rules it is given; a second run changes nothing.
  - "All or nothing: every change is sent in one MULTI/EXEC, then saved with
    ACL SAVE, which replaces the aclfile by rename. If any command or the
    save fails, the users touched are put back as ACL LIST showed them before
    (from their hashes, in one more MULTI/EXEC) and the task fails; the live
    server and the file then both hold the previous users. See docs/acl.md
    for what this does not cover."
version_added: 0.1.0
author: redis-hardening contributors
requirements:
  - redis (the Python library, 4.3 or newer; Debian package python3-redis)
  - Redis 7.0 or newer, started with an aclfile
attributes:
  check_mode:
    support: full
    details: Reads the users and the server's lists, reports what would change.
  diff_mode:
    support: full
    details: Shows flags, patterns and rules; passwords only as a count of hashes.
options:
  users:
    description: Users to declare. Users not listed are not touched.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: User name (letters, digits and C(_.@-)).
        type: str
        required: true
      state:
        description: V(absent) deletes the user.
        type: str
        choices: [present, absent]
        default: present
      enabled:
        description: Whether the user may log in.
        type: bool
        default: true
      passwords:
        description:
          - Passwords in clear, any printable characters. Several are valid at
            once, which is how a staged rotation keeps old and new working.
        type: list
        elements: str
        default: []
      password_hashes:
        description: Passwords already hashed (64 hex digits of SHA-256).
        type: list
        elements: str
        default: []
      nopass:
        description: Let the user in with any password; only for a waived AUTH-01.
        type: bool
        default: false
      rules:
        description:
          - Command rules in order, such as C(-@all), C(+@read), C(+lpush),
            C(-config), C(+client|setname). Every one must be known to the
            server.
        type: list
        elements: str
        default: []
      optional_rules:
        description:
          - Rules applied after O(users[].rules) when the server knows the
            command or category they name, left out otherwise.
        type: list
        elements: str
        default: []
      keys:
        description: Key patterns, each C(~pattern) or C(%R~), C(%W~), C(%RW~).
        type: list
        elements: str
        default: []
      channels:
        description: Pub/Sub channel patterns, each C(&pattern).
        type: list
        elements: str
        default: []
  password_min_length:
    description: Shortest password accepted.
    type: int
    default: 16
  login_unix_socket:
    description: Unix socket to reach Redis; used when it exists.
    type: path
    default: /run/redis/redis-server.sock
  login_host:
    description: Address to reach Redis when the socket does not exist.
    type: str
    default: 127.0.0.1
  login_port:
    description: Port to reach Redis when the socket does not exist.
    type: int
    default: 6379
  login_user:
    description: ACL user allowed to run ACL commands (the admin).
    type: str
    default: default
  login_password:
    description: Password of O(login_user).
    type: str
notes:
  - Selectors are not managed; a user that has some loses them when changed.
  - Commands renamed with rename-command are checked under their new names.
"""

EXAMPLES = r"""
- name: Declare the Sidekiq user
  jobqueue.redis_hardening.redis_acl:
    login_user: admin
    login_password: "{{ redis_server_admin_password }}"
    users:
      - name: sidekiq
        passwords: ["{{ sidekiq_redis_password }}"]
        keys: ["~*"]
        rules: ["-@all", "+@read", "+@write", "-keys", "-flushall"]
        optional_rules: ["-failover"]

- name: Stage a rotation, old and new password both valid
  jobqueue.redis_hardening.redis_acl:
    login_user: admin
    login_password: "{{ redis_server_admin_password }}"
    users:
      - name: sidekiq
        passwords:
          - "{{ sidekiq_redis_password }}"
          - "{{ sidekiq_redis_next_password }}"
        keys: ["~*"]
        rules: ["-@all", "+@read", "+@write", "-keys", "-flushall"]

- name: Remove a user
  jobqueue.redis_hardening.redis_acl:
    login_user: admin
    login_password: "{{ redis_server_admin_password }}"
    users:
      - name: legacy
        state: absent
"""

RETURN = r"""
users:
  description: One entry per declared user.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: User name.
      type: str
    action:
      description: created, updated, deleted or unchanged.
      type: str
    changes:
      description: Fields that differed, such as passwords, commands, keys.
      type: list
      elements: str
    skipped_rules:
      description: Optional rules left out because the server does not know them.
      type: list
      elements: str
  sample:
    - name: sidekiq
      action: updated
      changes: [passwords]
      skipped_rules: []
redis_version:
  description: Version the server reports.
  returned: always
  type: str
  sample: 7.0.15
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.acl import (
    AclError,
    aclfile_configured,
    apply,
    build_desired,
    changes,
    connect,
    describe,
    read_catalog,
    read_user,
)

try:
    from redis.exceptions import RedisError
except ImportError:  # connect() reports the missing library
    RedisError = OSError

ACTIONS = {"created": "created", "deleted": "deleted"}


def argument_spec() -> dict:
    user = {
        "name": {"type": "str", "required": True},
        "state": {
            "type": "str",
            "default": "present",
            "choices": ["present", "absent"],
        },
        "enabled": {"type": "bool", "default": True},
        "passwords": {
            "type": "list",
            "elements": "str",
            "default": [],
            "no_log": True,
        },
        "password_hashes": {
            "type": "list",
            "elements": "str",
            "default": [],
            "no_log": True,
        },
        "nopass": {"type": "bool", "default": False},
        "rules": {"type": "list", "elements": "str", "default": []},
        "optional_rules": {"type": "list", "elements": "str", "default": []},
        "keys": {"type": "list", "elements": "str", "default": [], "no_log": False},
        "channels": {"type": "list", "elements": "str", "default": []},
    }
    return {
        "users": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "options": user,
        },
        "password_min_length": {"type": "int", "default": 16, "no_log": False},
        "login_unix_socket": {
            "type": "path",
            "default": "/run/redis/redis-server.sock",
        },
        "login_host": {"type": "str", "default": "127.0.0.1"},
        "login_port": {"type": "int", "default": 6379},
        "login_user": {"type": "str", "default": "default"},
        "login_password": {"type": "str", "no_log": True},
    }


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    names = [u["name"] for u in params["users"]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        module.fail_json(msg=f"Users declared twice: {', '.join(duplicates)}.")
    login_user = params["login_user"] or "default"
    for spec in params["users"]:
        if spec["name"] == login_user and spec["state"] == "absent":
            module.fail_json(
                msg=f"User {login_user} cannot be deleted while it is the login user."
            )

    try:
        client = connect(params)
        catalog = read_catalog(client)
        # Every user is checked before anything is sent.
        desired = [
            build_desired(spec, catalog, params["password_min_length"])
            for spec in params["users"]
        ]
        current = {d.name: read_user(client, d.name) for d in desired}
    except AclError as exc:
        module.fail_json(msg=str(exc))
    except RedisError as exc:
        module.fail_json(
            msg=f"Could not read the ACL users of Redis as {login_user}: {exc}."
        )

    report, plan, diffs = [], [], []
    for one in desired:
        found = changes(current[one.name], one, catalog)
        action = "unchanged"
        if found:
            action = ACTIONS.get(found[0], "updated")
            plan.append(one)
            diffs.append(describe(current[one.name], one, catalog))
        report.append(
            {
                "name": one.name,
                "action": action,
                "changes": found,
                "skipped_rules": one.skipped_rules,
            }
        )

    result = {
        "changed": bool(plan),
        "users": report,
        "redis_version": catalog.version,
    }
    if module._diff and diffs:
        result["diff"] = {
            "before": "".join(d["before"] for d in diffs),
            "after": "".join(d["after"] for d in diffs),
        }
    if module.check_mode or not plan:
        module.exit_json(**result)

    # A failed change is rolled back (see module_utils/acl.py): not changed.
    result["changed"] = False
    try:
        if aclfile_configured(client) is False:
            module.fail_json(
                msg="Redis runs without an aclfile, so ACL changes would be lost "
                "at restart; nothing was changed.",
                **result,
            )
        apply(client, plan)
        result["changed"] = True
    except AclError as exc:
        module.fail_json(msg=str(exc), **result)
    except RedisError as exc:
        module.fail_json(
            msg=f"Lost Redis while changing ACL users ({exc}); check ACL LIST "
            "against the aclfile.",
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
