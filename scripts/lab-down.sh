#!/usr/bin/env bash
# Removes every container and network the lab and the Molecule scenarios made,
# found by their labels and names, so nothing else on the host is touched.
set -euo pipefail
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$(dirname "$0")/.." && pwd)/lab/containers.conf}
command -v podman >/dev/null || exit 0

# The lab's containers carry our label; Molecule's carry owner=molecule and
# are ours when named rh-*.
containers=$( (podman ps -a --format '{{.Names}}' --filter label=org.redis-hardening.lab=true
  podman ps -a --format '{{.Names}}' --filter label=owner=molecule | grep '^rh-' || true) | sort -u)
if [ -n "$containers" ]; then
  echo "Removing lab containers: $(echo $containers)"
  podman rm --force --time 5 $containers >/dev/null
fi
for network in $(podman network ls --format '{{.Name}}' | grep -E '^rh-(lab|mol|fw|acl|tls|audit|scan|atk|jk)$' || true); do
  if podman network exists "$network"; then
    echo "Removing lab network $network"
    podman network rm --force "$network" >/dev/null
  fi
done
