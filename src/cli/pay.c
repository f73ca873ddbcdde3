/* `tucai pay`: tools for integrators. `sign-request` prints the exact message and Authorization
 * header this build sends to WeChat Pay for given inputs, so a merchant (and our tests, against the
 * node fake) can compare them byte for byte with another implementation. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "pay/wxp_sign.h"
#include "util/xmalloc.h"

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  char *s = xmalloc(cap);
  size_t n;
  while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (len + 1 == cap) s = xrealloc(s, cap *= 2);
  }
  fclose(f);
  s[len] = '\0';
  return s;
}

static int usage(void) {
  fprintf(stderr,
          "usage: tucai pay sign-request --key-file PEM --mchid ID --serial SERIAL --method GET|POST\n"
          "                              --url PATH --timestamp SECONDS --nonce STR [--body-file FILE]\n");
  return 2;
}

int cli_pay(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "sign-request") != 0) return usage();
  const char *key = NULL, *mchid = NULL, *serial = NULL, *method = NULL, *url = NULL, *ts = NULL, *nonce = NULL,
             *body_file = NULL;
  struct {
    const char *flag;
    const char **dst;
  } flags[] = {{"--key-file", &key}, {"--mchid", &mchid},  {"--serial", &serial}, {"--method", &method},
               {"--url", &url},      {"--timestamp", &ts}, {"--nonce", &nonce},   {"--body-file", &body_file}};
  for (int i = 2; i < argc; i++) {
    size_t k = 0;
    for (; k < sizeof flags / sizeof flags[0]; k++)
      if (strcmp(argv[i], flags[k].flag) == 0 && i + 1 < argc) {
        *flags[k].dst = argv[++i];
        break;
      }
    if (k == sizeof flags / sizeof flags[0]) return usage();
  }
  if (!key || !mchid || !serial || !method || !url || !ts || !nonce) return usage();
  char *body = body_file ? read_file(body_file) : xstrdup("");
  if (!body) {
    fprintf(stderr, "cannot read the body file\n");
    return 1;
  }
  err_t err = {0};
  EVP_PKEY *k = wxp_load_private_key(key, &err);
  if (!k) {
    fprintf(stderr, "%s\n", err.message);
    free(body);
    return 1;
  }
  char *msg = wxp_request_message(method, url, ts, nonce, body);
  char *auth = wxp_authorization(k, mchid, serial, method, url, ts, nonce, body);
  json_t *out = json_pack("{s:s, s:s}", "message", msg ? msg : "", "authorization", auth ? auth : "");
  char *s = json_dumps(out, JSON_COMPACT);
  puts(s);
  free(s);
  json_decref(out);
  free(msg);
  free(auth);
  free(body);
  EVP_PKEY_free(k);
  return auth ? 0 : 1;
}
