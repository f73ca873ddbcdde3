/* manifest: the list that travels with an export package and tells the registry what is in it:
 * one row per photo with the student's number, masked name, college, file name and SHA-256.
 *
 * Two forms with the same rows: CSV (UTF-8 with a BOM, so spreadsheet programs in China open it
 * right; RFC 4180 quoting) and XLSX (libxlsxwriter). The registry side parses the CSV strictly. */
#ifndef TUCAI_EXPORT_MANIFEST_H
#define TUCAI_EXPORT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct manifest_row {
  char number[40];
  char name_masked[64];
  char college[128];
  char file[64];
  char sha256[65]; /* lowercase hex */
} manifest_row;

typedef struct manifest {
  manifest_row *rows;
  int n, cap;
} manifest;

void manifest_add(manifest *m, const manifest_row *row);
void manifest_free(manifest *m);

/* The CSV bytes (malloc'd). */
int manifest_csv(const manifest *m, uint8_t **out, size_t *len, err_t *err);
/* The XLSX bytes (malloc'd), written through a temporary file in tmp_dir. */
int manifest_xlsx(const manifest *m, const char *tmp_dir, uint8_t **out, size_t *len, err_t *err);
/* Parses manifest CSV bytes (BOM and header required). 422 "bad_manifest" naming the line. */
int manifest_parse_csv(const uint8_t *p, size_t n, manifest *out, err_t *err);

/* Generic CSV helpers shared with other office exports. */
/* Appends one field, quoted when needed, to a growing buffer. */
typedef struct textbuf {
  char *p;
  size_t len, cap;
} textbuf;
void textbuf_put(textbuf *b, const char *s, size_t n);
void textbuf_puts(textbuf *b, const char *s);
void csv_field(textbuf *b, const char *s, int last);
/* Splits one CSV record starting at *pos into up to max fields (malloc'd strings in fields[]);
 * returns the field count, 0 at the end of input, -1 on bad quoting. */
int csv_record(const char *p, size_t n, size_t *pos, char **fields, int max);
void csv_fields_free(char **fields, int n);

/* SHA-256 of bytes as 64 lowercase hex characters. */
void sha256_hex(const uint8_t *p, size_t n, char out[65]);

#endif
