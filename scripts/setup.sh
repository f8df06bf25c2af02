#!/usr/bin/env bash
# Installs everything the lab and the tests need on a Debian 12 machine, as
# root, and does nothing that is already done: Debian packages, a pinned
# Python virtual environment, the collection link, and the lab image.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=$root/.venv
stamp_dir=$root/.cache
mkdir -p "$stamp_dir"

packages=(podman runc debootstrap python3-venv nftables iproute2 redis-tools redis-server tcpdump)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$' \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
want=$(cat requirements.txt $(ls pyproject.toml 2>/dev/null) | sha256sum | cut -c1-16)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp_dir/venv" 2>/dev/null)" != "$want" ]; then
  echo "Creating the Python environment in .venv"
  "$python" -m venv "$venv"
  pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
  # This machine's pip configuration names local mirrors that may be absent;
  # pip warns about each one, which says nothing about this project.
  "${pip[@]}" --upgrade pip 2> >(grep -v 'is ignored: it is neither' >&2)
  "${pip[@]}" -r requirements.txt 2> >(grep -v 'is ignored: it is neither' >&2)
  if [ -f pyproject.toml ]; then
    "${pip[@]}" --no-deps -e . 2> >(grep -v 'is ignored: it is neither' >&2)
  fi
  echo "$want" > "$stamp_dir/venv"
fi

# Playbooks call the roles and modules by their full names; the link makes
# this checkout the installed copy of the collection.
link=$root/.collections/ansible_collections/jobqueue/redis_hardening
mkdir -p "$(dirname "$link")"
[ "$(readlink "$link" 2>/dev/null)" = "$root" ] || ln -sfn "$root" "$link"

# Lab credentials are generated here on first use; keep them private.
install -d -m 0700 "$root/.lab" "$root/.lab/secrets"

bash "$root/lab/build-image.sh"
