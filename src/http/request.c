/* request.c: accessors for what a handler reads, and the per-request arena. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/internal.h"
#include "util/xmalloc.h"

void *arena_alloc(req_ctx *c, size_t n) {
  n = (n + 15) & ~(size_t)15;
  arena_block *b = c->arena;
  if (!b || b->used + n > b->cap) {
    size_t cap = n > 8192 ? n : 8192;
    b = xmalloc(sizeof *b + cap);
    b->next = c->arena;
    b->used = 0;
    b->cap = cap;
    c->arena = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

void arena_free(req_ctx *c) {
  while (c->arena) {
    arena_block *next = c->arena->next;
    free(c->arena);
    c->arena = next;
  }
}

void *req_alloc(http_req *req, size_t n) { return arena_alloc(req->priv, n); }

const char *req_param(const http_req *req, const char *name) {
  const req_ctx *c = req->priv;
  for (int i = 0; i < c->n_params; i++)
    if (!strcmp(c->param_names[i], name)) return c->param_values[i];
  return NULL;
}

const char *req_query(const http_req *req, const char *name) {
  const req_ctx *c = req->priv;
  return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(const http_req *req, const char *name) {
  const req_ctx *c = req->priv;
  return MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(const http_req *req, const char *name) {
  const req_ctx *c = req->priv;
  return MHD_lookup_connection_value(c->conn, MHD_COOKIE_KIND, name);
}

const char *req_form(const http_req *req, const char *name) {
  const req_ctx *c = req->priv;
  for (int i = 0; i < c->n_form; i++)
    if (!strcmp(c->form_names[i], name)) return c->form_values[i];
  return NULL;
}

const http_upload *req_upload(const http_req *req, const char *field) {
  for (int i = 0; i < req->n_uploads; i++)
    if (!strcmp(req->uploads[i].field, field)) return &req->uploads[i];
  return NULL;
}

static json_t *field(http_req *req, const char *name, int required) {
  json_t *v = json_is_object(req->json) ? json_object_get(req->json, name) : NULL;
  if (v && json_is_null(v)) v = NULL;
  if (!v && required) err_set(&req->err, 400, "missing_field", "缺少字段 %s", name);
  return v;
}

const char *json_field_str(http_req *req, const char *name, int required, size_t max_len) {
  json_t *v = field(req, name, required);
  if (!v) return NULL;
  if (!json_is_string(v)) {
    err_set(&req->err, 400, "invalid_field", "字段 %s 应为字符串", name);
    return NULL;
  }
  if (json_string_length(v) > max_len) {
    err_set(&req->err, 400, "invalid_field", "字段 %s 过长（最多 %zu 字节）", name, max_len);
    return NULL;
  }
  if (strlen(json_string_value(v)) != json_string_length(v)) {
    err_set(&req->err, 400, "invalid_field", "字段 %s 含有非法字符", name);
    return NULL;
  }
  return json_string_value(v);
}

int json_field_int(http_req *req, const char *name, int required, int64_t min, int64_t max, int64_t *out) {
  json_t *v = field(req, name, required);
  if (!v) return required ? -1 : 0;
  if (!json_is_integer(v)) return err_set(&req->err, 400, "invalid_field", "字段 %s 应为整数", name);
  int64_t x = json_integer_value(v);
  if (x < min || x > max)
    return err_set(&req->err, 400, "invalid_field", "字段 %s 超出范围 [%lld, %lld]", name, (long long)min,
                   (long long)max);
  *out = x;
  return 1;
}

int json_field_bool(http_req *req, const char *name, int required, int *out) {
  json_t *v = field(req, name, required);
  if (!v) return required ? -1 : 0;
  if (!json_is_boolean(v)) return err_set(&req->err, 400, "invalid_field", "字段 %s 应为 true 或 false", name);
  *out = json_is_true(v);
  return 1;
}

const char *req_csrf_token(const http_req *req) {
  const req_ctx *c = req->priv;
  if (req->session) return c->session.csrf;
  return c->new_csrf[0] ? c->new_csrf : req_cookie(req, "tucai_csrf");
}
