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
  char names[8][128];
  zip_member m[8];
  int nm = 0;
  for (int i = 0; i < k; i++) {
    if (i < 4)
      m[nm++] = (zip_member){parts[i], p[i], l[i]};
    else if (fuzz_named_part(p[i], l[i], 100, names[nm], sizeof names[nm], &m[nm]) && names[nm][0])
      nm++;
  }
  fuzz_write_zip(path, m, nm);
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
