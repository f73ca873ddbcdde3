/* xmalloc: the one way this project takes memory from the heap; every call either succeeds or
 * aborts the process (one line on stderr, then abort()), so no caller tests for NULL.
 *
 * Why abort (as Redis's zmalloc does with its out-of-memory handler): a server that cannot get a
 * few hundred bytes cannot keep its invariants either. Half-handled NULLs (a response without its
 * body, a row without its text, an error path that itself allocates) turn into wrong answers or
 * data loss, and about half of our allocation sites did not test at all. Under systemd
 * the process is restarted; requests in flight fail and are retried; the job queue is durable.
 *
 * Where NOT to rely on it: an allocation whose size comes from outside (an upload, an image's
 * width x height, a request body, a tar member, a roster file, a provider's reply) must be bounded
 * by a checked limit BEFORE the allocation and refused with a 4xx, or a hostile input turns
 * "abort on OOM" into "abort on request". The limits that do this today (checked site by site):
 *   - request bodies: the route's limit (http_server_opts max_body, max_upload + 64 KiB for
 *     multipart) in src/http/server.c before the body buffer grows; multipart text fields:
 *     MAX_FIELDS and MAX_FIELD_BYTES (src/http/multipart.c); files stream to disk, not memory;
 *   - images: photo_limits (max_bytes, max_pixels) in src/photo/decode.c before decoding, so the
 *     engine's pixel buffers (matte.c, checks/) are bounded; the QR reader's pixel cap
 *     (src/identity/qr.c) before it decodes;
 *   - rosters: ROSTER_MAX_BYTES (src/identity/roster_parse.c); XLSX_MAX_ENTRY and the shared
 *     strings cap (src/identity/roster_xlsx.c);
 *   - registry packages: the package header's MAX_HEADER (src/export/package.c) and the tar
 *     reader's max_file per member (src/export/tar.c), before their buffers (receive.c keeps
 *     members of at most that size); backups: MAX_MANIFEST (src/backup/backup.c);
 *   - WeChat Pay replies: MAX_RESPONSE_BYTES (src/pay/wxp_http.c) while the reply streams in;
 *     its notifications arrive as request bodies (above);
 *   - stored objects (blob.c) and database cells (store/) are sized by what we wrote ourselves
 *     after the checks above.
 * A new allocation sized by outside input needs such a limit first; the lint
 * (scripts/check-alloc.sh) keeps raw malloc out, it cannot see a missing bound.
 *
 * Sizes of 0 are taken as 1, so a success is never NULL. xmallocarray/xreallocarray/xcalloc check
 * n * size for overflow (an overflow aborts too: it is a bug, never a real size). */
#ifndef TUCAI_UTIL_XMALLOC_H
#define TUCAI_UTIL_XMALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
/* n * size bytes, aborting on overflow; not zeroed (xcalloc zeroes). */
void *xmallocarray(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *xreallocarray(void *p, size_t n, size_t size) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc, returns_nonnull));

/* What every x-function calls when the heap says no: one line on stderr, then abort(). */
void xmalloc_oom(const char *what, size_t n) __attribute__((noreturn, cold));

#ifdef __cplusplus
}
#endif

#endif
