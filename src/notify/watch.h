/* watch: the one place of a process that watches the store for students' changes, and the
 * registry of the event streams waiting on them (GET /api/student/events).
 *
 * Why: a stream that read the student's whole status every 150 ms cost about 50 statements a
 * second each, and a few hundred of them starved the pool for everyone. Now triggers record every
 * change to a student's status or inbox in `student_changes` (migration 0520); one thread asks
 * the store, once per interval and only while streams are open, which accounts changed lately,
 * and wakes the streams of those accounts. A waiting stream holds no store connection; a woken
 * one reads the status once.
 *
 * The registry also bounds the streams: at most `max_streams` in the process and
 * `max_per_account` per student account. */
#ifndef TUCAI_NOTIFY_WATCH_H
#define TUCAI_NOTIFY_WATCH_H

#include <stdint.h>

#include "store/store.h"

typedef struct notify_watch notify_watch;
typedef struct notify_watch_sub notify_watch_sub;

enum { NOTIFY_WATCH_FULL = -1, NOTIFY_WATCH_ACCOUNT_FULL = -2 };

/* Starts the watcher thread (it asks the store only while a stream is subscribed). */
notify_watch *notify_watch_start(store_t *st, int interval_ms, int max_streams, int max_per_account);
/* Ends every wait (streams then end) and the thread. Subscriptions stay valid until freed. */
void notify_watch_stop(notify_watch *w);
/* After every subscription was dropped (the HTTP server is gone). NULL is fine. */
void notify_watch_free(notify_watch *w);

/* 0 and *out; NOTIFY_WATCH_FULL or NOTIFY_WATCH_ACCOUNT_FULL when a cap is reached. */
int notify_watch_subscribe(notify_watch *w, int64_t account_id, notify_watch_sub **out);
void notify_watch_unsubscribe(notify_watch_sub *s);
/* Blocks until the account changes (1), the monotonic time `until` passes (0; clock_mono_s), or
 * the watcher stops (-1). A change that came while the caller was busy is reported at once. */
int notify_watch_wait(notify_watch_sub *s, double until);

/* The stream read the account's state at `version` (student_changes.version, read before the
 * state; 0 when the account has no row yet): the watcher wakes it only for a newer one. Without
 * this a stream opened within the watcher's look-back of a change read its state twice. */
void notify_watch_seen(notify_watch_sub *s, int64_t version);
/* The account's version now (0: no change recorded yet). */
int64_t notify_watch_version(db_t *db, int64_t account_id, err_t *err);

/* Streams subscribed now, and the watcher's store polls so far (for /metrics). */
int notify_watch_streams(notify_watch *w);
uint64_t notify_watch_polls(notify_watch *w);

#endif
