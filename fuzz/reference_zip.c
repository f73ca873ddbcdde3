/* reference_zip: the ZIP of reference photos uploaded with a roster, through reference_zip_open and
 * reference_zip_read as the import runs them, against a fixed roster (three students by number, one
 * by the photo column). An input that starts with a zip signature is the file itself; any other
 * input is "name=content" parts separated by "\n--8<--\n", which the harness zips (stored, so the
 * fuzzer reaches the names and the JPEG markers without forging CRCs and deflate streams). */
#include <zip.h>

#include "fuzz.h"
#include "identity/reference_zip.h"

static void build_zip(const char *path, const uint8_t *d, size_t n) {
  const uint8_t *p[16];
  size_t l[16];
  int k = fuzz_split(d, n, p, l, 16);
  char names[16][256];
  zip_member m[16];
  int nm = 0;
  for (int i = 0; i < k; i++)
    if (fuzz_named_part(p[i], l[i], 200, names[nm], sizeof names[nm], &m[nm])) nm++;
  fuzz_write_zip(path, m, nm);
}

static void add(roster_parsed *p, const char *no, const char *file, int line) {
  roster_row *r = &p->rows[p->n_rows++];
  memset(r, 0, sizeof *r);
  r->line = line;
  snprintf(r->student_no, sizeof r->student_no, "%s", no);
  snprintf(r->photo_file, sizeof r->photo_file, "%s", file);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static char path[300];
  static roster_row rows[4];
  if (!path[0]) fuzz_path(path, sizeof path, "photos.zip");
  if (n >= 4 && memcmp(d, "PK\x03\x04", 4) == 0)
    fuzz_write_file(path, d, n);
  else
    build_zip(path, d, n);
  roster_parsed p = {.rows = rows, .cap_rows = 4};
  add(&p, "2024001", "", 2);
  add(&p, "2024002", "", 3);
  add(&p, "A-17_x", "", 4);
  add(&p, "2024004", "照片/张三.jpg", 5);
  reference_zip rz;
  err_t err = {0};
  if (reference_zip_open(path, &p, &rz, &err) == 0) {
    for (int i = 0; i < rz.n_photos; i++) {
      uint8_t *bytes = NULL;
      size_t len = 0;
      err_t e2 = {0};
      if (reference_zip_read(&rz, i, &bytes, &len, &e2) == 0) free(bytes);
    }
  }
  reference_zip_close(&rz);
  return 0;
}
