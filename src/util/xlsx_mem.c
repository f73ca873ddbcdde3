#include "util/xlsx_mem.h"
#include "util/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

lxw_workbook *xlsx_mem_open(const char *tmp_dir, char path[XLSX_MEM_PATH], err_t *err) {
  snprintf(path, XLSX_MEM_PATH, "%s/sheet-XXXXXX", tmp_dir && *tmp_dir ? tmp_dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) {
    err_set(err, 0, "xlsx_failed", "cannot create a temporary file");
    return NULL;
  }
  close(fd);
  lxw_workbook *wb = workbook_new(path);
  if (!wb) {
    unlink(path);
    err_set(err, 0, "xlsx_failed", "cannot start the workbook");
  }
  return wb;
}

int xlsx_mem_close(lxw_workbook *wb, const char *path, uint8_t **out, size_t *len, err_t *err) {
  *out = NULL;
  *len = 0;
  int rc = workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
  FILE *f = rc ? NULL : fopen(path, "rb");
  long n = -1;
  if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
    *out = xmalloc((size_t)n);
    if (fread(*out, 1, (size_t)n, f) == (size_t)n)
      *len = (size_t)n;
    else
      rc = -1;
  } else {
    rc = -1;
  }
  if (f) fclose(f);
  unlink(path);
  if (rc) {
    free(*out);
    *out = NULL;
    return err_set(err, 0, "xlsx_failed", "cannot write the workbook");
  }
  return 0;
}
