/* registry_receive: an export package as the registry opens it (`tucai registry receive`:
 * registry_receive -> package_open -> tar reader -> package.json, manifest.csv, jpeg_info and the
 * profile's checks). Keys are made once: the registry's seal key and a trusted operator key.
 * First byte: bit 0 clear, the rest of the input is the package file itself (header, sealed key,
 * chunks, signature: everything before the signature check); set, the rest is the archive's
 * members "name=content" separated by "\n--8<--\n", which the harness packs, seals and signs
 * with the trusted operator key as the product's exporter does, so the fuzzer reaches the
 * contents' checks. Keys are new in every process: in a raw file the placeholders
 * "KIDKIDKIDKIDKIDK" and "SEALSEALSEALSEAL" become the trusted signer's and the seal key's ids, so
 * a header can name them and reach the signature check. */
#include <sodium.h>
#include <vips/vips.h>

#include "export/keys.h"
#include "export/package.h"
#include "export/receive.h"
#include "fuzz.h"
#include "identity/code.h"
#include "util/xmalloc.h"

static char keydir[300], pkg[300], profiles[600];
static operator_key op;
static uint8_t seal_pk[32];
static char seal_kid[EXPORT_KID_LEN + 1];

static void init(void) {
  if (VIPS_INIT("fuzz") || sodium_init() < 0) abort();
  vips_cache_set_max(0);
  err_t err = {0};
  fuzz_path(keydir, sizeof keydir, "registry");
  fuzz_path(pkg, sizeof pkg, "in.tcpkg");
  uint8_t sk[32];
  char kp[300];
  fuzz_path(kp, sizeof kp, "operator.key");
  if (code_keygen(keydir, &err) < 0 || registry_seal_key_load(keydir, seal_kid, seal_pk, sk, &err) < 0 ||
      operator_key_load(kp, 1, &op, &err) < 0) {
    fprintf(stderr, "registry_receive: keys: %s\n", err.message);
    abort();
  }
  char line[128], pubp[400];
  operator_key_pub_line(&op, line);
  snprintf(pubp, sizeof pubp, "%s/operator.pub", keydir);
  FILE *f = fopen(pubp, "w");
  if (!f) abort();
  fprintf(f, "%s\n", line);
  fclose(f);
  const char *src = getenv("TUCAI_SOURCE");
  snprintf(profiles, sizeof profiles, "%s/profiles", src && *src ? src : TUCAI_SOURCE_DIR);
}

static int build(const uint8_t *d, size_t n) {
  remove(pkg);
  err_t err = {0};
  package_writer *w = package_writer_open(pkg, seal_pk, seal_kid, &op, 1700000000000, &err);
  if (!w) abort();
  const uint8_t *part[64];
  size_t len[64];
  int k = fuzz_split(d, n, part, len, 64);
  for (int i = 0; i < k; i++) {
    const uint8_t *eq = memchr(part[i], '=', len[i] < 100 ? len[i] : 100);
    if (!eq) continue;
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(eq - part[i]), (const char *)part[i]);
    if (package_add_file(w, name, eq + 1, len[i] - (size_t)(eq + 1 - part[i]), &err) != 0) {
      package_writer_abort(w); /* a name the writer refuses: nothing to receive */
      return -1;
    }
  }
  char sha[65];
  if (package_writer_finish(w, sha, &err) != 0) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!keydir[0]) init();
  if (n < 1) return 0;
  if (d[0] & 1) {
    if (build(d + 1, n - 1) != 0) return 0;
  } else {
    uint8_t *raw = xmalloc(n);
    memcpy(raw, d + 1, n - 1);
    for (size_t i = 0; i + EXPORT_KID_LEN <= n - 1; i++) {
      if (memcmp(raw + i, "KIDKIDKIDKIDKIDK", EXPORT_KID_LEN) == 0) memcpy(raw + i, op.kid, EXPORT_KID_LEN);
      if (memcmp(raw + i, "SEALSEALSEALSEAL", EXPORT_KID_LEN) == 0) memcpy(raw + i, seal_kid, EXPORT_KID_LEN);
    }
    fuzz_write_file(pkg, raw, n - 1);
    free(raw);
  }
  receive_opts o = {.key_dir = keydir, .profiles_dir = profiles, .profile = "chsi-blue"};
  err_t err = {0};
  json_t *r = registry_receive(pkg, &o, &err);
  if (r) {
    if (!json_is_boolean(json_object_get(r, "ok"))) abort();
    json_decref(r);
  } else if (err.status == 0 || err.status >= 500) {
    fprintf(stderr, "registry_receive: %d %s %s\n", err.status, err.code, err.message);
    abort(); /* a bad package is the sender's fault, never ours */
  }
  return 0;
}
