/* code: the small issuer tool for collection codes (tests, demos, and a registry stand-in).
 *   tucai code keygen --out DIR
 *   tucai code issue --key DIR --student FILE.json -o CODE.png [--valid-days N] [--issued-at MS]
 *                    [--expires-at MS] [--text-out FILE]
 *   tucai code verify IMAGE --pub DIR        (prints the payload as JSON; exit 1 with the reason)
 *   tucai code qr --text TEXT -o FILE.png     (a plain QR picture of any text, for tests) */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "identity/batch.h"
#include "identity/code.h"
#include "identity/idcard.h"
#include "identity/qr.h"
#include "util/clock.h"
#include "util/number.h"

static const char *usage =
    "usage: tucai code keygen --out DIR\n"
    "       tucai code issue --key DIR --student FILE.json -o CODE.png [--valid-days N]\n"
    "                        [--issued-at MS] [--expires-at MS] [--text-out FILE]\n"
    "       tucai code verify IMAGE --pub DIR\n"
    "       tucai code qr --text TEXT -o FILE.png\n"
    "FILE.json holds student_no, name, id_number, school_code, school_name, degree, grad_year;\n"
    "the tool masks the name and ID number itself.\n";

static int fail(const char *what, const err_t *err) {
  fprintf(stderr, "tucai code %s: %s (%s)\n", what, err->message, err->code);
  return 1;
}

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static int cmd_issue(int argc, char **argv) {
  const char *key = cli_opt(argc, argv, "--key"), *student = cli_opt(argc, argv, "--student");
  const char *out = cli_opt(argc, argv, "-o");
  if (!out) out = cli_opt(argc, argv, "--out");
  if (!key || !student || !out) {
    fputs(usage, stderr);
    return 2;
  }
  json_error_t je;
  json_t *s = json_load_file(student, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(s)) {
    fprintf(stderr, "tucai code issue: %s: %s\n", student, je.text);
    json_decref(s);
    return 1;
  }
  const char *no = jstr(s, "student_no"), *name = jstr(s, "name"), *id = jstr(s, "id_number");
  const char *sc = jstr(s, "school_code"), *sn = jstr(s, "school_name"), *deg = jstr(s, "degree");
  json_t *gy = json_object_get(s, "grad_year");
  if (!no || !name || !id || !sc || !sn || !deg || !(json_is_integer(gy) || json_is_string(gy))) {
    fprintf(stderr,
            "tucai code issue: %s needs student_no, name, id_number, school_code, school_name, degree, grad_year\n",
            student);
    json_decref(s);
    return 1;
  }
  if (!idcard_valid(id, NULL)) fprintf(stderr, "tucai code issue: warning: id_number fails the GB 11643 check\n");
  code_payload p;
  memset(&p, 0, sizeof p);
  snprintf(p.student_no, sizeof p.student_no, "%s", no);
  code_mask_name(name, p.name_masked);
  code_mask_id(id, p.id_masked);
  snprintf(p.school_code, sizeof p.school_code, "%s", sc);
  snprintf(p.school_name, sizeof p.school_name, "%s", sn);
  snprintf(p.degree, sizeof p.degree, "%s", deg);
  int64_t year = json_is_integer(gy) ? (int64_t)json_integer_value(gy) : -1;
  if (!json_is_integer(gy)) parse_int64(json_string_value(gy), 1900, 2200, &year);
  json_decref(s);
  if (year < 1900 || year > 2200) {
    fprintf(stderr, "tucai code issue: %s: grad_year is not a year\n", student);
    return 1;
  }
  p.grad_year = (int)year;
  const char *v;
  int64_t days = 365;
  p.issued_at_ms = clock_now_ms();
  if (((v = cli_opt(argc, argv, "--valid-days")) && parse_int64(v, 1, 36500, &days)) ||
      ((v = cli_opt(argc, argv, "--issued-at")) && parse_int64(v, 0, INT64_MAX / 2, &p.issued_at_ms))) {
    fprintf(stderr, "tucai code issue: not a valid number: %s\n", v);
    return 2;
  }
  p.expires_at_ms = p.issued_at_ms + days * 24 * 3600 * 1000;
  if ((v = cli_opt(argc, argv, "--expires-at")) && parse_int64(v, 0, INT64_MAX / 2, &p.expires_at_ms)) {
    fprintf(stderr, "tucai code issue: not a valid number: %s\n", v);
    return 2;
  }
  err_t err = {0};
  code_signer signer;
  if (code_signer_load(key, &signer, &err) != 0) return fail("issue", &err);
  char *text = code_sign(&p, &signer, &err);
  sodium_memzero(&signer, sizeof signer);
  if (!text) return fail("issue", &err);
  char l1[160], l2[200], l3[80], until[32];
  snprintf(l1, sizeof l1, "%s    %s", p.name_masked, p.id_masked);
  snprintf(l2, sizeof l2, "%s · %s · %d 届", p.school_name, p.degree, p.grad_year);
  shanghai_format(p.expires_at_ms, until);
  snprintf(l3, sizeof l3, "有效期至 %.10s", until);
  const char *cap[] = {l1, l2, l3, "请长按保存本图片，用于毕业图像采集"};
  int rc = qr_render_png(text, "学历图像采集码", cap, 4, out, &err);
  const char *text_out = cli_opt(argc, argv, "--text-out");
  if (rc == 0 && text_out) {
    FILE *f = fopen(text_out, "w");
    if (!f || fputs(text, f) < 0) rc = err_set(&err, 400, "write_failed", "cannot write %s", text_out);
    if (f) fclose(f);
  }
  free(text);
  if (rc != 0) return fail("issue", &err);
  printf("%s\n", out);
  return 0;
}

static int cmd_verify(int argc, char **argv) {
  const char *pub = cli_opt(argc, argv, "--pub");
  const char *image = cli_arg(argc, argv, 1, NULL);
  if (!pub || !image) {
    fputs(usage, stderr);
    return 2;
  }
  err_t err = {0};
  code_keyring ring;
  if (code_keyring_load(pub, &ring, &err) != 0) return fail("verify", &err);
  char *text = NULL;
  if (qr_read_file(image, CODE_PREFIX, 0, &text, &err) != 0) {
    printf("{\"valid\":false,\"reason\":\"%s\"}\n", err.code);
    return fail("verify", &err);
  }
  code_payload p;
  int rc = code_verify(text, &ring, clock_now_ms(), &p, &err);
  free(text);
  if (rc != 0) {
    printf("{\"valid\":false,\"reason\":\"%s\"}\n", err.code);
    return fail("verify", &err);
  }
  json_t *j = code_payload_json(&p);
  char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  printf("%s\n", s);
  free(s);
  json_decref(j);
  return 0;
}

static int cmd_qr(int argc, char **argv) {
  const char *text = cli_opt(argc, argv, "--text"), *out = cli_opt(argc, argv, "-o");
  if (!text || !out) {
    fputs(usage, stderr);
    return 2;
  }
  err_t err = {0};
  if (qr_render_png(text, "二维码", NULL, 0, out, &err) != 0) return fail("qr", &err);
  return 0;
}

static int run(int argc, char **argv);

int cli_code(int argc, char **argv) {
  int rc = run(argc, argv);
  qr_render_release();
  return rc;
}

static int run(int argc, char **argv) {
  const char *sub = argc > 1 ? argv[1] : "";
  if (strcmp(sub, "keygen") == 0) {
    const char *out = cli_opt(argc, argv, "--out");
    if (!out) {
      fputs(usage, stderr);
      return 2;
    }
    err_t err = {0};
    if (code_keygen(out, &err) != 0) return fail("keygen", &err);
    printf("%s\n", out);
    return 0;
  }
  if (strcmp(sub, "issue") == 0) return cmd_issue(argc, argv);
  if (strcmp(sub, "verify") == 0) return cmd_verify(argc, argv);
  if (strcmp(sub, "qr") == 0) return cmd_qr(argc, argv);
  fputs(usage, sub[0] && strcmp(sub, "--help") ? stderr : stdout);
  return sub[0] && strcmp(sub, "--help") ? 2 : 0;
}
