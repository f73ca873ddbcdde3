/* manifest.c: manifest CSV/XLSX writers and the strict CSV reader (see manifest.h). */
#include "export/manifest.h"
#include "util/xlsx_mem.h"
#include "util/xmalloc.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

static const char *const HEADERS[5] = {"编号", "姓名", "学院", "文件名", "SHA-256"};

void manifest_add(manifest *m, const manifest_row *row) {
  if (m->n == m->cap) {
    int cap = m->cap ? m->cap * 2 : 64;
    m->rows = xreallocarray(m->rows, (size_t)cap, sizeof *m->rows);
    m->cap = cap;
  }
  m->rows[m->n++] = *row;
}

void manifest_free(manifest *m) {
  free(m->rows);
  memset(m, 0, sizeof *m);
}

void sha256_hex(const uint8_t *p, size_t n, char out[65]) {
  uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, p, n);
  sodium_bin2hex(out, 65, h, sizeof h);
}

void textbuf_put(textbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void textbuf_puts(textbuf *b, const char *s) { textbuf_put(b, s, strlen(s)); }

void csv_field(textbuf *b, const char *s, int last) {
  /* Quote when needed; a leading = + - @ is prefixed with ' so spreadsheets never run it. */
  int quote = strpbrk(s, ",\"\r\n") != NULL;
  int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
  if (quote) textbuf_put(b, "\"", 1);
  if (formula) textbuf_put(b, "'", 1);
  for (const char *p = s; *p; p++) {
    if (*p == '"') textbuf_put(b, "\"", 1);
    textbuf_put(b, p, 1);
  }
  if (quote) textbuf_put(b, "\"", 1);
  textbuf_puts(b, last ? "\r\n" : ",");
}

int manifest_csv(const manifest *m, uint8_t **out, size_t *len, err_t *err) {
  textbuf b = {0};
  textbuf_puts(&b, "\xEF\xBB\xBF");
  for (int i = 0; i < 5; i++) csv_field(&b, HEADERS[i], i == 4);
  for (int r = 0; r < m->n; r++) {
    const manifest_row *x = &m->rows[r];
    csv_field(&b, x->number, 0);
    csv_field(&b, x->name_masked, 0);
    csv_field(&b, x->college, 0);
    csv_field(&b, x->file, 0);
    csv_field(&b, x->sha256, 1);
  }
  (void)err;
  *out = (uint8_t *)b.p;
  *len = b.len;
  return 0;
}

int manifest_xlsx(const manifest *m, const char *tmp_dir, uint8_t **out, size_t *len, err_t *err) {
  char path[XLSX_MEM_PATH];
  lxw_workbook *wb = xlsx_mem_open(tmp_dir, path, err);
  if (!wb) return -1;
  lxw_worksheet *ws = workbook_add_worksheet(wb, "manifest");
  for (int i = 0; i < 5; i++) worksheet_write_string(ws, 0, (lxw_col_t)i, HEADERS[i], NULL);
  for (int r = 0; r < m->n; r++) {
    const manifest_row *x = &m->rows[r];
    const char *v[5] = {x->number, x->name_masked, x->college, x->file, x->sha256};
    for (int i = 0; i < 5; i++) worksheet_write_string(ws, (lxw_row_t)(r + 1), (lxw_col_t)i, v[i], NULL);
  }
  worksheet_set_column(ws, 0, 3, 18, NULL);
  worksheet_set_column(ws, 4, 4, 66, NULL);
  return xlsx_mem_close(wb, path, out, len, err);
}

void csv_fields_free(char **fields, int n) {
  for (int i = 0; i < n; i++) free(fields[i]);
}

int csv_record(const char *p, size_t n, size_t *pos, char **fields, int max) {
  size_t i = *pos;
  if (i >= n) return 0;
  int nf = 0;
  textbuf cur = {0};
  int quoted = 0, in_quotes = 0;
  for (;;) {
    if (i >= n || (!in_quotes && (p[i] == ',' || p[i] == '\n' || p[i] == '\r'))) {
      if (in_quotes) {
        free(cur.p);
        csv_fields_free(fields, nf);
        return -1;
      }
      if (nf < max)
        fields[nf++] = cur.p ? cur.p : xstrdup("");
      else
        free(cur.p);
      memset(&cur, 0, sizeof cur);
      quoted = 0;
      if (i >= n) break;
      if (p[i] == ',') {
        i++;
        continue;
      }
      if (p[i] == '\r') i++;
      if (i < n && p[i] == '\n') i++;
      break;
    }
    char c = p[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < n && p[i + 1] == '"') {
          textbuf_put(&cur, "\"", 1);
          i += 2;
          continue;
        }
        in_quotes = 0;
        i++;
        continue;
      }
      textbuf_put(&cur, &c, 1);
      i++;
      continue;
    }
    if (c == '"' && !quoted && cur.len == 0) {
      in_quotes = quoted = 1;
      i++;
      continue;
    }
    if (quoted) { /* text after a closing quote */
      free(cur.p);
      csv_fields_free(fields, nf);
      return -1;
    }
    textbuf_put(&cur, &c, 1);
    i++;
  }
  *pos = i;
  return nf;
}

static int is_hex64(const char *s) {
  if (strlen(s) != 64) return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
  return 1;
}

static int copy_field(char *dst, size_t cap, const char *s) {
  if (strlen(s) >= cap) return -1;
  memcpy(dst, s, strlen(s) + 1);
  return 0;
}

int manifest_parse_csv(const uint8_t *bytes, size_t n, manifest *out, err_t *err) {
  memset(out, 0, sizeof *out);
  const char *p = (const char *)bytes;
  if (n < 3 || memcmp(p, "\xEF\xBB\xBF", 3) != 0)
    return err_set(err, 422, "bad_manifest", "manifest CSV lacks the UTF-8 BOM");
  size_t pos = 3;
  char *f[6];
  int line = 1;
  int nf = csv_record(p, n, &pos, f, 6);
  int ok = nf == 5;
  for (int i = 0; ok && i < 5; i++) ok = strcmp(f[i], HEADERS[i]) == 0;
  if (nf > 0) csv_fields_free(f, nf);
  if (!ok) return err_set(err, 422, "bad_manifest", "manifest CSV header is not 编号,姓名,学院,文件名,SHA-256");
  while ((nf = csv_record(p, n, &pos, f, 6)) != 0) {
    line++;
    if (nf < 0) {
      manifest_free(out);
      return err_set(err, 422, "bad_manifest", "manifest line %d: bad quoting", line);
    }
    manifest_row r = {0};
    int bad = nf != 5 || copy_field(r.number, sizeof r.number, f[0]) ||
              copy_field(r.name_masked, sizeof r.name_masked, f[1]) || copy_field(r.college, sizeof r.college, f[2]) ||
              copy_field(r.file, sizeof r.file, f[3]) || copy_field(r.sha256, sizeof r.sha256, f[4]) ||
              !is_hex64(r.sha256);
    csv_fields_free(f, nf);
    if (bad) {
      manifest_free(out);
      return err_set(err, 422, "bad_manifest", "manifest line %d: expected 5 fields with a SHA-256", line);
    }
    manifest_add(out, &r);
  }
  return 0;
}
