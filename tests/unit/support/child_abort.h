/* child_abort: runs a piece of code in a forked child and reports whether it died of SIGABRT,
 * with what it wrote to stderr. For the tests of programming errors that must abort (a setting
 * name nobody declared, a result column that does not exist): the abort would end the test
 * program itself, so it happens in a child. */
#ifndef TUCAI_TEST_CHILD_ABORT_H
#define TUCAI_TEST_CHILD_ABORT_H

#include <stddef.h>

/* Runs fn(arg) in a child (which then exits 0), its stderr captured into `said` (NUL-terminated,
 * at most cap - 1 bytes). The child's wait status, or -1 when it could not be run. */
int child_run(void (*fn)(void *), void *arg, char *said, size_t cap);
/* The same; 1 when the child died of SIGABRT, 0 when it ended any other way. */
int child_aborts(void (*fn)(void *), void *arg, char *said, size_t cap);

#endif
