/* s3: the few S3 calls the blob store needs (put, get, delete an object; probe the bucket), on
 * any S3-compatible server (Aliyun OSS, Tencent COS, MinIO, Ceph radosgw, AWS).
 *
 * Design. libcurl does the transport and the AWS Signature V4 (CURLOPT_AWS_SIGV4): no signing of
 * our own. S3 also wants `x-amz-content-sha256` on every request (the SHA-256 of the body; Ceph
 * and AWS refuse a request without it or with a wrong one, and curl 7.88 does not add it), so we
 * send it, and curl signs it with the other headers. Objects are addressed path-style
 * (<endpoint>/<bucket>/<key>, what MinIO and Ceph expect) or virtual-hosted
 * (<scheme>://<bucket>.<host>/<key>, what OSS and COS prefer).
 *
 * Errors. 5xx answers, 429 and transport failures (refused, reset, timed out) are retried with
 * a growing pause (0.2 s, 0.6 s, 1.8 s); then 503 "s3_unavailable". 403 is "s3_denied" with
 * the server's error code (SignatureDoesNotMatch: wrong secret; InvalidAccessKeyId: wrong key);
 * 404 of an object is "s3_not_found", of the bucket "s3_no_bucket". Messages name the operation,
 * the HTTP status and the S3 error code, never a key, a secret or the object's name.
 *
 * The access and secret keys are read from files (settings hold paths, never the secrets) and
 * stay in the client, wiped on close. Thread-safe: every call uses its own curl handle.
 * Call curl_global_init once before the first s3_open (blob_store_open does). */
#ifndef TUCAI_BLOB_S3_H
#define TUCAI_BLOB_S3_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct s3_opts {
  const char *endpoint; /* http(s)://host[:port], no path */
  const char *bucket;
  const char *region;          /* "" = us-east-1 (what Ceph and MinIO accept) */
  int path_style;              /* 1: <endpoint>/<bucket>/<key>; 0: virtual-hosted */
  const char *access_key_file; /* files holding the keys (surrounding whitespace ignored) */
  const char *secret_key_file;
  int timeout_s; /* one request, connect included; <= 0 = 30 */
} s3_opts;

typedef struct s3_client s3_client;

s3_client *s3_open(const s3_opts *o, err_t *err);
void s3_close(s3_client *c);

int s3_put(s3_client *c, const char *key, const uint8_t *body, size_t len, err_t *err);
/* The object into a malloc'd buffer (caller frees); at most max bytes, more is "s3_too_large". */
int s3_get(s3_client *c, const char *key, size_t max, uint8_t **body, size_t *len, err_t *err);
/* Deleting an absent object succeeds (S3 answers 204 either way). */
int s3_delete(s3_client *c, const char *key, err_t *err);
/* HEAD of the bucket: reachable, exists, and these keys may use it. */
int s3_probe_bucket(s3_client *c, err_t *err);
/* "<endpoint> bucket <bucket>" for messages. */
const char *s3_where(const s3_client *c);

#endif
