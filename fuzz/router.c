/* router: the request line's method and decoded path against the product's whole route table
 * (api_register_all), through router_match as the server's admission does. Input: "METHOD path"
 * (no space: a GET of the whole input). */
#include "api/api.h"
#include "fuzz.h"
#include "http/internal.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static http_router router;
  if (!router.n) api_register_all(&router);
  char *s = fuzz_cstr(d, n);
  char *sp = strchr(s, ' ');
  const char *method = "GET", *path = s;
  if (sp) *sp = 0, method = s, path = sp + 1;
  req_ctx *c = xcalloc(1, sizeof *c);
  int mismatch = 0;
  const http_route *rt = router_match(&router, c, method, path, &mismatch);
  if (rt) {
    if (mismatch) abort();
    for (int i = 0; i < c->n_params; i++) {
      const char *v = c->param_values[i];
      if (!c->param_names[i] || !v) abort();
      if (strcmp(c->param_names[i], "*") != 0 && (!*v || strchr(v, '/'))) abort(); /* one whole segment */
    }
  }
  arena_free(c);
  free(c);
  free(s);
  return 0;
}
