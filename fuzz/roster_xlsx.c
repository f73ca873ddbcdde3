/* roster_xlsx: a roster uploaded as XLSX, through roster_parse_file as the upload is. An input that
 * starts with a zip signature is the file itself; any other input is the workbook's parts
 * separated by "\n--8<--\n" (xl/workbook.xml, xl/_rels/workbook.xml.rels, xl/sharedStrings.xml,
 * xl/worksheets/sheet1.xml, then name=content pairs for other members), which the harness zips
 * (stored, so the fuzzer reaches the XML without having to forge CRCs and deflate streams). */
#include <zip.h>

#include "fuzz.h"
#include "identity/roster_parse.h"

static const char *const parts[] = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml",
                                    "xl/worksheets/sheet1.xml"};

static void build_zip(const char *path, const uint8_t *d, size_t n) {
  const uint8_t *p[8];
  size_t l[8];
  int k = fuzz_split(d, n, p, l, 8);
  int zerr = 0;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  if (!z) abort();
  for (int i = 0; i < k; i++) {
    char name[128];
    const uint8_t *data = p[i];
    size_t len = l[i];
    if (i < 4) {
      snprintf(name, sizeof name, "%s", parts[i]);
    } else { /* "name=content" */
      const uint8_t *eq = memchr(data, '=', len < 100 ? len : 100);
      if (!eq) continue;
      snprintf(name, sizeof name, "%.*s", (int)(eq - data), (const char *)data);
      len -= (size_t)(eq + 1 - data);
      data = eq + 1;
      if (!name[0]) continue;
    }
    zip_source_t *s = zip_source_buffer(z, data, len, 0);
    if (!s) abort();
    zip_int64_t idx = zip_file_add(z, name, s, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(s);
      continue;
    }
    zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
  }
  if (zip_close(z) != 0) {
    zip_discard(z);
    fuzz_write_file(path, (const uint8_t *)"", 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static char path[300];
  if (!path[0]) fuzz_path(path, sizeof path, "roster.xlsx");
  if (n >= 4 && memcmp(d, "PK\x03\x04", 4) == 0)
    fuzz_write_file(path, d, n);
  else
    build_zip(path, d, n);
  roster_parsed p;
  err_t err = {0};
  roster_parse_file(path, &p, &err);
  roster_parsed_free(&p);
  return 0;
}
