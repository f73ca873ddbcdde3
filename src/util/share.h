/* share: where the binary's read-only data lives (web pages, photo profiles, models, the
 * working-day calendar, the administrative divisions).
 *
 * Installed (`cmake --install`, the Debian package), the binary sits in <prefix>/bin and its data
 * in <prefix>/share/tucai, laid out like the source tree (web/, profiles/, models/,
 * data/calendar/, models/regions/...), so one relative path names a file in both. share_dir()
 * finds <prefix> from /proc/self/exe, so a tree copied or extracted anywhere works as it is; when
 * <prefix>/share/tucai/web is not there (a binary in the build tree) it falls back to the source
 * tree the build was configured from. Settings (flags, TUCAI_* variables) still override each
 * path; this only gives their defaults. */
#ifndef TUCAI_UTIL_SHARE_H
#define TUCAI_UTIL_SHARE_H

#include <stddef.h>

/* <prefix>/share/tucai or the source tree; resolved once, never NULL. */
const char *share_dir(void);
/* share_dir() + "/" + rel into out (truncated to n). Returns out. */
const char *share_path(const char *rel, char *out, size_t n);

#endif
