/* xlsx_mem: libxlsxwriter writes workbooks to a file; the API answers with bytes. These two wrap
 * that once for every spreadsheet we produce (manifests, not-done lists, payment lists): open a
 * workbook on a private temporary file in tmp_dir, and close it returning its bytes (malloc'd,
 * the caller frees) with the file removed, whatever happened. */
#ifndef TUCAI_UTIL_XLSX_MEM_H
#define TUCAI_UTIL_XLSX_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <xlsxwriter.h>

#include "util/err.h"

#define XLSX_MEM_PATH 1024

/* NULL with err on failure. `path` receives the temporary file's name for xlsx_mem_close. */
lxw_workbook *xlsx_mem_open(const char *tmp_dir, char path[XLSX_MEM_PATH], err_t *err);
int xlsx_mem_close(lxw_workbook *wb, const char *path, uint8_t **out, size_t *len, err_t *err);

#endif
