# Copyright: redis-hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: expand users declared by profile for the redis_acl module."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: redis_acl_users
short_description: Expand ACL users declared by profile into redis_acl users
version_added: 0.1.0
author: redis-hardening contributors
description:
  - Combines each user's profile rules, its extra rules and the CMD-01
    denials (last, for every profile that is not an admin profile), and picks
    the passwords valid at the given stage of a rotation.
options:
  _input:
    description: Users, each with name, profile and optional extra_rules, keys, channels, enabled, state.
    type: list
    elements: dict
    required: true
  profiles:
    description: Profile name to profile data (rules, optional_rules, keys, channels, admin, cmd01_exceptions).
    type: dict
    required: true
  denied:
    description: CMD-01 commands to deny.
    type: list
    elements: str
    required: true
  secrets:
    description: User name to a dict with the current and next passwords.
    type: dict
    required: true
  stage:
    description: Rotation stage, none, stage or finish.
    type: str
    default: none
  rotate:
    description: Names of the users being rotated, or all.
    type: list
    elements: str
    default: [all]
"""

EXAMPLES = r"""
- name: Apply users declared by profile
  jobqueue.redis_hardening.redis_acl:
    users: >-
      {{ redis_acl_users | jobqueue.redis_hardening.redis_acl_users(
           profiles, redis_acl_denied_commands, secrets) }}
"""

RETURN = r"""
_value:
  description: Users in the form the redis_acl module takes.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.acl_profiles import (
    ProfileError,
    expand_users,
)


def redis_acl_users(users, profiles, denied, secrets, stage="none", rotate=None):
    try:
        return expand_users(users, profiles, denied, secrets, stage, rotate or ["all"])
    except ProfileError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"redis_acl_users": redis_acl_users}
