/* roster_parse: reading a school's roster file (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030, or
 * XLSX) into validated rows. Nothing here touches the database (see roster.h for the import).
 *
 * The first row is a header; columns are found by name (学号, 姓名, 身份证号, 学院, 专业,
 * 学历层次/培养层次, 毕业年份, or the English student_no, name, id_number, college, major, degree,
 * grad_year), in any order. One more column is optional: 照片 / 照片文件 / 照片文件名 / photo_file, the
 * name of the student's reference photo in the ZIP uploaded with the roster (identity/reference_zip.h;
 * without it, photos are matched by student number). Every bad row becomes an error with its line (the physical line in a
 * CSV, the row number in a sheet) and a Chinese reason; good rows are kept. */
#ifndef TUCAI_IDENTITY_ROSTER_PARSE_H
#define TUCAI_IDENTITY_ROSTER_PARSE_H

#include <stddef.h>

#include "util/err.h"

#define ROSTER_MAX_BYTES (64u * 1024 * 1024)
#define ROSTER_MAX_ROWS 200000
#define ROSTER_MAX_ERRORS 1000 /* further errors are counted, not listed */

typedef struct roster_row {
  int line;
  char student_no[40];
  char name[64];
  char id_number[19];
  char college[128];
  char major[128];
  char degree[16];
  int grad_year;
  char photo_file[96]; /* the optional photo column, "" when absent or empty */
} roster_row;

typedef struct roster_error {
  int line;
  char reason[160];
} roster_error;

typedef struct roster_parsed {
  roster_row *rows;
  int n_rows, cap_rows;
  roster_error *errors;
  int n_errors; /* listed */
  int n_errors_total;
} roster_parsed;

/* Detects the format from the content (a zip signature means XLSX). Fatal problems (unreadable
 * file, no header) return -1 with a 400; row problems go to out->errors. Free with roster_parsed_free. */
int roster_parse_file(const char *path, roster_parsed *out, err_t *err);
int roster_parse_csv(const char *data, size_t len, roster_parsed *out, err_t *err);
int roster_parse_xlsx(const char *path, roster_parsed *out, err_t *err);
void roster_parsed_free(roster_parsed *p);

/* Used by both parsers: the header row (cells) maps columns; each data row is validated. */
typedef struct roster_cols {
  int idx[8]; /* column index of each field (the 7 required, then the optional photo file), -1 when absent */
} roster_cols;
int roster_map_header(char **cells, int n, roster_cols *cols, err_t *err);
void roster_add_cells(roster_parsed *p, const roster_cols *cols, char **cells, int n, int line);
/* Records a row error (the import adds its own, e.g. duplicates). */
void roster_note_error(roster_parsed *p, int line, const char *reason);

#endif
