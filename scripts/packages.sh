#!/usr/bin/env bash
# Installs the Debian packages the tests need beyond the Rust toolchain:
# libheif-examples gives `heif-convert` (HEIC photos from iPhones are turned
# into JPEG with it) and `heif-enc` (used to make the HEIC test fixtures).
# Idempotent, and quick when everything is already there.
set -euo pipefail

PACKAGES=(libheif-examples)
COMMANDS=(heif-convert heif-enc)

missing=0
for c in "${COMMANDS[@]}"; do
  command -v "$c" >/dev/null 2>&1 || missing=1
done
if [ "$missing" -eq 0 ]; then
  exit 0
fi

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
install() { DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null; }

echo "packages.sh: installing ${PACKAGES[*]} from Debian's packages" >&2
if ! install; then
  # Fresh machines have no package lists yet: fetch them once, then try again.
  sudo_if_needed apt-get update -qq
  install
fi

for c in "${COMMANDS[@]}"; do
  command -v "$c" >/dev/null 2>&1 || { echo "packages.sh: $c is still missing" >&2; exit 1; }
done
