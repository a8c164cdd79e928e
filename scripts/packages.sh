#!/usr/bin/env bash
# Installs the Debian packages the tests need beyond the Rust toolchain:
# libheif-examples gives `heif-convert` (HEIC photos from iPhones are turned
# into JPEG with it) and `heif-enc` (used to make the HEIC test fixtures);
# tesseract-ocr with its Indonesian and English data reads invoices for the
# pre-check, poppler-utils gives `pdftotext` (a PDF's text layer) and
# `pdftoppm` (its pages as images, for OCR when there is no text layer, and
# to render the test invoices); fonts-dejavu-core is the typeface the test
# invoices are drawn in.
# Idempotent, and quick when everything is already there.
set -euo pipefail

PACKAGES=(libheif-examples tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng poppler-utils fonts-dejavu-core)
COMMANDS=(heif-convert heif-enc tesseract pdftotext pdftoppm)
FILES=(/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf)

missing=0
for c in "${COMMANDS[@]}"; do
  command -v "$c" >/dev/null 2>&1 || missing=1
done
for f in "${FILES[@]}"; do
  [ -e "$f" ] || missing=1
done
# The language data are packages of their own; tesseract alone reads neither.
if command -v tesseract >/dev/null 2>&1; then
  langs=$(tesseract --list-langs 2>/dev/null || true)
  for l in ind eng; do
    grep -qx "$l" <<<"$langs" || missing=1
  done
fi
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
