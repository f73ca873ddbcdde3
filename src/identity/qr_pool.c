/* qr_pool: see qr_pool.h. A counting gate (mutex, condition on the monotonic clock) in front of
 * qr_read_file: the waits are short and the slots few, so nothing fancier is needed. */
#include "identity/qr_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "identity/qr.h"
#include "util/xmalloc.h"

struct qr_pool {
  pthread_mutex_t lock;
  pthread_cond_t freed;
  int slots, busy, wait_ms;
  long long max_pixels;
};

qr_pool *qr_pool_new(int slots, int wait_ms, long long max_pixels) {
  qr_pool *p = xcalloc(1, sizeof *p);
  if (slots <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    slots = n > 0 ? (int)n : 1;
  }
  p->slots = slots;
  p->wait_ms = wait_ms > 0 ? wait_ms : 0;
  p->max_pixels = max_pixels > 0 ? max_pixels : QR_DEFAULT_MAX_PIXELS;
  pthread_mutex_init(&p->lock, NULL);
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC); /* a clock step must not stretch or cut the wait */
  pthread_cond_init(&p->freed, &a);
  pthread_condattr_destroy(&a);
  return p;
}

void qr_pool_free(qr_pool *p) {
  if (!p) return;
  pthread_cond_destroy(&p->freed);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

int qr_pool_slots(const qr_pool *p) { return p->slots; }

int qr_pool_retry_after_s(const qr_pool *p) {
  int s = (p->wait_ms + 999) / 1000;
  return s > 0 ? s : 1;
}

int qr_pool_enter(qr_pool *p) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += p->wait_ms / 1000;
  until.tv_nsec += (long)(p->wait_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&p->lock);
  int rc = 0;
  while (p->busy >= p->slots && rc == 0)
    if (pthread_cond_timedwait(&p->freed, &p->lock, &until) == ETIMEDOUT) rc = -1;
  /* a slot may have freed just as the wait ran out: take it rather than refuse */
  if (p->busy < p->slots) p->busy++, rc = 0;
  pthread_mutex_unlock(&p->lock);
  return rc;
}

void qr_pool_leave(qr_pool *p) {
  pthread_mutex_lock(&p->lock);
  p->busy--;
  pthread_cond_signal(&p->freed);
  pthread_mutex_unlock(&p->lock);
}

int qr_pool_read_file(qr_pool *p, const char *path, const char *prefer_prefix, char **text_out, err_t *err) {
  *text_out = NULL;
  if (qr_pool_enter(p) != 0) return err_set(err, 503, "qr_busy", "当前上传采集码的同学较多，请稍等几秒再试");
  int rc = qr_read_file(path, prefer_prefix, p->max_pixels, text_out, err);
  qr_pool_leave(p);
  return rc;
}
