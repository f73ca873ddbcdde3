/* err: the one error value that travels up from any module to the HTTP layer or the CLI.
 *
 * A function that can fail returns -1 (or NULL) and fills an err_t the caller passed in. The
 * `code` is a stable machine-readable identifier (e.g. "invalid_json", "NO_FACE"); `message` is
 * what a person reads (Chinese where a student will see it); `status` is the HTTP status the
 * HTTP layer answers with (0 means 500). Only src/http turns an err_t into a response. */
#ifndef TUCAI_UTIL_ERR_H
#define TUCAI_UTIL_ERR_H

typedef struct err {
  int status;        /* HTTP status to answer with; 0 = internal error (500) */
  char code[48];     /* stable id, snake_case for the API, UPPER_CASE for photo reasons */
  char message[400]; /* human-readable, UTF-8 */
} err_t;

/* Fills `e` (which may be NULL) and returns -1, so callers can `return err_set(...)`. */
int err_set(err_t *e, int status, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void err_clear(err_t *e);
/* True when `e` holds an error. */
int err_is_set(const err_t *e);

#endif
