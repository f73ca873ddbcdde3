/* qr_pool: at most N collection-code pictures decoded at once in this process, and a pixel cap.
 *
 * Reading a student's collection code (qr_read_file) decodes an uploaded picture and runs zbar on
 * several copies of it: seconds of CPU and tens of MB for a phone photo. The HTTP server runs one
 * thread per connection, so without a bound a burst of uploads (a class told to bind their codes
 * at once, or someone hostile) would decode them all together and take the CPUs and the memory
 * from everything else. The pool gives out N slots (setting qr_decodes, default one per CPU
 * core); an upload that cannot get one within qr_wait_ms is answered 503 with Retry-After at once
 * rather than piling up. The decode runs in the request's own thread once it holds a slot: the
 * request waits for the answer either way, and what must be bounded is how many run together.
 * Memory is then bounded too: N x the pixel cap (qr_max_pixels), refused with 413 before
 * decoding. */
#ifndef TUCAI_IDENTITY_QR_POOL_H
#define TUCAI_IDENTITY_QR_POOL_H

#include "util/err.h"

typedef struct qr_pool qr_pool;

/* slots <= 0: one per online CPU core. wait_ms < 0 is taken as 0 (no wait); max_pixels <= 0 as
 * QR_DEFAULT_MAX_PIXELS (qr.h). */
qr_pool *qr_pool_new(int slots, int wait_ms, long long max_pixels);
void qr_pool_free(qr_pool *p);
int qr_pool_slots(const qr_pool *p);
/* Seconds a refused client should wait before trying again (the Retry-After of the 503). */
int qr_pool_retry_after_s(const qr_pool *p);

/* The gate alone: 0 with a slot taken (give it back with qr_pool_leave), -1 when none freed
 * within the wait. qr_pool_read_file is enter, read, leave. */
int qr_pool_enter(qr_pool *p);
void qr_pool_leave(qr_pool *p);

/* qr_read_file in one of the pool's slots. When no slot frees within the wait: -1 with 503
 * "qr_busy" (a Chinese message; the caller adds Retry-After). Otherwise what qr_read_file says,
 * with the pool's pixel cap. */
int qr_pool_read_file(qr_pool *p, const char *path, const char *prefer_prefix, char **text_out, err_t *err);

#endif
