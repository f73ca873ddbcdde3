/* together: threads released together (see together.h). */
#include "together.h"

#include <stdlib.h>

typedef struct shared {
  together_fn fn;
  void *ctx;
  pthread_barrier_t go;
} shared;

typedef struct slot {
  shared *sh;
  int i;
} slot;

static void *thread_main(void *arg) {
  slot *s = arg;
  s->sh->fn(s->sh->ctx, s->i, &s->sh->go);
  return NULL;
}

void run_together(int n, together_fn fn, void *ctx) {
  shared sh = {.fn = fn, .ctx = ctx};
  pthread_t *t = calloc((size_t)n, sizeof *t);
  slot *s = calloc((size_t)n, sizeof *s);
  if (!t || !s) abort();
  pthread_barrier_init(&sh.go, NULL, (unsigned)n);
  for (int i = 0; i < n; i++) {
    s[i] = (slot){&sh, i};
    if (pthread_create(&t[i], NULL, thread_main, &s[i]) != 0) abort();
  }
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&sh.go);
  free(t);
  free(s);
}
