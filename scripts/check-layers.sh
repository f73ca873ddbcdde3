#!/bin/sh
# check-layers.sh: the include rules that keep the layers true (see DEVELOPERS.md, "The tree").
#   - src/http/ is a leaf: it includes only http/ and util/ (and system or library headers);
#   - a domain room includes neither http/ nor api/;
#   - the photo engine (photo/, vision/) includes neither store/, http/, api/ nor app.h;
#   - http/internal.h is seen by src/http/ alone;
#   - the process (app.h, the struct app) is seen only by what wires it: src/app.c, src/main.c,
#     src/cli/ and src/api/; a room is handed its own environment (collect_env, pay_env...).
# Prints each include that runs back up, then their count; exits 1 when there is any.
# Usage: check-layers.sh [SRC_DIR]   (default: the src/ beside this script)
SRC=${1:-$(dirname "$0")/../src}
cd "$SRC" || exit 2
DOMAIN="collect identity pay notify wechat export office print support audit auth blob jobs store maintenance backup"

# quoted includes of the files under $1, as "file: header"
includes() {
  [ -d "$1" ] || return 0
  grep -rHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$1" |
    sed -E 's/^([^:]*):[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*)".*/\1: \2/'
}

{
  includes http | grep -vE ': (http|util)/'
  for room in $DOMAIN; do includes "$room" | grep -E ': (http|api)/'; done
  for room in photo vision; do includes "$room" | grep -E ': ((store|http|api)/|app\.h$)'; done
  includes . | grep -v '^\./http/' | grep -E ': http/internal\.h$' | sed 's|^\./||'
  { includes . | grep -E ': (\.\./)*app\.h$'
    grep -rHE '\bstruct app\b' . | sed -E 's/^([^:]*):.*/\1: struct app/'
  } | sed 's|^\./||' | grep -vE '^(app\.[ch]|main\.c|cli/|api/)' | sort -u
} > "${TMPDIR:-/tmp}/check-layers.$$"
n=$(wc -l < "${TMPDIR:-/tmp}/check-layers.$$" | tr -d ' ')
sed 's/^/back-up include: /' "${TMPDIR:-/tmp}/check-layers.$$"
rm -f "${TMPDIR:-/tmp}/check-layers.$$"
echo "check-layers: $n back-up include(s)"
[ "$n" -eq 0 ]
