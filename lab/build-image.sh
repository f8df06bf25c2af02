#!/usr/bin/env bash
# Builds the lab image locally, since no container registry is reachable:
# debootstrap a Debian 12 minbase root, import it as a base image, then add
# systemd and the tools the roles and tests expect. Each layer carries a
# label with the hash of its definition and is rebuilt only when that changes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

suite=bookworm
mirror=http://deb.debian.org/debian
base=localhost/redis-hardening/base:$suite
image=${LAB_IMAGE:-localhost/redis-hardening/lab:$suite}
label=org.redis-hardening.definition

current_hash() {
  podman image inspect --format "{{ index .Labels \"$label\" }}" "$1" \
    2>/dev/null || true
}

base_hash=$(printf '%s\n' "$suite" "$mirror" minbase v1 | sha256sum | cut -c1-16)
if [ "$(current_hash "$base")" != "$base_hash" ]; then
  echo "Building base image $base (debootstrap $suite)"
  root=$(mktemp -d /var/tmp/redis-hardening-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >/dev/null
  tar -C "$root" -c . | podman import \
    --change "LABEL $label=$base_hash" - "$base" >/dev/null
  rm -rf "$root"
  trap - EXIT
else
  echo "Base image $base is up to date"
fi

lab_hash=$( (cat "$here"/image/*; echo "$base_hash") | sha256sum | cut -c1-16)
if [ "$(current_hash "$image")" != "$lab_hash" ]; then
  echo "Building lab image $image"
  podman build --quiet --build-arg "BASE=$base" --label "$label=$lab_hash" \
    --tag "$image" "$here/image" >/dev/null
  podman image prune --force >/dev/null
else
  echo "Lab image $image is up to date"
fi
