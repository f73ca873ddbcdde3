/* roster_xlsx: the XLSX reader for rosters (libzip + expat), streaming so that a large sheet never
 * sits in memory as XML. Reads the first sheet of the workbook; shared strings, inline strings and
 * numbers are supported; formulas are read by their cached value. */
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "identity/roster_parse.h"
#include "util/xmalloc.h"
#include "util/number.h"

#define XLSX_MAX_ENTRY (256u * 1024 * 1024) /* refuse zip bombs: uncompressed size of one part */
#define MAX_COLS 64
#define CELL_MAX 512

typedef void (*xml_start)(void *, const XML_Char *, const XML_Char **);
typedef void (*xml_end)(void *, const XML_Char *);
typedef void (*xml_text)(void *, const XML_Char *, int);

/* Streams one zip entry through expat. 1 when the entry is missing, -1 on error. */
static int parse_entry(zip_t *z, const char *name, void *ud, xml_start s, xml_end e, xml_text t) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z, name, 0, &st) != 0) return 1;
  if ((st.valid & ZIP_STAT_SIZE) && st.size > XLSX_MAX_ENTRY) return -1;
  zip_file_t *f = zip_fopen(z, name, 0);
  if (!f) return -1;
  XML_Parser p = XML_ParserCreate("UTF-8");
  XML_SetUserData(p, ud);
  XML_SetElementHandler(p, s, e);
  XML_SetCharacterDataHandler(p, t);
  char buf[65536];
  zip_int64_t n;
  uint64_t total = 0;
  int rc = 0;
  while ((n = zip_fread(f, buf, sizeof buf)) > 0) {
    total += (uint64_t)n;
    if (total > XLSX_MAX_ENTRY || XML_Parse(p, buf, (int)n, 0) == XML_STATUS_ERROR) {
      rc = -1;
      break;
    }
  }
  if (rc == 0 && (n < 0 || XML_Parse(p, buf, 0, 1) == XML_STATUS_ERROR)) rc = -1;
  XML_ParserFree(p);
  zip_fclose(f);
  return rc;
}

static const char *local(const char *name) {
  const char *c = strrchr(name, ':');
  return c ? c + 1 : name;
}
static const char *attr(const XML_Char **a, const char *name) {
  for (int i = 0; a[i]; i += 2)
    if (strcmp(local(a[i]), name) == 0 && (strchr(a[i], ':') == NULL) == (strchr(name, ':') == NULL)) return a[i + 1];
  for (int i = 0; a[i]; i += 2)
    if (strcmp(a[i], name) == 0) return a[i + 1];
  return NULL;
}

/* --- workbook.xml and its relationships: the path of the first sheet --- */
struct wb {
  char first_rid[64];
  char target[256];
};
static void wb_start(void *ud, const XML_Char *n, const XML_Char **a) {
  struct wb *w = ud;
  if (strcmp(local(n), "sheet") == 0 && !w->first_rid[0]) {
    for (int i = 0; a[i]; i += 2)
      if (strcmp(local(a[i]), "id") == 0 && strchr(a[i], ':'))
        snprintf(w->first_rid, sizeof w->first_rid, "%s", a[i + 1]);
  }
}
static void rel_start(void *ud, const XML_Char *n, const XML_Char **a) {
  struct wb *w = ud;
  if (strcmp(local(n), "Relationship") != 0 || w->target[0]) return;
  const char *id = attr(a, "Id"), *t = attr(a, "Target");
  if (id && t && strcmp(id, w->first_rid) == 0) {
    if (t[0] == '/')
      snprintf(w->target, sizeof w->target, "%s", t + 1);
    else
      snprintf(w->target, sizeof w->target, "xl/%s", t);
  }
}
static void no_end(void *ud, const XML_Char *n) { (void)ud, (void)n; }
static void no_text(void *ud, const XML_Char *s, int len) { (void)ud, (void)s, (void)len; }

/* --- sharedStrings.xml --- */
struct sst {
  char **items;
  int n, cap;
  char cur[CELL_MAX];
  size_t len;
  int in_si, in_t, in_rph;
  int failed;
};
static void sst_start(void *ud, const XML_Char *n, const XML_Char **a) {
  (void)a;
  struct sst *s = ud;
  const char *l = local(n);
  if (strcmp(l, "si") == 0) {
    s->in_si = 1;
    s->len = 0;
    s->cur[0] = 0;
  } else if (strcmp(l, "t") == 0 && s->in_si && !s->in_rph) {
    s->in_t = 1;
  } else if (strcmp(l, "rPh") == 0) {
    s->in_rph = 1; /* phonetic runs are not part of the text */
  }
}
static void sst_end(void *ud, const XML_Char *n) {
  struct sst *s = ud;
  const char *l = local(n);
  if (strcmp(l, "t") == 0)
    s->in_t = 0;
  else if (strcmp(l, "rPh") == 0)
    s->in_rph = 0;
  else if (strcmp(l, "si") == 0) {
    s->in_si = 0;
    if (s->n == s->cap) {
      int cap = s->cap ? s->cap * 2 : 1024;
      if (cap > 4 * ROSTER_MAX_ROWS * 8) {
        s->failed = 1;
        return;
      }
      s->items = xreallocarray(s->items, (size_t)cap, sizeof *s->items);
      s->cap = cap;
    }
    s->items[s->n++] = xstrdup(s->cur);
  }
}
static void sst_text(void *ud, const XML_Char *t, int len) {
  struct sst *s = ud;
  if (!s->in_t) return;
  size_t room = CELL_MAX - 1 - s->len;
  size_t k = (size_t)len < room ? (size_t)len : room;
  memcpy(s->cur + s->len, t, k);
  s->len += k;
  s->cur[s->len] = 0;
}

/* --- the sheet --- */
struct sheet {
  struct sst *sst;
  roster_parsed *out;
  roster_cols cols;
  int have_header;
  err_t *err;
  int header_failed;
  char cells[MAX_COLS][CELL_MAX];
  char *ptrs[MAX_COLS];
  int ncells;
  int row;
  int col; /* current cell column, -1 when outside */
  char type[16];
  char val[CELL_MAX];
  size_t vlen;
  int in_v;
};
static int col_from_ref(const char *r) {
  int c = 0, k = 0;
  while (*r >= 'A' && *r <= 'Z' && k < 4) {
    c = c * 26 + (*r - 'A' + 1);
    r++;
    k++;
  }
  return c - 1;
}
static void row_done(struct sheet *s) {
  if (s->header_failed) return;
  for (int i = 0; i < MAX_COLS; i++) s->ptrs[i] = s->cells[i];
  if (!s->have_header) {
    if (s->ncells == 0) return;
    if (roster_map_header(s->ptrs, s->ncells, &s->cols, s->err) != 0) s->header_failed = 1;
    s->have_header = 1;
  } else {
    roster_add_cells(s->out, &s->cols, s->ptrs, s->ncells, s->row);
  }
}
static void sh_start(void *ud, const XML_Char *n, const XML_Char **a) {
  struct sheet *s = ud;
  const char *l = local(n);
  if (strcmp(l, "row") == 0) {
    const char *r = attr(a, "r");
    /* A row number the file gives must be one (1..1048576, Excel's limit); otherwise the next. */
    int row;
    s->row = r && parse_int(r, 1, 1048576, &row) == 0 ? row : s->row + 1;
    s->ncells = 0;
    for (int i = 0; i < MAX_COLS; i++) s->cells[i][0] = 0;
  } else if (strcmp(l, "c") == 0) {
    const char *r = attr(a, "r"), *t = attr(a, "t");
    s->col = r ? col_from_ref(r) : s->ncells;
    snprintf(s->type, sizeof s->type, "%s", t ? t : "n");
    s->vlen = 0;
    s->val[0] = 0;
  } else if ((strcmp(l, "v") == 0 || strcmp(l, "t") == 0) && s->col >= 0) {
    s->in_v = 1;
  }
}
static void sh_end(void *ud, const XML_Char *n) {
  struct sheet *s = ud;
  const char *l = local(n);
  if (strcmp(l, "v") == 0 || strcmp(l, "t") == 0) {
    s->in_v = 0;
  } else if (strcmp(l, "c") == 0) {
    if (s->col >= 0 && s->col < MAX_COLS) {
      const char *v = s->val;
      if (strcmp(s->type, "s") == 0) {
        char *end;
        long k = strtol(s->val, &end, 10);
        v = (*s->val && !*end && k >= 0 && k < s->sst->n && s->sst->items[k]) ? s->sst->items[k] : "";
      }
      snprintf(s->cells[s->col], CELL_MAX, "%s", v);
      if (s->col + 1 > s->ncells) s->ncells = s->col + 1;
    }
    s->col = -1;
  } else if (strcmp(l, "row") == 0) {
    row_done(s);
  }
}
static void sh_text(void *ud, const XML_Char *t, int len) {
  struct sheet *s = ud;
  if (!s->in_v) return;
  size_t room = CELL_MAX - 1 - s->vlen;
  size_t k = (size_t)len < room ? (size_t)len : room;
  memcpy(s->val + s->vlen, t, k);
  s->vlen += k;
  s->val[s->vlen] = 0;
}

int roster_parse_xlsx(const char *path, roster_parsed *out, err_t *err) {
  memset(out, 0, sizeof *out);
  int zerr = 0;
  zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
  if (!z) return err_set(err, 400, "roster_format", "无法打开 XLSX 文件，文件可能已损坏");
  struct wb wb;
  memset(&wb, 0, sizeof wb);
  if (parse_entry(z, "xl/workbook.xml", &wb, wb_start, no_end, no_text) == 0 && wb.first_rid[0])
    parse_entry(z, "xl/_rels/workbook.xml.rels", &wb, rel_start, no_end, no_text);
  if (!wb.target[0]) snprintf(wb.target, sizeof wb.target, "xl/worksheets/sheet1.xml");
  struct sst sst;
  memset(&sst, 0, sizeof sst);
  int rc = 0;
  if (parse_entry(z, "xl/sharedStrings.xml", &sst, sst_start, sst_end, sst_text) < 0 || sst.failed) {
    rc = err_set(err, 400, "roster_format", "XLSX 文件的共享字符串表无法解析");
  }
  struct sheet *sh = NULL;
  if (rc == 0) {
    sh = xcalloc(1, sizeof *sh);
    sh->sst = &sst;
    sh->out = out;
    sh->err = err;
    sh->col = -1;
    int prc = parse_entry(z, wb.target, sh, sh_start, sh_end, sh_text);
    if (sh->header_failed)
      rc = -1;
    else if (prc != 0)
      rc = err_set(err, 400, "roster_format", "XLSX 文件中的工作表无法解析");
    else if (!sh->have_header)
      rc = err_set(err, 400, "roster_empty", "名单文件为空");
  }
  free(sh);
  for (int i = 0; i < sst.n; i++) free(sst.items[i]);
  free(sst.items);
  zip_close(z);
  if (rc != 0) roster_parsed_free(out);
  return rc;
}
