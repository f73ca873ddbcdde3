/* together: runs one function on several threads released at the same instant, for the tests
 * that prove a limit or a lease holds under parallel requests. Each thread prepares what it
 * needs first (a pooled connection, as an HTTP request would hold one), then waits on `go`, so
 * the racing part starts together and not staggered by thread start-up. */
#ifndef TUCAI_TEST_TOGETHER_H
#define TUCAI_TEST_TOGETHER_H

#include <pthread.h>

/* Thread i of n: prepare, pthread_barrier_wait(go), then race. */
typedef void (*together_fn)(void *ctx, int i, pthread_barrier_t *go);

/* Runs fn(ctx, i, go) for i = 0..n-1 on n threads and returns when all have ended. */
void run_together(int n, together_fn fn, void *ctx);

#endif
