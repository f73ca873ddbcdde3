/* Collection-code format: signing, verification refusals, masking, key rotation, key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity/code.h"

static char tmpdir[256];

static void make_dir(const char *sub, char *out, size_t cap) { snprintf(out, cap, "%s/%s", tmpdir, sub); }

static code_payload sample(int64_t now) {
  code_payload p;
  memset(&p, 0, sizeof p);
  snprintf(p.student_no, sizeof p.student_no, "20231234");
  code_mask_name("张三丰", p.name_masked);
  code_mask_id("21020319900101123X", p.id_masked);
  snprintf(p.school_code, sizeof p.school_code, "99001");
  snprintf(p.school_name, sizeof p.school_name, "图采示范大学");
  snprintf(p.degree, sizeof p.degree, "硕士");
  p.grad_year = 2025;
  p.issued_at_ms = now;
  p.expires_at_ms = now + 3600 * 1000;
  return p;
}

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/tucai-code-XXXXXX");
  assert_non_null(mkdtemp(tmpdir));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static void test_masks(void **state) {
  (void)state;
  char n[64], id[24];
  code_mask_name("张三", n);
  assert_string_equal(n, "张*");
  code_mask_name("欧阳娜娜", n);
  assert_string_equal(n, "欧***");
  code_mask_name("Li", n);
  assert_string_equal(n, "L*");
  code_mask_id("210203199001011234", id);
  assert_string_equal(id, "2102************34");
}

static void test_sign_verify_and_refusals(void **state) {
  (void)state;
  char a[300], b[300];
  make_dir("a", a, sizeof a);
  make_dir("b", b, sizeof b);
  err_t err = {0};
  assert_int_equal(code_keygen(a, &err), 0);
  assert_int_equal(code_keygen(b, &err), 0);
  /* keys are never overwritten */
  assert_int_equal(code_keygen(a, &err), -1);
  assert_string_equal(err.code, "key_exists");
  char path[400];
  struct stat st;
  snprintf(path, sizeof path, "%s/issuer.key", a);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);

  code_signer sa, sb;
  assert_int_equal(code_signer_load(a, &sa, &err), 0);
  assert_int_equal(code_signer_load(b, &sb, &err), 0);
  code_keyring ring;
  assert_int_equal(code_keyring_load(a, &ring, &err), 0);
  assert_int_equal(ring.n, 1);

  int64_t now = 1730851200000; /* 2024-11-06 */
  code_payload p = sample(now), got;
  char *text = code_sign(&p, &sa, &err);
  assert_non_null(text);
  assert_memory_equal(text, "TC1.", 4);
  assert_int_equal(code_verify(text, &ring, now + 1000, &got, &err), 0);
  assert_string_equal(got.student_no, "20231234");
  assert_string_equal(got.name_masked, "张**");
  assert_string_equal(got.id_masked, "2102************3X");
  assert_string_equal(got.school_name, "图采示范大学");
  assert_string_equal(got.kid, sa.kid);
  assert_string_equal(got.seal_kid, sa.seal_kid);
  assert_int_equal(got.grad_year, 2025);

  /* expired */
  assert_int_equal(code_verify(text, &ring, p.expires_at_ms, &got, &err), -1);
  assert_string_equal(err.code, "code_expired");

  /* tampered payload: decode, change the student number, re-encode, keep the signature */
  char *dot = strrchr(text, '.');
  size_t plen = (size_t)(dot - text) - 4;
  unsigned char body[1024];
  size_t blen;
  assert_int_equal(
      sodium_base642bin(body, sizeof body, text + 4, plen, NULL, &blen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
      0);
  body[blen] = 0;
  char *hit = strstr((char *)body, "20231234");
  assert_non_null(hit);
  hit[7] = '5';
  char forged[2048];
  strcpy(forged, "TC1.");
  sodium_bin2base64(forged + 4, sizeof forged - 4, body, blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  strcat(forged, dot);
  assert_int_equal(code_verify(forged, &ring, now, &got, &err), -1);
  assert_string_equal(err.code, "bad_signature");

  /* signed by b: unknown key id for a ring that trusts only a */
  char *text_b = code_sign(&p, &sb, &err);
  assert_non_null(text_b);
  assert_int_equal(code_verify(text_b, &ring, now, &got, &err), -1);
  assert_string_equal(err.code, "unknown_issuer");

  /* signed by b but claiming a's key id: wrong key */
  code_signer fake = sb;
  memcpy(fake.kid, sa.kid, sizeof fake.kid);
  char *text_f = code_sign(&p, &fake, &err);
  assert_int_equal(code_verify(text_f, &ring, now, &got, &err), -1);
  assert_string_equal(err.code, "bad_signature");

  /* not a code at all */
  const char *junk[] = {"https://example.com/", "TC1.", "TC1.abc", "TC1.e30.AAAA", "TC2.x.y", ""};
  for (size_t i = 0; i < sizeof junk / sizeof *junk; i++) {
    assert_int_equal(code_verify(junk[i], &ring, now, &got, &err), -1);
    assert_string_equal(err.code, "not_collection_code");
  }

  /* rotation: a dir trusting both public keys verifies both */
  char both[300], cmd[2000];
  make_dir("both", both, sizeof both);
  snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/issuer.pub %s/old.pub && cp %s/issuer.pub %s/new.pub", both, a, both,
           b, both);
  assert_int_equal(system(cmd), 0);
  code_keyring ring2;
  assert_int_equal(code_keyring_load(both, &ring2, &err), 0);
  assert_int_equal(ring2.n, 2);
  assert_int_equal(code_verify(text, &ring2, now, &got, &err), 0);
  assert_int_equal(code_verify(text_b, &ring2, now, &got, &err), 0);

  /* a public key file whose key id does not match its key is ignored */
  snprintf(cmd, sizeof cmd, "sed -i 's/ [0-9a-f]\\{16\\} / 0000000000000000 /' %s/new.pub", both);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(code_keyring_load(both, &ring2, &err), 0);
  assert_int_equal(ring2.n, 1);

  uint8_t xpk[32];
  assert_int_equal(code_seal_pub_load(a, sa.seal_kid, xpk, &err), 0);
  free(text);
  free(text_b);
  free(text_f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_masks),
      cmocka_unit_test(test_sign_verify_and_refusals),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
