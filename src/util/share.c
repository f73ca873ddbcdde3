#include "util/share.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TUCAI_SOURCE_DIR
#define TUCAI_SOURCE_DIR "."
#endif

static char dir[PATH_MAX];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Cuts the last path component off p in place ("/usr/bin/tucai" -> "/usr/bin"). */
static int up(char *p) {
  char *s = strrchr(p, '/');
  if (!s || s == p) return -1;
  *s = 0;
  return 0;
}

static void resolve(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = 0;
    char cand[PATH_MAX + 32], web[PATH_MAX + 64];
    struct stat st;
    /* <prefix>/bin/tucai -> <prefix>/share/tucai, only when it holds the web pages. */
    if (up(exe) == 0 && up(exe) == 0) {
      snprintf(cand, sizeof cand, "%s/share/tucai", exe);
      snprintf(web, sizeof web, "%s/web", cand);
      if (stat(web, &st) == 0 && S_ISDIR(st.st_mode) && strlen(cand) < sizeof dir) {
        snprintf(dir, sizeof dir, "%s", cand);
        return;
      }
    }
  }
  snprintf(dir, sizeof dir, "%s", TUCAI_SOURCE_DIR);
}

const char *share_dir(void) {
  pthread_once(&once, resolve);
  return dir;
}

const char *share_path(const char *rel, char *out, size_t n) {
  snprintf(out, n, "%s/%s", share_dir(), rel);
  return out;
}
