/* multipart: a multipart/form-data body through the real server (src/http/server.c admission and
 * src/http/multipart.c), over loopback, to a route declared like POST /api/photos. The server is
 * started once with the product's structure and small limits (64 KiB per file, so the cap is
 * reachable). Input: the first line is what follows "multipart/form-data" in the Content-Type
 * (e.g. "; boundary=XyZ"), the rest is the body. The handler checks what the server promises it:
 * every upload's temporary file exists, lies in the upload directory and has the size it says;
 * every text field is a terminated string. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "fuzz.h"
#include "http/http.h"
#include "http/server.h"
#include "util/log.h"

#define MAX_UPLOAD (64 * 1024)

static http_server *srv;
static int port;
static char updir[300];

static int upload(http_req *req, http_resp *resp) {
  for (int i = 0; i < req->n_uploads; i++) {
    const http_upload *u = &req->uploads[i];
    struct stat st;
    if (strncmp(u->path, updir, strlen(updir)) != 0 || stat(u->path, &st) != 0 || st.st_size != u->size ||
        u->size > MAX_UPLOAD || req_upload(req, u->field) == NULL)
      abort();
  }
  const char *names[] = {"school_id", "photo", "note", "x"};
  size_t total = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const char *v = req_form(req, names[i]);
    if (v) total += strlen(v);
  }
  return resp_json(resp, 200, json_pack("{s:i,s:I}", "uploads", req->n_uploads, "form_bytes", (json_int_t)total));
}

static void init(void) {
  log_set_level(LOG_ERROR);
  fuzz_path(updir, sizeof updir, "uploads");
  if (mkdir(updir, 0700) != 0) abort();
  http_server_opts o = {.upload_dir = updir, .max_body = 1 << 20, .max_upload = MAX_UPLOAD};
  srv = http_server_new(&o);
  static const http_route routes[] = {
      {"POST", "/api/photos", upload, 0, HTTP_BODY_MULTIPART | HTTP_NO_CSRF},
  };
  router_add_all(http_server_router(srv), routes, 1);
  err_t err = {0};
  if (http_server_start(srv, "127.0.0.1:0", &err) != 0) {
    fprintf(stderr, "multipart: %s\n", err.message);
    abort();
  }
  port = http_server_port(srv);
}

static void send_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return; /* the server may answer and close before reading everything */
    c += k, n -= (size_t)k;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!srv) init();
  const uint8_t *nl = memchr(d, '\n', n < 200 ? n : 200);
  size_t hl = nl ? (size_t)(nl - d) : 0;
  const uint8_t *body = nl ? nl + 1 : d;
  size_t blen = n - (size_t)(body - d);
  char ct[256];
  snprintf(ct, sizeof ct, "%.*s", (int)hl, (const char *)d);
  for (char *p = ct; *p; p++)
    if (*p == '\r' || *p == '\n' || *p == 0) *p = ' ';
  char head[512];
  int k = snprintf(head, sizeof head,
                   "POST /api/photos HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data%s\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   ct, blen);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) abort();
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  /* Each connection from another 127.0.x.y: hundreds of connections a second would otherwise
   * run out of source ports while the server's closed ones sit in TIME_WAIT. */
  static unsigned seq;
  seq++;
  struct sockaddr_in from = {.sin_family = AF_INET};
  from.sin_addr.s_addr = htonl(0x7F000000u | ((seq % 0xFFFEu) + 2));
  if (bind(fd, (struct sockaddr *)&from, sizeof from) != 0) abort();
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    /* libFuzzer's timers (SIGALRM) interrupt it now and then; the connection goes on. */
    int soerr = errno;
    if (soerr == EINTR) {
      struct pollfd pf = {.fd = fd, .events = POLLOUT};
      int pr;
      while ((pr = poll(&pf, 1, 10000)) < 0 && errno == EINTR) continue;
      socklen_t sl = sizeof soerr;
      if (pr != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) soerr = ETIMEDOUT;
    }
    if (soerr != 0) {
      fprintf(stderr, "multipart: connect: %s\n", strerror(soerr));
      abort();
    }
  }
  send_all(fd, head, (size_t)k);
  send_all(fd, body, blen);
  char buf[4096];
  size_t got = 0;
  ssize_t r;
  while ((r = recv(fd, buf + got, sizeof buf - 1 - got, 0)) > 0 || (r < 0 && errno == EINTR)) {
    if (r < 0) continue;
    got += (size_t)r;
    if (got == sizeof buf - 1) got = 0;
  }
  int e = errno;
  close(fd);
  /* No answer within 10 s: the server hangs on this body. (A reset is fine: a server that answers
   * before reading the whole body closes with unread data.) */
  if (r < 0 && (e == EAGAIN || e == EWOULDBLOCK)) abort();
  return 0;
}
