/* reference_zip: see reference_zip.h. */
#include "identity/reference_zip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "export/jpeg_info.h"
#include "util/image_type.h"
#include "util/xmalloc.h"

typedef struct key_row {
  const char *key;
  int row;
} key_row;

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const key_row *)a)->key, ((const key_row *)b)->key);
}

static int find(const key_row *k, int n, const char *key) {
  key_row want = {key, 0};
  const key_row *hit = n ? bsearch(&want, k, (size_t)n, sizeof *k, cmp_key) : NULL;
  return hit ? hit->row : -1;
}

static void note(reference_zip *rz, int line, const char *file, const char *fmt, const char *arg) {
  rz->n_errors_total++;
  if (rz->n_errors >= REF_MAX_ERRORS) return;
  if (!rz->errors) {
    rz->errors = xcalloc(REF_MAX_ERRORS, sizeof *rz->errors);
  }
  reference_zip_error *e = &rz->errors[rz->n_errors++];
  e->line = line;
  snprintf(e->file, sizeof e->file, "%s", file ? file : "");
  snprintf(e->reason, sizeof e->reason, fmt, arg ? arg : "");
}

/* A name that points outside a folder (absolute, "..", a drive, backslashes) or hides characters. */
static int path_trick(const char *name) {
  if (name[0] == '/' || strchr(name, '\\') || strchr(name, ':')) return 1;
  for (const unsigned char *u = (const unsigned char *)name; *u; u++)
    if (*u < 0x20 || *u == 0x7f) return 1;
  const char *s = name;
  while (*s) {
    const char *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n == 2 && s[0] == '.' && s[1] == '.') return 1;
    s += n;
    if (*s == '/') s++;
  }
  return 0;
}

static int metadata(const char *name, const char *base) {
  return !strncmp(name, "__MACOSX/", 9) || strstr(name, "/__MACOSX/") || base[0] == '.';
}

/* The file name without ".jpg"/".jpeg" into stem; 0 when it has neither extension. */
static int jpeg_stem(const char *base, char *stem, size_t cap) {
  const char *dot = strrchr(base, '.');
  if (!dot || (strcasecmp(dot, ".jpg") && strcasecmp(dot, ".jpeg"))) return 0;
  size_t n = (size_t)(dot - base);
  if (n == 0 || n >= cap) return 0;
  memcpy(stem, base, n);
  stem[n] = 0;
  return 1;
}

/* Reads entry `index` whole, at most `declared` bytes: a stream that runs longer than its header
 * says (a forged size) or fails its CRC is corrupt. */
static int read_entry(zip_t *z, uint64_t index, uint64_t declared, uint8_t **out, size_t *len, err_t *err) {
  *out = NULL;
  *len = 0;
  if (declared == 0 || declared > REF_MAX_PHOTO_BYTES)
    return err_set(err, 422, "reference_photo_size", "照片大小不正确");
  zip_file_t *f = zip_fopen_index(z, index, 0);
  if (!f) return err_set(err, 422, "reference_photo_corrupt", "文件无法解压，压缩包可能已损坏");
  uint8_t *buf = xmalloc((size_t)declared + 1);
  uint64_t got = 0;
  zip_int64_t n = 0;
  while (got <= declared && (n = zip_fread(f, buf + got, (zip_uint64_t)(declared + 1 - got))) > 0) got += (uint64_t)n;
  zip_fclose(f);
  if (n < 0 || got != declared) {
    free(buf);
    return err_set(err, 422, "reference_photo_corrupt", "文件无法解压，压缩包可能已损坏");
  }
  *out = buf;
  *len = (size_t)got;
  return 0;
}

/* JPEG by its bytes, not its name; the size from its markers, before anything decodes it. */
static const char *photo_problem(const uint8_t *b, size_t n) {
  const char *type = image_type_of(b, n);
  if (!type || strcmp(type, "image/jpeg")) return "不是 JPEG 照片（内容不是 JPEG 格式）";
  jpeg_info ji;
  if (jpeg_info_read(b, n, &ji) != 0) return "JPEG 文件已损坏或不完整";
  if (ji.width > REF_MAX_SIDE || ji.height > REF_MAX_SIDE || (long)ji.width * ji.height > REF_MAX_PIXELS)
    return "照片尺寸过大（每边不超过 6000 像素）";
  if (ji.width < REF_MIN_SIDE || ji.height < REF_MIN_SIDE) return "照片太小（每边至少 64 像素）";
  return NULL;
}

/* The declared sizes first: a bomb is refused before a byte of it is inflated. */
static int check_declared_sizes(zip_t *z, zip_int64_t n, err_t *err) {
  uint64_t total = 0;
  for (zip_int64_t i = 0; i < n; i++) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_NAME))
      return err_set(err, 400, "reference_zip_format", "照片压缩包已损坏（无法读取文件目录）");
    total += st.size;
    if (total > REF_MAX_TOTAL_BYTES)
      return err_set(err, 413, "reference_zip_too_large", "照片压缩包解压后过大（上限 1 GB）");
  }
  return 0;
}

/* The roster's rows by the key a ZIP entry is matched on: the file that the row's "照片" column
 * names, or else the student number (the entry's stem); and what each row has been given. */
typedef struct matcher {
  key_row *by_no, *by_file;
  int nno, nfile;
  int *taken;       /* entry index + 1 of the row's photo */
  int *named_found; /* 1 when the file the row names is in the ZIP */
} matcher;

static void matcher_init(matcher *m, const roster_parsed *p) {
  m->by_no = xcalloc((size_t)p->n_rows + 1, sizeof *m->by_no);
  m->by_file = xcalloc((size_t)p->n_rows + 1, sizeof *m->by_file);
  m->taken = xcalloc((size_t)p->n_rows + 1, sizeof *m->taken);
  m->named_found = xcalloc((size_t)p->n_rows + 1, sizeof *m->named_found);
  m->nno = m->nfile = 0;
  for (int r = 0; r < p->n_rows; r++) {
    if (p->rows[r].photo_file[0])
      m->by_file[m->nfile++] = (key_row){p->rows[r].photo_file, r};
    else
      m->by_no[m->nno++] = (key_row){p->rows[r].student_no, r};
  }
  qsort(m->by_no, (size_t)m->nno, sizeof *m->by_no, cmp_key);
  qsort(m->by_file, (size_t)m->nfile, sizeof *m->by_file, cmp_key);
}

static void matcher_free(matcher *m) { free(m->by_no), free(m->by_file), free(m->taken), free(m->named_found); }

/* The entry's name, judged before its bytes: 1 when it may be a photo (stem and base set), 0 when
 * it was skipped (a folder, the OS's metadata) or noted as refused. */
static int entry_name_ok(reference_zip *rz, const zip_stat_t *st, const char **base, char stem[64]) {
  const char *name = st->name;
  size_t nl = strlen(name);
  if (nl == 0 || name[nl - 1] == '/') {
    rz->n_skipped++;
    return 0;
  }
  if (nl > 255) {
    note(rz, 0, name, "文件名过长%s", NULL);
    return 0;
  }
  if (path_trick(name)) {
    note(rz, 0, name, "文件名含有绝对路径、“..”或特殊字符，不允许%s", NULL);
    return 0;
  }
  const char *slash = strrchr(name, '/');
  *base = slash ? slash + 1 : name;
  if (metadata(name, *base)) {
    rz->n_skipped++;
    return 0;
  }
  if ((st->valid & ZIP_STAT_ENCRYPTION_METHOD) && st->encryption_method != ZIP_EM_NONE) {
    note(rz, 0, name, "文件已加密，请上传未加密的压缩包%s", NULL);
    return 0;
  }
  if (!jpeg_stem(*base, stem, 64)) {
    note(rz, 0, name, "只接受 JPEG 照片（扩展名 .jpg 或 .jpeg）%s", NULL);
    return 0;
  }
  return 1;
}

/* The roster row an entry belongs to (by the file a row names, whole path or base name, else by
 * the student number in its stem), or -1 (noted). */
static int entry_row(reference_zip *rz, matcher *m, const char *name, const char *base, const char *stem) {
  int row = find(m->by_file, m->nfile, name);
  if (row < 0) row = find(m->by_file, m->nfile, base);
  if (row >= 0)
    m->named_found[row] = 1;
  else
    row = find(m->by_no, m->nno, stem);
  if (row < 0) note(rz, 0, name, "名单中没有学号为“%s”的学生，“照片”列也没有指向这个文件", stem);
  return row;
}

/* Whether the entry that matched `row` is that student's photo: the only one, of a sane size and
 * compression, and a JPEG of sane dimensions by its bytes. 1: yes; 0: noted; -1: the ZIP could
 * not be read (err set). */
static int entry_photo_ok(reference_zip *rz, zip_t *z, zip_int64_t i, const zip_stat_t *st, const roster_parsed *p,
                          const matcher *m, int row, err_t *err) {
  const char *name = st->name;
  int line = p->rows[row].line;
  if (m->taken[row]) {
    char why[200];
    snprintf(why, sizeof why, "学号 %s 有不止一张照片（另一张是 %.80s）", p->rows[row].student_no,
             rz->photos[m->taken[row] - 1].file);
    note(rz, line, name, "%s", why);
    return 0;
  }
  if (st->size == 0) {
    note(rz, line, name, "文件为空%s", NULL);
    return 0;
  }
  if (st->size > REF_MAX_PHOTO_BYTES) {
    note(rz, line, name, "照片文件过大（上限 4 MB）%s", NULL);
    return 0;
  }
  /* JPEG data hardly deflates; an entry that shrank twentyfold is no photo (and may be a bomb):
   * refused without inflating it. */
  if ((st->valid & ZIP_STAT_COMP_SIZE) && st->size > 65536 && st->size / (st->comp_size ? st->comp_size : 1) > 20) {
    note(rz, line, name, "不是 JPEG 照片（压缩比异常）%s", NULL);
    return 0;
  }
  uint8_t *bytes = NULL;
  size_t len = 0;
  err_t e2 = {0};
  if (read_entry(z, (uint64_t)i, st->size, &bytes, &len, &e2) != 0) {
    if (e2.status == 0) {
      *err = e2;
      return -1;
    }
    note(rz, line, name, "%s", e2.message);
    return 0;
  }
  const char *why = photo_problem(bytes, len);
  free(bytes);
  if (why) {
    note(rz, line, name, "%s", why);
    return 0;
  }
  return 1;
}

int reference_zip_open(const char *path, const roster_parsed *p, reference_zip *rz, err_t *err) {
  memset(rz, 0, sizeof *rz);
  int zerr = 0;
  zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
  if (!z) return err_set(err, 400, "reference_zip_format", "无法打开照片压缩包：不是有效的 ZIP 文件");
  rz->zip = z;
  zip_int64_t n = zip_get_num_entries(z, 0);
  if (n < 0 || n > REF_MAX_ENTRIES)
    return err_set(err, 413, "reference_zip_too_many", "照片压缩包中的文件过多（上限 %d 个）", REF_MAX_ENTRIES);
  if (check_declared_sizes(z, n, err)) return -1;
  matcher m;
  matcher_init(&m, p);
  rz->photos = xcalloc((size_t)(n < p->n_rows ? n : p->n_rows) + 1, sizeof *rz->photos);
  for (zip_int64_t i = 0; i < n; i++) {
    zip_stat_t st;
    zip_stat_init(&st);
    zip_stat_index(z, (zip_uint64_t)i, 0, &st);
    const char *base = NULL;
    char stem[64];
    if (!entry_name_ok(rz, &st, &base, stem)) continue;
    int row = entry_row(rz, &m, st.name, base, stem);
    if (row < 0) continue;
    int ok = entry_photo_ok(rz, z, i, &st, p, &m, row, err);
    if (ok < 0) {
      matcher_free(&m);
      return -1;
    }
    if (!ok) continue;
    reference_photo *ph = &rz->photos[rz->n_photos++];
    ph->row = row;
    ph->index = (uint64_t)i;
    ph->size = st.size;
    snprintf(ph->file, sizeof ph->file, "%s", st.name);
    m.taken[row] = rz->n_photos;
  }
  /* A row that names a file the ZIP does not have is the office's mistake to see, not a photo
   * silently missing. */
  for (int k = 0; k < m.nfile; k++)
    if (!m.named_found[m.by_file[k].row])
      note(rz, p->rows[m.by_file[k].row].line, m.by_file[k].key, "“照片”列指向的文件不在压缩包中%s", NULL);
  matcher_free(&m);
  return 0;
}

int reference_zip_read(reference_zip *rz, int i, uint8_t **bytes, size_t *len, err_t *err) {
  if (!rz || !rz->zip || i < 0 || i >= rz->n_photos) return err_set(err, 0, "bad_index", "no such reference photo");
  const reference_photo *ph = &rz->photos[i];
  if (read_entry(rz->zip, ph->index, ph->size, bytes, len, err) != 0) return -1;
  /* Checked on the first pass already; checked again because these are the bytes stored. */
  const char *why = photo_problem(*bytes, *len);
  if (why) {
    free(*bytes);
    *bytes = NULL;
    return err_set(err, 422, "reference_photo_invalid", "%s：%s", ph->file, why);
  }
  return 0;
}

void reference_zip_close(reference_zip *rz) {
  if (!rz) return;
  if (rz->zip) zip_discard(rz->zip);
  free(rz->photos);
  free(rz->errors);
  memset(rz, 0, sizeof *rz);
}
