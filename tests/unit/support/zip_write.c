/* zip_write: see zip_write.h. */
#include "zip_write.h"

#include <string.h>
#include <zip.h>

int zip_write_file(const char *path, const zip_member *m, int n, int method) {
  int zerr = 0;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  if (!z) return -1;
  int taken = 0;
  for (int i = 0; i < n; i++) {
    size_t nl = strlen(m[i].name);
    if (!m[i].data && nl && m[i].name[nl - 1] == '/') {
      if (zip_dir_add(z, m[i].name, ZIP_FL_ENC_UTF_8) >= 0) taken++;
      continue;
    }
    zip_source_t *s = zip_source_buffer(z, m[i].data, m[i].len, 0);
    if (!s) break;
    zip_int64_t idx = zip_file_add(z, m[i].name, s, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(s);
      continue;
    }
    if (method == ZIP_WRITE_STORE) zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    taken++;
  }
  if (zip_close(z) != 0) {
    zip_discard(z);
    return -1;
  }
  return taken;
}
