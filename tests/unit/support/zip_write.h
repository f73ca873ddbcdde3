/* zip_write: writes a ZIP archive from members in memory, for the tests and the fuzz harnesses
 * that feed ZIP readers (reference photos, XLSX rosters). The product only reads ZIPs, so this
 * lives beside the tests; fuzz/CMakeLists.txt compiles it into every harness. Members are added
 * in order with libzip, replacing an earlier member of the same name; a member without data
 * whose name ends in '/' is a folder (one with data keeps its hostile name as a file). Stored members let a fuzzer reach names and contents without forging CRCs and deflate
 * streams; deflated ones are what office software writes. */
#ifndef TUCAI_TEST_ZIP_WRITE_H
#define TUCAI_TEST_ZIP_WRITE_H

#include <stddef.h>

typedef struct zip_member {
  const char *name;
  const void *data;
  size_t len;
} zip_member;

enum { ZIP_WRITE_DEFLATE = 0, ZIP_WRITE_STORE = 1 };

/* Writes the n members to path (replacing it). Returns how many members libzip took (one it
 * refuses, such as an empty name, is left out), or -1 when the archive could not be written (no
 * file at path then). */
int zip_write_file(const char *path, const zip_member *m, int n, int method);

#endif
