#!/usr/bin/env bash
# install.sh: everything Tucai needs on a fresh Debian 12, as root. Safe to run again: it installs
# only what is missing. Debian packages (scripts/packages.txt), Node.js when absent, the npm
# packages of the test suite, the vision models and the region data.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

wanted=$(grep -v '^\s*#' "$ROOT/scripts/packages.txt" | sed '/^\s*$/d')
missing=()
for p in $wanted; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the test suite (playwright-core drives Debian's chromium).
if [ -f "$ROOT/package.json" ] && [ ! -d "$ROOT/node_modules" -o "$ROOT/package.json" -nt "$ROOT/node_modules" ]; then
  (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error && touch node_modules)
fi

# Models (BlazeFace, selfie segmentation converted to ONNX) and the administrative divisions.
"$ROOT/scripts/setup-models.sh" >/dev/null
"$ROOT/scripts/setup-regions.sh" >/dev/null
echo "install: ready"
