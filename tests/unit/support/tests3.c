/* tests3.c: see tests3.h. */
#include "tests3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char endpoint[256], bucket[128], ak[1100], sk[1100];

static void slurp(const char *dir, const char *name, char *out, size_t n) {
  char p[1100];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "r");
  if (!f || !fgets(out, (int)n, f)) {
    fprintf(stderr, "tests3: cannot read %s: is the S3 fixture (s3/start) running?\n", p);
    abort();
  }
  fclose(f);
  out[strcspn(out, "\r\n")] = 0;
}

void tests3_opts(s3_opts *o) {
  const char *dir = getenv("TUCAI_S3_DIR");
  if (!dir || !*dir) {
    fprintf(stderr, "tests3: TUCAI_S3_DIR is not set (run through ctest: the s3 fixture starts the server)\n");
    abort();
  }
  slurp(dir, "endpoint", endpoint, sizeof endpoint);
  slurp(dir, "bucket", bucket, sizeof bucket);
  snprintf(ak, sizeof ak, "%s/access_key", dir);
  snprintf(sk, sizeof sk, "%s/secret_key", dir);
  *o = (s3_opts){.endpoint = endpoint,
                 .bucket = bucket,
                 .region = "us-east-1",
                 .path_style = 1,
                 .access_key_file = ak,
                 .secret_key_file = sk,
                 .timeout_s = 10};
}
