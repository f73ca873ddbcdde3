/* demo: the identity part of `tucai serve --demo` (see demo.h). */
#include "identity/demo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "identity/batch.h"
#include "identity/code.h"
#include "identity/idcard.h"
#include "identity/qr.h"
#include "identity/roster.h"
#include "util/clock.h"

#define DEMO_SCHOOL_CODE "99001"
#define DEMO_SCHOOL_NAME "图采示范大学"

typedef struct demo_student {
  const char *no, *name, *id17, *college, *major, *degree;
} demo_student;

/* Invented people; ID numbers get their real check digit so that the roster accepts them. */
static const demo_student students[] = {
    {"2022110101", "张三", "21020319990315123", "化工学院", "化学工程与技术", "硕士"},
    {"2022110102", "李四", "21021119981102234", "机械工程学院", "机械工程", "硕士"},
    {"2021120201", "王五", "37010219960728345", "软件学院", "软件工程", "博士"},
    {"2022110103", "赵六", "11010819990909456", "管理与经济学部", "管理科学与工程", "硕士"},
};

int identity_seed_demo(db_t *db, const char *data_dir, const char *profiles_dir, err_t *err) {
  err_clear(err);
  int64_t have = db_int(db, err, 0, "SELECT COUNT(*) FROM schools WHERE code = $1", DB_TEXT(DEMO_SCHOOL_CODE));
  if (err_is_set(err)) return -1;
  if (have > 0) return 0;
  int64_t school = school_create(db, DEMO_SCHOOL_CODE, DEMO_SCHOOL_NAME, err);
  if (school < 0) return -1;
  batch b;
  memset(&b, 0, sizeof b);
  b.school_id = school;
  snprintf(b.name, sizeof b.name, "2025 届研究生毕业生图像在线补采");
  int64_t now = clock_now_ms();
  b.window_start_ms = now - 24LL * 3600 * 1000;
  b.window_end_ms = now + 30LL * 24 * 3600 * 1000;
  /* The notice's fee is 30 yuan; printing and postage are the optional extras of the domain. */
  b.n_fees = 3;
  b.fees[0] = (batch_fee_item){"collect", "采集服务费", 3000, 1};
  b.fees[1] = (batch_fee_item){"print", "纸质照片冲印", 1000, 0};
  b.fees[2] = (batch_fee_item){"post", "邮寄费", 1200, 0};
  /* The light-blue wall (100, 197, 255) that the rules page shows the students. */
  snprintf(b.profile, sizeof b.profile, "chsi-blue");
  snprintf(b.eligibility, sizeof b.eligibility, "{\"grad_year\":2025,\"degrees\":[\"硕士\",\"博士\"]}");
  int64_t batch_id = batch_create(db, &b, profiles_dir, err);
  if (batch_id < 0) return -1;
  roster_parsed p;
  memset(&p, 0, sizeof p);
  roster_row rows[sizeof students / sizeof *students];
  memset(rows, 0, sizeof rows);
  for (size_t i = 0; i < sizeof students / sizeof *students; i++) {
    roster_row *r = &rows[i];
    r->line = (int)i + 2;
    snprintf(r->student_no, sizeof r->student_no, "%s", students[i].no);
    snprintf(r->name, sizeof r->name, "%s", students[i].name);
    snprintf(r->id_number, sizeof r->id_number, "%s%c", students[i].id17, idcard_check_char(students[i].id17));
    snprintf(r->college, sizeof r->college, "%s", students[i].college);
    snprintf(r->major, sizeof r->major, "%s", students[i].major);
    snprintf(r->degree, sizeof r->degree, "%s", students[i].degree);
    r->grad_year = 2025;
  }
  p.rows = rows;
  p.n_rows = p.cap_rows = (int)(sizeof students / sizeof *students);
  roster_import_result res;
  int rc = roster_import(db, batch_id, &p, &res, err);
  free(p.errors);
  if (rc != 0) return -1;

  /* Issuer keys (the server trusts <data>/code-keys by default) and one ready code. */
  char keys[1024], dir[1024], png[1100];
  snprintf(keys, sizeof keys, "%s/code-keys", data_dir);
  char probe[1100];
  snprintf(probe, sizeof probe, "%s/issuer.key", keys);
  if (access(probe, F_OK) != 0 && code_keygen(keys, err) != 0) return -1;
  code_signer signer;
  if (code_signer_load(keys, &signer, err) != 0) return -1;
  snprintf(dir, sizeof dir, "%s/demo", data_dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return err_set(err, 0, "demo_dir", "cannot create %s", dir);
  const roster_row *r = &rows[0];
  code_payload cp;
  memset(&cp, 0, sizeof cp);
  snprintf(cp.student_no, sizeof cp.student_no, "%s", r->student_no);
  code_mask_name(r->name, cp.name_masked);
  code_mask_id(r->id_number, cp.id_masked);
  snprintf(cp.school_code, sizeof cp.school_code, DEMO_SCHOOL_CODE);
  snprintf(cp.school_name, sizeof cp.school_name, DEMO_SCHOOL_NAME);
  snprintf(cp.degree, sizeof cp.degree, "%s", r->degree);
  cp.grad_year = r->grad_year;
  cp.issued_at_ms = now;
  cp.expires_at_ms = now + 365LL * 24 * 3600 * 1000;
  char *text = code_sign(&cp, &signer, err);
  sodium_memzero(&signer, sizeof signer);
  if (!text) return -1;
  char l1[160], l2[200];
  snprintf(l1, sizeof l1, "%s    %s", cp.name_masked, cp.id_masked);
  snprintf(l2, sizeof l2, "%s · %s · %d 届", cp.school_name, cp.degree, cp.grad_year);
  const char *cap[] = {l1, l2, "演示用采集码（非学信网签发）"};
  snprintf(png, sizeof png, "%s/collection-code-%s.png", dir, r->student_no);
  rc = qr_render_png(text, "学历图像采集码", cap, 3, png, err);
  free(text);
  if (rc != 0) return -1;
  char readme[1100];
  snprintf(readme, sizeof readme, "%s/README.txt", dir);
  FILE *f = fopen(readme, "w");
  if (f) {
    fprintf(f,
            "Demo student sign-in: any mainland phone number (e.g. 13800000000); the one-time code is in the\n"
            "server log (sms_sender=log) or the SMS outbox. Choose the school %s (%s) and upload\n"
            "collection-code-%s.png from this folder.\n",
            DEMO_SCHOOL_NAME, DEMO_SCHOOL_CODE, r->student_no);
    fclose(f);
  }
  return 0;
}
