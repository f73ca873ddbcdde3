/* roster_parse: header mapping, row validation and the CSV reader (see roster_parse.h). */
#include "identity/roster_parse.h"

#include <ctype.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/idcard.h"
#include "util/xmalloc.h"

enum { C_NO, C_NAME, C_ID, C_COLLEGE, C_MAJOR, C_DEGREE, C_YEAR, C_COUNT, C_PHOTO = C_COUNT };

/* The required columns, then the optional photo column (C_PHOTO). */
static const char *const col_names[C_COUNT + 1][5] = {
    {"学号", "student_no", "学生编号", 0, 0},
    {"姓名", "name", 0, 0, 0},
    {"身份证号", "id_number", "身份证号码", "证件号码", "证件号"},
    {"学院", "college", "院系", "所在学院", 0},
    {"专业", "major", "专业名称", 0, 0},
    {"学历层次", "degree", "培养层次", "层次", "学位类型"},
    {"毕业年份", "grad_year", "毕业年度", "届别", 0},
    {"照片", "照片文件", "照片文件名", "photo_file", "photo"},
};
static const char *const col_label[C_COUNT] = {"学号", "姓名", "身份证号", "学院", "专业", "学历层次", "毕业年份"};

/* Trims ASCII blanks and U+3000 (ideographic space) in place; returns the start. */
static char *trim(char *s) {
  for (;;) {
    if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
      s++;
    else if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80)
      s += 3;
    else
      break;
  }
  size_t n = strlen(s);
  for (;;) {
    if (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
      n--;
    else if (n >= 3 && (unsigned char)s[n - 3] == 0xE3 && (unsigned char)s[n - 2] == 0x80 &&
             (unsigned char)s[n - 1] == 0x80)
      n -= 3;
    else
      break;
  }
  s[n] = 0;
  return s;
}

int roster_map_header(char **cells, int n, roster_cols *cols, err_t *err) {
  for (int c = 0; c <= C_PHOTO; c++) cols->idx[c] = -1;
  for (int i = 0; i < n; i++) {
    char *h = trim(cells[i]);
    for (int c = 0; c <= C_PHOTO; c++)
      for (int k = 0; k < 5 && col_names[c][k]; k++)
        if (strcasecmp(h, col_names[c][k]) == 0 && cols->idx[c] < 0) cols->idx[c] = i;
  }
  for (int c = 0; c < C_COUNT; c++)
    if (cols->idx[c] < 0)
      return err_set(err, 400, "roster_header",
                     "第 1 行表头缺少“%s”列（需要：学号、姓名、身份证号、学院、专业、学历层次、毕业年份）",
                     col_label[c]);
  return 0;
}

static void add_error(roster_parsed *p, int line, const char *fmt, const char *arg) {
  p->n_errors_total++;
  if (p->n_errors >= ROSTER_MAX_ERRORS) return;
  if (!p->errors) p->errors = xcalloc(ROSTER_MAX_ERRORS, sizeof *p->errors);
  roster_error *e = &p->errors[p->n_errors++];
  e->line = line;
  snprintf(e->reason, sizeof e->reason, fmt, arg ? arg : "");
}

/* Number of UTF-8 characters, or -1 when not valid UTF-8 or it contains control characters. */
static int utf8_chars(const char *s) {
  int n = 0;
  const unsigned char *u = (const unsigned char *)s;
  while (*u) {
    int l = *u < 0x80 ? 1 : (*u & 0xE0) == 0xC0 ? 2 : (*u & 0xF0) == 0xE0 ? 3 : (*u & 0xF8) == 0xF0 ? 4 : 0;
    if (!l || (*u < 0x20)) return -1;
    for (int i = 1; i < l; i++)
      if ((u[i] & 0xC0) != 0x80) return -1;
    u += l;
    n++;
  }
  return n;
}

static int copy_field(char *dst, size_t cap, const char *src) {
  if (strlen(src) >= cap) return -1;
  strcpy(dst, src);
  return 0;
}

void roster_note_error(roster_parsed *p, int line, const char *reason) { add_error(p, line, "%s", reason); }

void roster_add_cells(roster_parsed *p, const roster_cols *cols, char **cells, int n, int line) {
  char *v[C_COUNT];
  int blank = 1;
  for (int c = 0; c < C_COUNT; c++) {
    int i = cols->idx[c];
    v[c] = i < n ? trim(cells[i]) : (char *)"";
    if (*v[c]) blank = 0;
  }
  if (blank) return; /* empty lines at the end of sheets are not errors */
  for (int c = 0; c < C_COUNT; c++) {
    if (!*v[c]) return add_error(p, line, "“%s”为空", col_label[c]);
    if (utf8_chars(v[c]) < 0) return add_error(p, line, "“%s”含有无效字符", col_label[c]);
  }
  roster_row r;
  memset(&r, 0, sizeof r);
  r.line = line;
  for (const char *s = v[C_NO]; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
      return add_error(p, line, "学号“%s”只能包含字母、数字和连字符", v[C_NO]);
  if (copy_field(r.student_no, 33, v[C_NO])) return add_error(p, line, "学号过长%s", NULL);
  int nc = utf8_chars(v[C_NAME]);
  if (nc > 30 || copy_field(r.name, sizeof r.name, v[C_NAME])) return add_error(p, line, "姓名过长%s", NULL);
  const char *why = NULL;
  if (!idcard_valid(v[C_ID], &why)) return add_error(p, line, "%s", why);
  idcard_normalize(v[C_ID], r.id_number);
  if (copy_field(r.college, sizeof r.college, v[C_COLLEGE])) return add_error(p, line, "学院名称过长%s", NULL);
  if (copy_field(r.major, sizeof r.major, v[C_MAJOR])) return add_error(p, line, "专业名称过长%s", NULL);
  if (strstr(v[C_DEGREE], "博士"))
    strcpy(r.degree, "博士");
  else if (strstr(v[C_DEGREE], "硕士"))
    strcpy(r.degree, "硕士");
  else
    return add_error(p, line, "学历层次“%s”无效，应为硕士或博士", strlen(v[C_DEGREE]) < 60 ? v[C_DEGREE] : "");
  char *end = NULL;
  long y = strtol(v[C_YEAR], &end, 10);
  while (end && (*end == ' ' || strcmp(end, "届") == 0 || strcmp(end, ".0") == 0)) end += strlen(end);
  if (!end || *end || y < 2000 || y > 2100)
    return add_error(p, line, "毕业年份“%s”无效", strlen(v[C_YEAR]) < 40 ? v[C_YEAR] : "");
  r.grad_year = (int)y;
  /* The optional photo file name: checked here for form only (the ZIP reader matches it). */
  int pi = cols->idx[C_PHOTO];
  const char *pf = pi >= 0 && pi < n ? trim(cells[pi]) : "";
  if (*pf && (utf8_chars(pf) < 0 || copy_field(r.photo_file, sizeof r.photo_file, pf)))
    return add_error(p, line, "“照片”列的文件名无效或过长%s", NULL);
  if (p->n_rows >= ROSTER_MAX_ROWS) return add_error(p, line, "超过单次导入上限（200000 行）%s", NULL);
  if (p->n_rows == p->cap_rows) {
    int cap = p->cap_rows ? p->cap_rows * 2 : 256;
    p->rows = xreallocarray(p->rows, (size_t)cap, sizeof *p->rows);
    p->cap_rows = cap;
  }
  p->rows[p->n_rows++] = r;
}

void roster_parsed_free(roster_parsed *p) {
  free(p->rows);
  free(p->errors);
  memset(p, 0, sizeof *p);
}

static int valid_utf8(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    unsigned char c = u[i];
    int l = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!l || i + (size_t)l > n) return 0;
    for (int k = 1; k < l; k++)
      if ((u[i + k] & 0xC0) != 0x80) return 0;
    i += (size_t)l;
  }
  return 1;
}

/* GB18030 (a superset of GBK, what Excel in China writes) to UTF-8; malloc'd, NULL on bad bytes. */
static char *gbk_to_utf8(const char *in, size_t n, size_t *out_len) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == (iconv_t)-1) return NULL;
  size_t cap = n * 2 + 16;
  char *out = xmalloc(cap);
  char *ip = (char *)in, *op = out;
  size_t il = n, ol = cap - 1;
  size_t rc = iconv(cd, &ip, &il, &op, &ol);
  iconv_close(cd);
  if (rc == (size_t)-1) {
    free(out);
    return NULL;
  }
  *op = 0;
  *out_len = (size_t)(op - out);
  return out;
}

/* RFC 4180 reader over UTF-8 text: quoted fields, doubled quotes, CRLF or LF, newlines in quotes. */
static int parse_utf8_csv(char *s, size_t n, roster_parsed *out, err_t *err) {
  int cap = 16, nc = 0, line = 1, rec_line = 1, have_header = 0;
  char **cells = xmallocarray((size_t)cap, sizeof *cells);
  roster_cols cols;
  size_t i = 0;
  int rc = 0;
  while (i <= n && rc == 0) {
    /* One record: read fields in place (quoted fields are unescaped into their own bytes). */
    nc = 0;
    rec_line = line;
    int end_rec = 0;
    while (!end_rec) {
      if (nc == cap) {
        cap *= 2;
        cells = xreallocarray(cells, (size_t)cap, sizeof *cells);
      }
      char *w = s + i, *start = s + i;
      if (i < n && s[i] == '"') {
        i++;
        for (;;) {
          if (i >= n) break; /* unterminated quote: take what we have */
          if (s[i] == '"') {
            if (i + 1 < n && s[i + 1] == '"') {
              *w++ = '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (s[i] == '\n') line++;
          *w++ = s[i++];
        }
        while (i < n && s[i] != ',' && s[i] != '\n') i++; /* junk after the closing quote */
      } else {
        while (i < n && s[i] != ',' && s[i] != '\n') *w++ = s[i++];
      }
      char term = i < n ? s[i] : '\n';
      *w = 0;
      cells[nc++] = start;
      i++;
      if (term == '\n') {
        end_rec = 1;
        line++;
      }
    }
    if (!have_header) {
      if (nc == 1 && !*trim(cells[0]) && i <= n) continue; /* blank lines before the header */
      if (roster_map_header(cells, nc, &cols, err) != 0) rc = -1;
      have_header = 1;
    } else {
      roster_add_cells(out, &cols, cells, nc, rec_line);
    }
  }
  free(cells);
  if (rc == 0 && !have_header) return err_set(err, 400, "roster_empty", "名单文件为空");
  return rc;
}

int roster_parse_csv(const char *data, size_t len, roster_parsed *out, err_t *err) {
  memset(out, 0, sizeof *out);
  if (len > ROSTER_MAX_BYTES) return err_set(err, 413, "roster_too_large", "名单文件过大（上限 64 MB）");
  char *text = NULL;
  size_t n = 0;
  if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    len -= 3;
    if (!valid_utf8(data, len))
      return err_set(err, 400, "roster_encoding", "文件标记为 UTF-8，但内容不是有效的 UTF-8 编码");
  }
  if (memchr(data, 0, len)) return err_set(err, 400, "roster_format", "无法识别的名单文件，请上传 CSV 或 XLSX 文件");
  if (valid_utf8(data, len)) {
    text = xmalloc(len + 1);
    memcpy(text, data, len);
    text[len] = 0;
    n = len;
  } else {
    text = gbk_to_utf8(data, len, &n);
    if (!text) return err_set(err, 400, "roster_encoding", "无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV");
  }
  int rc = parse_utf8_csv(text, n, out, err);
  free(text);
  if (rc != 0) roster_parsed_free(out);
  return rc;
}

int roster_parse_file(const char *path, roster_parsed *out, err_t *err) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) return err_set(err, 400, "roster_read", "无法读取名单文件");
  char magic[4] = {0};
  size_t m = fread(magic, 1, 4, f);
  if (m == 4 && memcmp(magic, "PK\x03\x04", 4) == 0) {
    fclose(f);
    return roster_parse_xlsx(path, out, err);
  }
  if (fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return err_set(err, 400, "roster_read", "无法读取名单文件");
  }
  long size = ftell(f);
  if (size < 0 || (unsigned long)size > ROSTER_MAX_BYTES) {
    fclose(f);
    return err_set(err, 413, "roster_too_large", "名单文件过大（上限 64 MB）");
  }
  rewind(f);
  char *buf = xmalloc((size_t)size + 1);
  size_t got = fread(buf, 1, (size_t)size, f);
  fclose(f);
  int rc = roster_parse_csv(buf, got, out, err);
  free(buf);
  return rc;
}
