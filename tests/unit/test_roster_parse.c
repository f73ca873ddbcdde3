/* Roster files: UTF-8, UTF-8 with BOM and GBK CSV, XLSX; header mapping; per-row errors with
 * line numbers; GB 11643 check digits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "identity/idcard.h"
#include "identity/roster_parse.h"

/* Valid IDs built from a 17-digit body with the computed check character. */
static void make_id(const char *body17, char out[19]) {
  memcpy(out, body17, 17);
  out[17] = idcard_check_char(body17);
  out[18] = 0;
}

static void test_idcard(void **state) {
  (void)state;
  /* Known example from GB 11643's annex: 11010519491231002X */
  assert_int_equal(idcard_valid("11010519491231002X", NULL), 1);
  assert_int_equal(idcard_valid("11010519491231002x", NULL), 1);
  assert_int_equal(idcard_valid("110105194912310021", NULL), 0);
  const char *why = NULL;
  assert_int_equal(idcard_valid("11010519491331002X", &why), 0); /* month 13 */
  assert_string_equal(why, "身份证号中的出生日期无效");
  assert_int_equal(idcard_valid("1101051949123100", &why), 0);
  assert_string_equal(why, "身份证号应为 18 位");
  assert_int_equal(idcard_valid("1101051949123100AX", &why), 0);
  char id[19];
  make_id("21020319900229123", id); /* 1990 is not a leap year */
  assert_int_equal(idcard_valid(id, &why), 0);
  make_id("21020320000229123", id); /* 2000 is */
  assert_int_equal(idcard_valid(id, &why), 1);
}

static const char *HEADER = "学号,姓名,身份证号,学院,专业,学历层次,毕业年份\n";

static void build_csv(char *buf, size_t cap) {
  char a[19], b[19], c[19];
  make_id("21020319980101123", a);
  make_id("37010219970505456", b);
  make_id("11010819960315789", c);
  char bad[19];
  memcpy(bad, a, 19);
  bad[17] = bad[17] == '0' ? '1' : '0';
  snprintf(buf, cap,
           "%s"
           "2023001,张三,%s,化工学院,化学工程,硕士,2025\r\n"
           "2023002,\"李,四\",%s,\"机械工程学院\",\"机械\"\"设计\"\"\",博士研究生,2025\r\n"
           "2023003,王五,%s,软件学院,软件工程,本科,2025\r\n"               /* bad degree */
           "2023004,赵六,%s,软件学院,软件工程,硕士,2025\r\n"               /* bad check digit */
           "2023005,,%s,软件学院,软件工程,硕士,2025\r\n"                   /* empty name */
           "\"2023006\",\"孙\n七\",%s,管理学院,管理科学,硕士,二零二五\r\n" /* newline in quotes; bad year */
           "2023007,周八,%s,管理学院,管理科学,硕士,2025\r\n"
           "2023008,陈九,%s,管理学院,管理科学,硕士,二零二五\r\n" /* bad year */
           "\r\n",
           HEADER, a, b, c, bad, a, b, c, a);
}

static void check_csv_result(const roster_parsed *p) {
  assert_int_equal(p->n_rows, 3);
  assert_string_equal(p->rows[0].student_no, "2023001");
  assert_string_equal(p->rows[0].name, "张三");
  assert_int_equal(p->rows[0].line, 2);
  assert_string_equal(p->rows[1].name, "李,四");
  assert_string_equal(p->rows[1].major, "机械\"设计\"");
  assert_string_equal(p->rows[1].degree, "博士");
  assert_string_equal(p->rows[2].student_no, "2023007");
  assert_int_equal(p->rows[2].line, 9); /* the quoted newline counts */
  assert_int_equal(p->n_errors, 5);
  assert_int_equal(p->errors[0].line, 4);
  assert_non_null(strstr(p->errors[0].reason, "学历层次"));
  assert_int_equal(p->errors[1].line, 5);
  assert_string_equal(p->errors[1].reason, "身份证号校验位错误");
  assert_int_equal(p->errors[2].line, 6);
  assert_non_null(strstr(p->errors[2].reason, "姓名"));
  assert_int_equal(p->errors[3].line, 7);
  assert_non_null(strstr(p->errors[3].reason, "姓名")); /* a newline is not part of a name */
  assert_int_equal(p->errors[4].line, 10);
  assert_non_null(strstr(p->errors[4].reason, "毕业年份"));
}

static void test_csv_utf8_and_bom(void **state) {
  (void)state;
  char csv[4096];
  build_csv(csv, sizeof csv);
  roster_parsed p;
  err_t err = {0};
  assert_int_equal(roster_parse_csv(csv, strlen(csv), &p, &err), 0);
  check_csv_result(&p);
  roster_parsed_free(&p);
  char bom[4200] = "\xEF\xBB\xBF";
  strcat(bom, csv);
  assert_int_equal(roster_parse_csv(bom, strlen(bom), &p, &err), 0);
  check_csv_result(&p);
  roster_parsed_free(&p);
}

static void test_csv_gbk(void **state) {
  (void)state;
  char csv[4096], gbk[4096];
  build_csv(csv, sizeof csv);
  iconv_t cd = iconv_open("GBK", "UTF-8");
  char *ip = csv, *op = gbk;
  size_t il = strlen(csv), ol = sizeof gbk;
  assert_int_not_equal(iconv(cd, &ip, &il, &op, &ol), (size_t)-1);
  iconv_close(cd);
  size_t n = (size_t)(op - gbk);
  roster_parsed p;
  err_t err = {0};
  assert_int_equal(roster_parse_csv(gbk, n, &p, &err), 0);
  check_csv_result(&p);
  roster_parsed_free(&p);
}

static void test_header_errors(void **state) {
  (void)state;
  roster_parsed p;
  err_t err = {0};
  const char *noid = "学号,姓名,学院,专业,学历层次,毕业年份\n1,张三,a,b,硕士,2025\n";
  assert_int_equal(roster_parse_csv(noid, strlen(noid), &p, &err), -1);
  assert_string_equal(err.code, "roster_header");
  assert_non_null(strstr(err.message, "身份证号"));
  assert_int_equal(roster_parse_csv("", 0, &p, &err), -1);
  /* English header, other column order */
  char id[19], csv[512];
  make_id("21020319980101123", id);
  snprintf(csv, sizeof csv, "grad_year,degree,major,college,id_number,name,student_no\n2025,硕士,m,c,%s,Li Lei,S-01\n",
           id);
  assert_int_equal(roster_parse_csv(csv, strlen(csv), &p, &err), 0);
  assert_int_equal(p.n_rows, 1);
  assert_string_equal(p.rows[0].student_no, "S-01");
  assert_string_equal(p.rows[0].name, "Li Lei");
  roster_parsed_free(&p);
  /* binary junk is refused, not parsed */
  const char junk[] = {'a', 0, 'b', (char)0xff};
  assert_int_equal(roster_parse_csv(junk, sizeof junk, &p, &err), -1);
}

static void test_xlsx(void **state) {
  (void)state;
  char path[] = "/tmp/tucai-roster-XXXXXX.xlsx";
  int fd = mkstemps(path, 5);
  assert_true(fd >= 0);
  close(fd);
  lxw_workbook *wb = workbook_new(path);
  lxw_worksheet *ws = workbook_add_worksheet(wb, "名单");
  const char *hdr[] = {"学号", "姓名", "身份证号", "学院", "专业", "学历层次", "毕业年份"};
  for (int c = 0; c < 7; c++) worksheet_write_string(ws, 0, (lxw_col_t)c, hdr[c], NULL);
  char a[19], b[19];
  make_id("21020319980101123", a);
  make_id("37010219970505456", b);
  worksheet_write_number(ws, 1, 0, 2023101, NULL); /* a numeric student number */
  worksheet_write_string(ws, 1, 1, "钱九", NULL);
  worksheet_write_string(ws, 1, 2, a, NULL);
  worksheet_write_string(ws, 1, 3, "化工学院", NULL);
  worksheet_write_string(ws, 1, 4, "化学工程", NULL);
  worksheet_write_string(ws, 1, 5, "硕士", NULL);
  worksheet_write_number(ws, 1, 6, 2025, NULL);
  /* row 3: ID typed as a number loses digits in Excel: must be refused */
  worksheet_write_string(ws, 2, 0, "2023102", NULL);
  worksheet_write_string(ws, 2, 1, "吴十", NULL);
  worksheet_write_number(ws, 2, 2, 370102199705054560.0, NULL);
  worksheet_write_string(ws, 2, 3, "化工学院", NULL);
  worksheet_write_string(ws, 2, 4, "化学工程", NULL);
  worksheet_write_string(ws, 2, 5, "博士", NULL);
  worksheet_write_number(ws, 2, 6, 2025, NULL);
  /* row 5 (row 4 left empty) */
  worksheet_write_string(ws, 4, 0, "2023103", NULL);
  worksheet_write_string(ws, 4, 1, "郑十一", NULL);
  worksheet_write_string(ws, 4, 2, b, NULL);
  worksheet_write_string(ws, 4, 3, "理学院", NULL);
  worksheet_write_string(ws, 4, 4, "数学", NULL);
  worksheet_write_string(ws, 4, 5, "博士", NULL);
  worksheet_write_string(ws, 4, 6, "2025", NULL);
  lxw_error werr = workbook_close(wb);
  if (werr != LXW_NO_ERROR) fail_msg("xlsx: %s", lxw_strerror(werr));
  roster_parsed p;
  err_t err = {0};
  assert_int_equal(roster_parse_file(path, &p, &err), 0);
  assert_int_equal(p.n_rows, 2);
  assert_string_equal(p.rows[0].student_no, "2023101");
  assert_string_equal(p.rows[0].name, "钱九");
  assert_string_equal(p.rows[0].id_number, a);
  assert_int_equal(p.rows[0].grad_year, 2025);
  assert_string_equal(p.rows[1].student_no, "2023103");
  assert_int_equal(p.rows[1].line, 5);
  assert_int_equal(p.n_errors, 1);
  assert_int_equal(p.errors[0].line, 3);
  roster_parsed_free(&p);
  /* a truncated upload (no central directory) is a 400, not a crash */
  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  assert_int_equal(truncate(path, size / 2), 0);
  int rc = roster_parse_file(path, &p, &err);
  assert_int_equal(rc, -1);
  assert_int_equal(err.status, 400);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_idcard),  cmocka_unit_test(test_csv_utf8_and_bom),
      cmocka_unit_test(test_csv_gbk), cmocka_unit_test(test_header_errors),
      cmocka_unit_test(test_xlsx),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
