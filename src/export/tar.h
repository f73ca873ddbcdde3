/* tar: the plain archive inside an export package (POSIX ustar, regular files only).
 *
 * Why our own: the package is produced and consumed as a stream (written straight into the
 * encryption, read straight out of the decryption), and only regular files with short, checked
 * names are allowed, so a small writer and a strict reader are safer than a general library.
 * The writer emits bytes through a callback; the reader is fed bytes and calls back per file. */
#ifndef TUCAI_EXPORT_TAR_H
#define TUCAI_EXPORT_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Where the writer's bytes go; returns 0 or -1 (and fills err). */
typedef int (*tar_sink)(void *ctx, const uint8_t *p, size_t n, err_t *err);

/* Appends one regular file (name up to 99 bytes, no "..", no leading '/'). */
int tar_write_file(tar_sink sink, void *ctx, const char *name, const uint8_t *data, size_t len, int64_t mtime_s,
                   err_t *err);
/* The same in pieces, for a member streamed from elsewhere (src/backup/archive.c): its header,
 * then its `len` bytes by the caller through the sink, then the padding after them. */
int tar_write_header(tar_sink sink, void *ctx, const char *name, uint64_t len, int64_t mtime_s, err_t *err);
int tar_write_pad(tar_sink sink, void *ctx, uint64_t len, err_t *err);
/* Writes the two zero blocks that end an archive. */
int tar_write_end(tar_sink sink, void *ctx, err_t *err);

/* Streaming reader. Files larger than max_file are refused. */
typedef int (*tar_on_file)(void *ctx, const char *name, const uint8_t *data, size_t len, err_t *err);
typedef struct tar_reader tar_reader;
tar_reader *tar_reader_new(size_t max_file, tar_on_file cb, void *ctx);
int tar_reader_feed(tar_reader *r, const uint8_t *p, size_t n, err_t *err);
/* 0 when the archive ended properly (end blocks seen, nothing pending), -1 otherwise. */
int tar_reader_finish(tar_reader *r, err_t *err);
void tar_reader_free(tar_reader *r);

/* Checks one 512-byte header block the strict reader's way (checksum, ustar, regular file, name,
 * size): 1 with the member's name and size, 0 for an all-zero block, -1 (422 bad_archive). */
int tar_header_parse(const uint8_t h[512], char name[100], uint64_t *size, err_t *err);

/* 1 when a member name is acceptable: [A-Za-z0-9._-] path segments separated by '/', no "..". */
int tar_name_ok(const char *name);

#endif
