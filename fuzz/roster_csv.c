/* roster_csv: a school's roster upload (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030) as
 * POST /api/schools/:id/batches/:bid/roster hands it on: the uploaded file to roster_parse_file,
 * which sniffs the format (a zip signature goes to the XLSX reader, see roster_xlsx.c). */
#include "fuzz.h"
#include "identity/roster_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static char path[300];
  if (!path[0]) fuzz_path(path, sizeof path, "roster.csv");
  fuzz_write_file(path, d, n);
  roster_parsed p;
  err_t err = {0};
  if (roster_parse_file(path, &p, &err) == 0) {
    /* Every kept row is what the import stores: it must be a complete, terminated record. */
    for (int i = 0; i < p.n_rows; i++)
      if (!p.rows[i].student_no[0] || !p.rows[i].name[0] || strlen(p.rows[i].id_number) != 18) abort();
  }
  roster_parsed_free(&p);
  return 0;
}
