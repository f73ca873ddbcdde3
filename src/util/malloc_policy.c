/* malloc_policy: at most two malloc arenas for the whole process.
 *
 * glibc gives threads that allocate at the same time arenas of their own (up to eight per core),
 * and memory freed in one arena is no help to another. libvips' and OpenCV's worker threads each
 * grow one to a photo's worth, so a worker standardizing photo after photo settles at several
 * photos' worth. Measured with bench/photo (36 photos of 12 MP one after another, peak RSS):
 * 179 MB with glibc's default, 173 MB with eight arenas, 164 MB with four, 141-145 MB with two,
 * 133 MB with one, at the same photo speed. The price is paid by the HTTP server's request threads,
 * which queue on fewer arena locks: bench/http.sh on 2 cores, GET /healthz 72k -> 51k req/s and
 * /api/auth/me 14.4k -> 10.5k req/s (p99 2 and 5 ms), still far above what a school's collection
 * needs, while photo memory is what decides how many workers a small server can run. */
#include "util/malloc_policy.h"

#include <malloc.h>

void malloc_policy_apply(void) { mallopt(M_ARENA_MAX, 2); }
