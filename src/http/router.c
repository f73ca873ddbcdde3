/* router.c: patterns are literal segments, ":name" segments (one segment, captured) and a final
 * "*" (the rest of the path). Routes are tried in the order they were added. */
#include <stdlib.h>
#include <string.h>

#include "http/internal.h"
#include "util/xmalloc.h"

void router_add(http_router *r, const http_route *route) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 64;
    r->routes = xrealloc(r->routes, (size_t)r->cap * sizeof *r->routes);
  }
  r->routes[r->n++] = *route;
}

void router_add_all(http_router *r, const http_route *routes, size_t n) {
  for (size_t i = 0; i < n; i++) router_add(r, &routes[i]);
}

/* Matches one pattern against a path; captures go into c when it matches. */
static int match(const char *pat, const char *path, req_ctx *c) {
  int n = 0;
  const char *names[MAX_PARAMS], *values[MAX_PARAMS];
  while (*pat && *path) {
    if (*pat == '*') {
      names[n] = "*";
      values[n++] = path;
      pat++;
      path += strlen(path);
      break;
    }
    if (*pat == ':') {
      const char *pe = strchr(pat, '/');
      const char *se = strchr(path, '/');
      size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
      size_t sl = se ? (size_t)(se - path) : strlen(path);
      if (sl == 0 || n >= MAX_PARAMS) return 0;
      if (c) {
        char *name = arena_alloc(c, pl);
        memcpy(name, pat + 1, pl - 1);
        name[pl - 1] = 0;
        char *val = arena_alloc(c, sl + 1);
        memcpy(val, path, sl);
        val[sl] = 0;
        names[n] = name;
        values[n] = val;
      }
      n++;
      pat += pl;
      path += sl;
      continue;
    }
    if (*pat != *path) return 0;
    pat++, path++;
  }
  if (*pat || *path) return 0;
  if (c) {
    for (int i = 0; i < n; i++) c->param_names[i] = names[i], c->param_values[i] = values[i];
    c->n_params = n;
  }
  return 1;
}

const http_route *router_match(const http_router *r, req_ctx *c, const char *method, const char *path,
                               int *method_mismatch) {
  *method_mismatch = 0;
  int is_head = !strcmp(method, "HEAD");
  for (int i = 0; i < r->n; i++) {
    const http_route *rt = &r->routes[i];
    if (!match(rt->pattern, path, NULL)) continue;
    if (strcmp(rt->method, method) && !(is_head && !strcmp(rt->method, "GET"))) {
      *method_mismatch = 1;
      continue;
    }
    match(rt->pattern, path, c);
    return rt;
  }
  return NULL;
}
