/* throttle: growing delays after failed sign-in attempts, per account and per client address,
 * for staff passwords and students' one-time codes alike.
 *
 * Each (scope, key) has a failure count. An attempt is counted *before* the secret is checked
 * (throttle_take), in one compare-and-swap on the row, so that a burst of parallel guesses cannot
 * all pass the check before the first failure is written: at most `free_failures` attempts get
 * through before the key is locked. A right answer gives the attempt back (throttle_forgive).
 * From the `free_failures`-th failure on, every further failure locks the key for
 * base_ms * 2^(failures - free_failures), at most max_ms. Failures older than forget_ms are
 * forgotten. Keys are stored as keyed hashes (vault), never in clear. */
#ifndef TUCAI_AUTH_THROTTLE_H
#define TUCAI_AUTH_THROTTLE_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

typedef struct throttle_rule {
  int free_failures; /* failures allowed before the first lock */
  int64_t base_ms;   /* first lock */
  int64_t max_ms;    /* longest lock */
  int64_t forget_ms; /* failures older than this no longer count */
} throttle_rule;

/* Counts one attempt on scope/key at `now_ms`. 0: go ahead (check the secret, then call
 * throttle_forgive when it was right). 1: locked; *retry_after_s says for how long (no attempt was
 * counted). -1: store error. */
int throttle_take(db_t *db, const char *scope, const char *key, const throttle_rule *rule, int64_t now_ms,
                  int64_t *retry_after_s, err_t *err);
/* After a right answer: all = 1 clears the key (the account: its owner proved who they are);
 * all = 0 gives back only this attempt (an address that many people share). */
int throttle_forgive(db_t *db, const char *scope, const char *key, const throttle_rule *rule, int all, err_t *err);
/* Deletes rows with nothing left to remember (maintenance). Returns how many, or -1. */
int64_t throttle_purge(db_t *db, int64_t now_ms, int64_t older_than_ms, err_t *err);

#endif
