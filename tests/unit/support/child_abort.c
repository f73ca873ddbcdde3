/* child_abort.c: see child_abort.h. */
#include "child_abort.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int child_run(void (*fn)(void *), void *arg, char *said, size_t cap) {
  int fds[2];
  if (cap == 0 || pipe(fds) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    fn(arg);
    _exit(0); /* not reached when fn aborts */
  }
  close(fds[1]);
  size_t have = 0;
  ssize_t n;
  while (have + 1 < cap && (n = read(fds[0], said + have, cap - 1 - have)) > 0) have += (size_t)n;
  said[have] = 0;
  close(fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return status;
}

int child_aborts(void (*fn)(void *), void *arg, char *said, size_t cap) {
  int status = child_run(fn, arg, said, cap);
  return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}
