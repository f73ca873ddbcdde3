/* archive: a backup's tar file as streams. The ustar headers and the strict member checks are the
 * export package's (export/tar.h); this adds what a backup needs beyond them: members copied from
 * files of any size without holding them in memory, read back the same way, each one's SHA-256
 * computed on the way. Any `tar tf` lists a backup; `tar xf` unpacks it.
 * A reader treats the file as hostile: a damaged header, a non-regular member or a name outside
 * export/tar.h's rules is an error ("backup_corrupt"), never a path on disk. */
#ifndef TUCAI_BACKUP_ARCHIVE_H
#define TUCAI_BACKUP_ARCHIVE_H

#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

#define ARCHIVE_NAME_MAX 99

/* Appends the file at path (its size when opened) as `name`; sha256 and size out. A file gone
 * meanwhile is a 404. */
int archive_put_file(FILE *out, const char *name, const char *path, uint8_t sha256[32], uint64_t *size, err_t *err);
/* Appends bytes as `name`. */
int archive_put_bytes(FILE *out, const char *name, const void *bytes, size_t len, err_t *err);
/* The two zero blocks that end an archive. */
int archive_finish(FILE *out, err_t *err);

/* Reads the next header: 1 with name and size, 0 at the end of the archive, -1 on a bad one. */
int archive_next(FILE *in, char name[ARCHIVE_NAME_MAX + 1], uint64_t *size, err_t *err);
/* Reads the body of the member just announced (size bytes and its padding) into `to` (NULL: only
 * hashed), computing its SHA-256. */
int archive_read_body(FILE *in, uint64_t size, FILE *to, uint8_t sha256[32], err_t *err);

#endif
