#!/bin/sh
# check-alloc.sh: one allocation policy. No raw malloc, calloc, realloc,
# reallocarray, strdup, strndup, asprintf or vasprintf in src/, fuzz/ or bench/: use the x-family of
# src/util/xmalloc.h, which aborts with one line on stderr when the heap says no, so callers never
# test for NULL. src/util/xmalloc.c is the one file that calls the raw functions.
#   - sizes that come from outside (uploads, image pixels, bodies, archive members) still need a
#     checked limit BEFORE the allocation (see the list in src/util/xmalloc.h);
#   - memory that a library allocates (json_dumps, vips_*, sodium_malloc, g_*) is not ours to
#     route through xmalloc: keep testing those results as before.
# Prints each raw call with the x-function to use instead, then their count; exits 1 when any.
# Usage: check-alloc.sh [ROOT]   (default: the tree this script is in)
ROOT=${1:-$(dirname "$0")/..}
cd "$ROOT" || exit 2
out=${TMPDIR:-/tmp}/check-alloc.$$
# Comments are stripped first (// to end of line, /* ... */ on one line, and the " * " lines of
# block comments) so that prose may name the functions. A call is the name as a whole word
# followed by "(": xmalloc(, sodium_malloc(, s->malloc( are not raw calls.
for d in src fuzz bench; do
  [ -d "$d" ] && find "$d" -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \)
done | grep -v '^src/util/xmalloc\.c$' | sort | while read -r f; do
  sed -e 's|//.*$||' -e 's|/\*.*\*/||g' -e 's|^[[:space:]]*\*.*$||' -e 's|"\([^"\\]\|\\.\)*"|""|g' "$f" |
    grep -nE '(^|[^A-Za-z0-9_.>])(malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf|vasprintf)[[:space:]]*\(' |
    while IFS= read -r hit; do
      line=${hit%%:*}
      call=$(printf '%s\n' "${hit#*:}" |
        grep -oE '(^|[^A-Za-z0-9_.>])(malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf|vasprintf)[[:space:]]*\(' |
        head -1 | sed -E 's/^[^a-z]//; s/[[:space:]]*\($//')
      case $call in
      asprintf | vasprintf) use=xasprintf ;;
      realloc) use="xrealloc (or xreallocarray for n * size)" ;;
      malloc) use="xmalloc (or xmallocarray for n * size)" ;;
      *) use=x$call ;;
      esac
      echo "$f:$line: raw $call(): use $use from \"util/xmalloc.h\" and drop the NULL test"
    done
done > "$out"
n=$(wc -l < "$out" | tr -d ' ')
cat "$out"
rm -f "$out"
echo "check-alloc: $n line(s) with a raw allocation call outside src/util/xmalloc.c"
[ "$n" -eq 0 ]
