/* tar: the little of the POSIX ustar format a backup needs: regular files with names of at most
 * 99 bytes, written and read as streams (a photo is never held whole), each entry's SHA-256
 * computed on the way. Any `tar tf` lists a backup; `tar xf` unpacks it.
 * A reader treats the archive as hostile: a bad header checksum, a non-regular entry or a name
 * outside [A-Za-z0-9._-/] (no "..", no leading '/') is an error, never a path on disk. */
#ifndef TUCAI_BACKUP_TAR_H
#define TUCAI_BACKUP_TAR_H

#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

#define TAR_NAME_MAX 99

/* Appends the file at path (its size when opened) as `name`; sha256 and size out. */
int tar_put_file(FILE *out, const char *name, const char *path, uint8_t sha256[32], uint64_t *size, err_t *err);
/* Appends bytes as `name`. */
int tar_put_bytes(FILE *out, const char *name, const void *bytes, size_t len, err_t *err);
/* The two zero blocks that end an archive. */
int tar_finish(FILE *out, err_t *err);

/* Reads the next header: 1 with name and size, 0 at the end of the archive, -1 on a bad one. */
int tar_next(FILE *in, char name[TAR_NAME_MAX + 1], uint64_t *size, err_t *err);
/* Reads the body of the entry just announced (size bytes and its padding) into `to` (NULL: only
 * hashed), computing its SHA-256. */
int tar_read_body(FILE *in, uint64_t size, FILE *to, uint8_t sha256[32], err_t *err);

#endif
