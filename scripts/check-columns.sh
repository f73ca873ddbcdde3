#!/bin/sh
# check-columns.sh: results are read by column name, never by number. In src/, outside
# the store itself (src/store/), the column argument of db_res_text/int/is_null/blob may not hold
# a number: `db_res_int(r, i, 7)` says nothing to a reader and silently shifts when a column is
# added before it. Read db_res_int_at(r, i, "grad_year"), or look the index up once before a loop
# (int c_id = db_res_col(r, "id")) and pass c_id. A loop over every column of a result
# (for (int c = 0; c < db_res_cols(r); c++), with db_res_col_name) holds no number and passes.
# Flags a third argument with an integer literal in it (7, col0 + 3, x ? 2 : 3) or a ++/-- (c++).
# Prints each such call with its file and line, then their count; exits 1 when there is any.
# Usage: check-columns.sh [SRC_DIR]   (default: the src/ beside this script)
SRC=${1:-$(dirname "$0")/../src}
cd "$SRC" || exit 2
find . -type f \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) ! -path './store/*' | sort |
  xargs perl -0777 -ne '
    # Comments and string literals are blanked (newlines kept, so that line numbers hold).
    my $s = $_;
    $s =~ s{/\*.*?\*/}{ (my $c = $&) =~ s/[^\n]/ /g; $c }gse;
    $s =~ s{//[^\n]*}{}g;
    $s =~ s{"(?:[^"\\\n]|\\.)*"}{""}g;
    while ($s =~ /\bdb_res_(?:text|int|is_null|blob)\s*\(/g) {
      my ($at, $i, $depth, @args, $cur) = ($-[0], pos($s), 1, ());
      $cur = "";
      for (; $i < length($s) && $depth > 0; $i++) {
        my $ch = substr($s, $i, 1);
        if ($ch eq "(") { $depth++ } elsif ($ch eq ")") { $depth--; last if $depth == 0 }
        if ($ch eq "," && $depth == 1) { push @args, $cur; $cur = ""; next }
        $cur .= $ch;
      }
      push @args, $cur;
      next if @args < 3;
      my $col = $args[2];
      if ($col =~ /(?<![A-Za-z0-9_])\d+(?![A-Za-z0-9_])/ || $col =~ /\+\+|--/) {
        my $line = 1 + (() = substr($s, 0, $at) =~ /\n/g);
        (my $call = substr($s, $at, $i - $at + 1)) =~ s/\s+/ /g;
        (my $file = $ARGV) =~ s{^\./}{};
        print "numbered column: $file:$line: $call\n";
      }
    }
  ' > "${TMPDIR:-/tmp}/check-columns.$$"
n=$(wc -l < "${TMPDIR:-/tmp}/check-columns.$$" | tr -d ' ')
cat "${TMPDIR:-/tmp}/check-columns.$$"
rm -f "${TMPDIR:-/tmp}/check-columns.$$"
echo "check-columns: $n column(s) read by number"
[ "$n" -eq 0 ]
