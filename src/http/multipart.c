/* multipart.c: multipart/form-data bodies. File parts stream straight to temporary files under
 * the server's upload_dir (<data>/tmp; never held in memory), each capped at max_upload; text fields are kept (small).
 * The temporary files are removed when the request ends; a handler that keeps a file moves it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/internal.h"
#include "util/xmalloc.h"

#define MAX_UPLOADS 8
#define MAX_FIELDS 32
#define MAX_FIELD_BYTES 8192

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                               const char *content_type, const char *encoding, const char *data, uint64_t off,
                               size_t size) {
  (void)kind, (void)encoding;
  req_ctx *c = cls;
  if (c->too_large) return MHD_NO;
  /* A part without a name (Content-Disposition: form-data; with no name=) comes with key NULL:
   * refuse the body rather than hand NULL to strcmp/strdup, which took the server down. */
  if (!key) return MHD_NO;
  if (filename) {
    http_upload *u = c->req.n_uploads ? &c->req.uploads[c->req.n_uploads - 1] : NULL;
    if (off == 0 || !u || strcmp(u->field, key)) {
      if (c->upload_fp) fclose(c->upload_fp), c->upload_fp = NULL;
      if (c->req.n_uploads >= MAX_UPLOADS) return MHD_NO;
      u = &c->req.uploads[c->req.n_uploads++];
      snprintf(u->field, sizeof u->field, "%s", key);
      snprintf(u->filename, sizeof u->filename, "%s", filename);
      snprintf(u->content_type, sizeof u->content_type, "%s", content_type ? content_type : "");
      snprintf(u->path, sizeof u->path, "%s/upload-XXXXXX", http_server_options(c->srv)->upload_dir);
      int fd = mkstemp(u->path);
      if (fd < 0) {
        u->path[0] = 0;
        return MHD_NO;
      }
      c->upload_fp = fdopen(fd, "wb");
    }
    if ((uint64_t)u->size + size > (uint64_t)http_server_options(c->srv)->max_upload) {
      c->too_large = 1;
      return MHD_NO;
    }
    if (size && fwrite(data, 1, size, c->upload_fp) != size) return MHD_NO;
    u->size += (int64_t)size;
    return MHD_YES;
  }
  /* A text field; values may arrive in pieces. */
  for (int i = 0; i < c->n_form; i++) {
    if (strcmp(c->form_names[i], key)) continue;
    size_t have = strlen(c->form_values[i]);
    if (have + size > MAX_FIELD_BYTES) return MHD_NO;
    c->form_values[i] = xrealloc(c->form_values[i], have + size + 1);
    if (size) memcpy(c->form_values[i] + have, data, size); /* an empty piece may come as NULL */
    c->form_values[i][have + size] = 0;
    return MHD_YES;
  }
  if (c->n_form >= MAX_FIELDS || size > MAX_FIELD_BYTES) return MHD_NO;
  c->form_names[c->n_form] = xstrdup(key);
  c->form_values[c->n_form] = xmalloc(size + 1);
  if (size) memcpy(c->form_values[c->n_form], data, size);
  c->form_values[c->n_form][size] = 0;
  c->n_form++;
  return MHD_YES;
}

int multipart_start(req_ctx *c) {
  c->req.uploads = xcalloc(MAX_UPLOADS, sizeof *c->req.uploads);
  c->form_names = xcalloc(MAX_FIELDS, sizeof *c->form_names);
  c->form_values = xcalloc(MAX_FIELDS, sizeof *c->form_values);
  c->pp = MHD_create_post_processor(c->conn, 64 * 1024, on_part, c);
  return c->pp ? 0 : -1;
}

int multipart_feed(req_ctx *c, const char *data, size_t len) {
  if (!c->pp || c->too_large) return -1;
  if (MHD_post_process(c->pp, data, len) != MHD_YES && !c->too_large) {
    /* A malformed body: stop reading it; the handler sees no complete upload. */
    MHD_destroy_post_processor(c->pp);
    c->pp = NULL;
    c->body_invalid = 1;
    return -1;
  }
  return 0;
}

void multipart_finish(req_ctx *c) {
  if (c->pp) MHD_destroy_post_processor(c->pp), c->pp = NULL;
  if (c->upload_fp) fclose(c->upload_fp), c->upload_fp = NULL;
}

void multipart_cleanup(req_ctx *c) {
  multipart_finish(c);
  for (int i = 0; i < c->req.n_uploads; i++)
    if (c->req.uploads[i].path[0]) unlink(c->req.uploads[i].path);
  free(c->req.uploads);
  c->req.uploads = NULL;
  c->req.n_uploads = 0;
  for (int i = 0; i < c->n_form; i++) free(c->form_names[i]), free(c->form_values[i]);
  free(c->form_names);
  free(c->form_values);
  c->n_form = 0;
}
