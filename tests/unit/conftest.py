"""Import path for the unit tests: the collection through .collections.

`make setup` links the repository into .collections as
ansible_collections/jobqueue/redis_hardening; tests import the same paths
the Ansible modules use.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO_ROOT / ".collections"
LINK = COLLECTIONS / "ansible_collections" / "jobqueue" / "redis_hardening"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(REPO_ROOT, target_is_directory=True)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
