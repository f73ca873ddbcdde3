/* xmalloc: the x-family gives memory or aborts with one line on stderr; sizes overflow-checked.
 *
 * The abort cases run in a child process. An overflow is caught by xmalloc itself; a real
 * refusal from the heap is provoked by asking for 2^62 bytes in a child that re-runs this program
 * (ASan would otherwise report the huge request itself instead of returning NULL, so the child
 * gets allocator_may_return_null=1, as a plain glibc build behaves). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child_abort.h"
#include "util/xmalloc.h"

#define HUGE ((size_t)1 << 62)

static void test_gives_memory(void **state) {
  (void)state;
  char *z = xmalloc(0); /* 0 is taken as 1: a success is never NULL */
  assert_non_null(z);
  z[0] = 'x';
  z = xrealloc(z, 0);
  assert_non_null(z);
  free(z);

  int *v = xcalloc(1000, sizeof *v);
  for (int i = 0; i < 1000; i++) assert_int_equal(v[i], 0);
  for (int i = 0; i < 1000; i++) v[i] = i;
  v = xreallocarray(v, 100000, sizeof *v);
  for (int i = 0; i < 1000; i++) assert_int_equal(v[i], i);
  v[99999] = 7;
  free(v);

  double *d = xmallocarray(3, sizeof *d);
  d[2] = 1.5;
  free(d);

  char *s = xstrdup("图采 tucai");
  assert_string_equal(s, "图采 tucai");
  free(s);
  s = xstrndup("abcdef", 3);
  assert_string_equal(s, "abc");
  free(s);
  s = xstrndup("ab", 10);
  assert_string_equal(s, "ab");
  free(s);
  s = xasprintf("%s-%d-%zu", "k", -3, (size_t)12);
  assert_string_equal(s, "k--3-12");
  free(s);
}

typedef struct oom_run {
  const char *self, *arg;
} oom_run;

static void start_child(void *p) {
  const oom_run *o = p;
  if (strcmp(o->arg, "overflow") == 0) { /* xmalloc's own check: no exec needed */
    void *q = xmallocarray(SIZE_MAX / 2 + 1, 2);
    _exit(q ? 3 : 4);
  }
  const char *asan = getenv("ASAN_OPTIONS");
  char env[1024];
  snprintf(env, sizeof env, "%s%sallocator_may_return_null=1", asan ? asan : "", asan && *asan ? ":" : "");
  setenv("ASAN_OPTIONS", env, 1);
  execl(o->self, o->self, "--oom", o->arg, (char *)NULL);
  _exit(5);
}

/* Runs `how` in a child (fork, or exec of this program with `--oom ARG`), its stderr captured;
 * returns the child's wait status and fills `msg`. */
static int in_child(const char *self, const char *arg, char *msg, size_t cap) {
  oom_run o = {self, arg};
  int status = child_run(start_child, &o, msg, cap);
  assert_int_not_equal(status, -1);
  return status;
}

static const char *self_path;

static void expect_abort(const char *arg, const char *what) {
  char msg[2048];
  int status = in_child(self_path, arg, msg, sizeof msg);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
    fail_msg("child %s: status %d, stderr: %s", arg, status, msg);
  assert_non_null(strstr(msg, "tucai: out of memory: "));
  assert_non_null(strstr(msg, what));
}

static void test_overflow_aborts(void **state) {
  (void)state;
  expect_abort("overflow", "mallocarray of");
}

static void test_heap_refusal_aborts(void **state) {
  (void)state;
  expect_abort("malloc", "malloc of 4611686018427387904 bytes");
  expect_abort("calloc", "calloc of 4611686018427387904 bytes");
  expect_abort("realloc", "realloc of 4611686018427387904 bytes");
}

/* The re-run child: one huge request, which must not come back. */
static int oom_child(const char *how) {
  void *p = NULL;
  if (strcmp(how, "malloc") == 0) p = xmalloc(HUGE);
  if (strcmp(how, "calloc") == 0) p = xcalloc(HUGE / 4, 4);
  if (strcmp(how, "realloc") == 0) p = xrealloc(xmalloc(16), HUGE);
  fprintf(stderr, "xmalloc returned %p\n", p);
  return 3;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--oom") == 0) return oom_child(argv[2]);
  self_path = "/proc/self/exe";
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gives_memory),
      cmocka_unit_test(test_overflow_aborts),
      cmocka_unit_test(test_heap_refusal_aborts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
