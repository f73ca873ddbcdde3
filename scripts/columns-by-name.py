#!/usr/bin/env python3
"""columns-by-name.py: turns numbered result reads into reads by name (lint/columns).

For each db_res_text/int/is_null/blob(VAR, ROW, N) with a literal N, finds the db_query() that last
set VAR in the same function, parses the SELECT (or RETURNING) list of its SQL (string literals
only) and names item N: its alias, or the column of a plain `t.col`. Prints one line per call,
`-> "name"` or UNRESOLVED with the reason (an expression without alias, SQL built at run time or
from macros, a result handed in as a parameter, two columns of one name, two queries on VAR in
branches). With --apply it rewrites the resolved calls to db_res_*_at(VAR, ROW, "name"); the
unresolved ones are left to a person (alias the expression, then run again). Review the diff.
Usage: scripts/columns-by-name.py [--apply] FILE.c...   (what remains: scripts/check-columns.sh)"""
import re, sys, os, json

CALL = re.compile(r'\bdb_res_(text|int|is_null|blob)\(\s*([A-Za-z_][\w>.-]*)\s*,\s*([^,()]+?)\s*,\s*(\d+)\s*([,)])')
ASSIGN = re.compile(r'\b([A-Za-z_]\w*)\s*=\s*db_query\s*\(')

FUNC = re.compile(r'^[A-Za-z_][^;\n]*\)\s*\{\s*$', re.M)

def c_literals(s, i):
    """Reads the db_query args from index i (just after '('): skips two args, then concatenates
    string literals of the third. Returns (sql or None, reason)."""
    depth = 0; args = 0; j = i
    while args < 2:
        c = s[j]
        if c == '"':
            j += 1
            while s[j] != '"':
                j += 2 if s[j] == '\\' else 1
        elif c in '([{': depth += 1
        elif c in ')]}': depth -= 1
        elif c == ',' and depth == 0: args += 1
        j += 1
    # third arg: sequence of literals
    parts = []
    while True:
        while s[j].isspace(): j += 1
        if s.startswith('//', j):
            j = s.index('\n', j); continue
        if s[j] == '"':
            k = j + 1; buf = []
            while s[k] != '"':
                if s[k] == '\\':
                    buf.append(s[k:k+2]); k += 2
                else:
                    buf.append(s[k]); k += 1
            parts.append(''.join(buf).replace('\\n', ' ').replace('\\t', ' ').replace('\\"', '"'))
            j = k + 1
        else:
            break
    if s[j] not in ',)':
        return None, 'non-literal SQL: ' + s[j:j+40].replace('\n', ' ')
    if not parts:
        return None, 'non-literal SQL: ' + s[j:j+40].replace('\n', ' ')
    return ''.join(parts), None

def split_top(s):
    out = []; depth = 0; cur = []; q = None
    for ch in s:
        if q:
            cur.append(ch)
            if ch == q: q = None
            continue
        if ch in "'\"": q = ch
        elif ch == '(': depth += 1
        elif ch == ')': depth -= 1
        elif ch == ',' and depth == 0:
            out.append(''.join(cur).strip()); cur = []; continue
        cur.append(ch)
    out.append(''.join(cur).strip())
    return out

def select_list(sql):
    """The top-level SELECT (or RETURNING) list as a list of item strings."""
    # mask parenthesised and quoted text to find depth-0 keywords
    depth = 0; q = None; mask = []
    for ch in sql:
        if q:
            mask.append(' ');
            if ch == q: q = None
            continue
        if ch == "'": q = ch; mask.append(' '); continue
        if ch == '(':
            depth += 1; mask.append(' '); continue
        if ch == ')':
            depth -= 1; mask.append(' '); continue
        mask.append(ch if depth == 0 else ' ')
    m = ''.join(mask)
    ret = re.search(r'\bRETURNING\b', m, re.I)
    sel = re.search(r'\bSELECT\b', m, re.I)
    if re.match(r'\s*(INSERT|UPDATE|DELETE)\b', sql, re.I) and ret:
        start = ret.end(); end = len(sql)
    elif sel:
        start = sel.end()
        fr = re.compile(r'\b(FROM|UNION|ORDER|LIMIT|WHERE|GROUP)\b', re.I).search(m, start)
        end = fr.start() if fr else len(sql)
    else:
        return None
    body = sql[start:end].strip()
    body = re.sub(r'^DISTINCT\s+', '', body, flags=re.I)
    return split_top(body)

def item_name(it):
    m = re.search(r'\bAS\s+([A-Za-z_]\w*)\s*$', it, re.I)
    if m: return m.group(1).lower(), None
    m = re.fullmatch(r'(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)', it.strip())
    if m and m.group(1).upper() not in ('NULL',): return m.group(1).lower(), None
    return None, 'expression needs alias: ' + it

def analyze(path):
    s = open(path).read()
    assigns = [(m.start(), m.group(1), m.end()) for m in ASSIGN.finditer(s)]
    res = []
    for m in CALL.finditer(s):
        var = m.group(2); pos = m.start()
        fstart = max([f.start() for f in FUNC.finditer(s, 0, pos)] or [0])
        cands = [a for a in assigns if a[1] == var and fstart < a[0] < pos]
        line = s.count('\n', 0, pos) + 1
        if not cands:
            res.append((line, m, None, 'no db_query assignment of ' + var)); continue
        a = cands[-1]
        if len(cands) > 1 and not re.search(r'db_res_free\(\s*' + re.escape(var) + r'\s*\)', s[cands[-2][0]:a[0]]):
            res.append((line, m, None, 'branch: two queries assigned to ' + var + ' without a free between')); continue
        sql, why = c_literals(s, a[2])
        if sql is None:
            res.append((line, m, None, why)); continue
        items = select_list(sql)
        if items is None:
            res.append((line, m, None, 'no select list')); continue
        n = int(m.group(4))
        if n >= len(items):
            res.append((line, m, None, f'col {n} beyond {len(items)} items: {sql[:60]}')); continue
        if any(i.strip() == '*' or i.strip().endswith('.*') for i in items[:n+1]):
            res.append((line, m, None, 'star in select: ' + sql[:60])); continue
        name, why = item_name(items[n])
        # ambiguity: same name twice in list
        names = [item_name(i)[0] for i in items]
        if name and names.count(name) > 1:
            why = f'ambiguous name {name}'; name = None
        res.append((line, m, name, why, a[0]))
    return s, res

if __name__ == '__main__':
    apply = '--apply' in sys.argv
    files = [f for f in sys.argv[1:] if f != '--apply']
    for f in files:
        s, res = analyze(f)
        edits = []
        for r in res:
            line, m, name = r[0], r[1], r[2]
            if name is None:
                print(f'{f}:{line}: UNRESOLVED {m.group(0)}  -- {r[3]}')
            else:
                print(f'{f}:{line}: {m.group(0)} -> "{name}"')
                edits.append((m.start(), m.end(), f'db_res_{m.group(1)}_at({m.group(2)}, {m.group(3)}, "{name}"{m.group(5)}'))
        if apply and edits:
            for a, b, t in reversed(edits):
                s = s[:a] + t + s[b:]
            open(f, 'w').write(s)
