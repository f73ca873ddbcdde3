#!/usr/bin/env python3
"""count-alloc.py: counts the raw heap allocation calls in C/C++ sources and how many are unchecked.

Why: the project asks for one allocation policy (src/util/xmalloc.h). This script measured the
before (how many raw malloc/calloc/realloc/strdup/strndup/asprintf sites there were and how many
used their result without a NULL test) and measures the after with the same rule. The CTest lint
that keeps raw calls out is scripts/check-alloc.sh; this is the counting tool, not the gate.

Method (a heuristic, printed per site with --list so that a reader can check it):
  - a site is one call of malloc, calloc, realloc, reallocarray, strdup, strndup, asprintf or
    vasprintf (a whole word: xmalloc, sodium_malloc, g_malloc are not raw calls) in a .c/.h/.cpp
    file, comments and string literals blanked out first;
  - its target is what the result is assigned to (`p`, `c->buf`, `*out`, `v[i]`; `initializer`
    when it fills a member of a brace initializer, always unchecked), `return` when it is returned, `asprintf` (the target is the int it returns), or `arg` when it is passed on;
  - "checked" when the target is tested against NULL in the statement or in the 6 lines after it
    (`!p`, `p == NULL`, `p != NULL`, `if (p)`, `p &&`, `p ||`, `p ?`, `(p = malloc(..)) &&`), or for
    asprintf when its result is compared (`< 0`, `== -1`, `>= 0`);
  - "passed on" when it is returned or passed straight into another call: the NULL is the
    caller's to test (counted apart, neither checked nor unchecked);
  - else "unchecked".
src/util/xmalloc.c, the x-family's implementation, is not counted.
Usage: count-alloc.py [--list] [DIR...]   (default: src)
"""
import os
import re
import sys

CALLS = r"(malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf|vasprintf)"
CALL_RE = re.compile(r"(?<![\w.>])" + CALLS + r"\s*\(")
WINDOW = 6


def blank_comments_and_strings(text):
    """Replaces comments and string/char literals by spaces, keeping line breaks and offsets."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + (c if j - i >= 2 else ""))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def target_of(line, pos):
    """What the call at line[pos:] is assigned to, or 'return' / 'arg' / None."""
    before = line[:pos].rstrip()
    # strip a ternary: `x = cond ? malloc(..)` / `x = a ? b : strdup(..)`
    if re.search(r"=\s*\{[^;{}]*$", re.split(r"[;}]", before)[-1]):
        return "initializer"  # `out o = {malloc(n), 0, n}`: a member no one tests
    stmt = re.split(r"[;{}]", before)[-1]
    if re.search(r"\breturn\b", stmt) and "=" not in stmt.replace("==", ""):
        return "return"
    # the nearest plain assignment to the left (not ==, !=, <=, >=)
    m = None
    for m in re.finditer(r"(?<![=!<>])=(?!=)", stmt):
        pass
    if m is None:
        return "arg"
    lhs = stmt[: m.start()]
    # the last declarator or lvalue: after the last ',', '(' or start
    lhs = re.split(r"[,(]", lhs)[-1].strip()
    lhs = lhs.split()[-1] if lhs.split() else lhs
    lhs = lhs.lstrip("*&")
    return lhs or None


def is_checked(name, text):
    e = re.escape(name)
    end = r"(?![\w\[.]|->)"
    pats = [
        r"!\s*\(?\s*" + e + end,
        e + end + r"\s*[=!]=\s*NULL",
        r"NULL\s*[=!]=\s*" + e + end,
        r"\bif\s*\(\s*" + e + r"\s*\)",
        e + end + r"\s*(&&|\|\||\?)",
        r"(&&|\|\|)\s*" + e + end + r"\s*[)&|;?]",
        r"\(\s*" + e + r"\s*=\s*\w+\s*\(.*\)\s*\)\s*(&&|\|\||\?)",
    ]
    return any(re.search(p, text) for p in pats)


def scan(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = blank_comments_and_strings(f.read()).split("\n")
    for i, line in enumerate(lines):
        for m in CALL_RE.finditer(line):
            call = m.group(1)
            window = "\n".join(lines[i : i + 1 + WINDOW])
            if call in ("asprintf", "vasprintf"):
                rest = "\n".join(lines[i : i + 2])
                ok = re.search(call + r"\s*\(.*\)\s*(<|==|>=|!=)", rest) or re.search(
                    r"(if|while)\s*\(\s*" + call, line
                )
                yield i + 1, call, "asprintf", "checked" if ok else "unchecked"
                continue
            tgt = target_of(line, m.start())
            if tgt == "initializer":
                yield i + 1, call, tgt, "unchecked"
                continue
            if tgt in ("return", "arg") or tgt is None:
                yield i + 1, call, tgt or "arg", "passed on"
                continue
            yield i + 1, call, tgt, "checked" if is_checked(tgt, window) else "unchecked"


def main(argv):
    show = "--list" in argv
    dirs = [a for a in argv if a != "--list"] or ["src"]
    counts = {"checked": 0, "unchecked": 0, "passed on": 0}
    per_call = {}
    for d in dirs:
        for root, _, files in sorted(os.walk(d)):
            for fn in sorted(files):
                if not fn.endswith((".c", ".h", ".cpp")):
                    continue
                path = os.path.join(root, fn)
                if path.replace(os.sep, "/").endswith("src/util/xmalloc.c"):
                    continue  # the x-family itself: the one place the raw calls belong
                for line, call, tgt, verdict in scan(path):
                    counts[verdict] += 1
                    per_call[call] = per_call.get(call, 0) + 1
                    if show:
                        print(f"{path}:{line}: {call} -> {tgt}: {verdict}")
    total = sum(counts.values())
    calls = ", ".join(f"{k} {v}" for k, v in sorted(per_call.items()))
    print(f"{' '.join(dirs)}: {total} raw allocation site(s) ({calls or 'none'}): "
          f"{counts['unchecked']} unchecked, {counts['checked']} checked, "
          f"{counts['passed on']} passed on to the caller")


if __name__ == "__main__":
    main(sys.argv[1:])
