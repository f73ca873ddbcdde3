/* static.c: the web pages. "/" is the student app, "/review", "/admin" and "/ops" the consoles;
 * everything else maps to a file under web_dir. Paths with "..", hidden names or backslashes are
 * refused. HTML is revalidated on every load (so a deploy shows at once); assets are cached for
 * an hour and revalidated with ETag. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/internal.h"
#include "util/xmalloc.h"

static const struct {
  const char *ext, *mime;
} mimes[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".pdf", "application/pdf"},
    {".webmanifest", "application/manifest+json"},
};

const char *mime_for(const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot)
    for (size_t i = 0; i < sizeof mimes / sizeof mimes[0]; i++)
      if (!strcasecmp(dot, mimes[i].ext)) return mimes[i].mime;
  return "application/octet-stream";
}

static int safe_path(const char *p) {
  if (p[0] != '/' || strstr(p, "..") || strchr(p, '\\') || strstr(p, "/.") || strstr(p, "//")) return 0;
  return 1;
}

int static_serve(req_ctx *c, const char *web_dir, const char *path) {
  if (!web_dir || !safe_path(path)) return 0;
  const char *rel = path;
  if (!strcmp(path, "/"))
    rel = "/student/index.html";
  else if (!strcmp(path, "/review") || !strcmp(path, "/review/"))
    rel = "/review/index.html";
  else if (!strcmp(path, "/admin") || !strcmp(path, "/admin/"))
    rel = "/admin/index.html";
  else if (!strcmp(path, "/ops") || !strcmp(path, "/ops/"))
    rel = "/ops/index.html";
  char full[1024];
  if (snprintf(full, sizeof full, "%s%s", web_dir, rel) >= (int)sizeof full) return 0;
  struct stat sb;
  if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) return 0;

  char etag[64];
  snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)sb.st_mtime, (unsigned long long)sb.st_size);
  const char *inm = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "If-None-Match");
  int is_html = strstr(mime_for(full), "text/html") != NULL;
  c->resp.status = 200;
  if (inm && !strcmp(inm, etag)) {
    c->resp.status = 304;
  } else {
    c->resp.file_path = xstrdup(full);
    c->resp.mime = xstrdup(mime_for(full));
  }
  resp_header(&c->resp, "ETag", etag);
  resp_header(&c->resp, "Cache-Control", is_html ? "no-cache" : "public, max-age=3600");
  return 1; /* the server queues c->resp */
}
