#include "pay/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "identity/batch.h"
#include "pay/mock.h"
#include "util/xlsx_mem.h"
#include "util/xmalloc.h"

json_t *pay_payments(db_t *db, const char *date, err_t *err) {
  int64_t from = shanghai_day_start(date);
  if (from < 0) {
    err_set(err, 400, "invalid_date", "日期格式应为 YYYY-MM-DD");
    return NULL;
  }
  int64_t to = from + 86400000;
  db_res *r = db_query(
      db, err,
      "SELECT out_trade_no, COALESCE(transaction_id, '') AS transaction_id, batch_id, items, amount_fen, state, "
      "COALESCE(paid_at, 0) AS paid_at_or_0, refund_fen, COALESCE(refunded_at, 0) AS refunded_at, COALESCE(flag, '') AS flag, provider "
      "FROM pay_orders WHERE (paid_at >= $1 AND paid_at < $2) OR (refunded_at >= $1 AND refunded_at < $2) "
      "ORDER BY paid_at, id",
      DB_INT(from), DB_INT(to));
  if (!r) return NULL;
  json_t *rows = json_array();
  /* The loop reads many rows: each column is looked up once. */
  int c_items = db_res_col(r, "items"), c_out_trade_no = db_res_col(r, "out_trade_no");
  int c_transaction_id = db_res_col(r, "transaction_id"), c_batch_id = db_res_col(r, "batch_id");
  int c_amount_fen = db_res_col(r, "amount_fen"), c_state = db_res_col(r, "state");
  int c_paid_at_or_0 = db_res_col(r, "paid_at_or_0"), c_refund_fen = db_res_col(r, "refund_fen");
  int c_refunded_at = db_res_col(r, "refunded_at"), c_flag = db_res_col(r, "flag");
  int c_provider = db_res_col(r, "provider");
  for (int i = 0; i < db_res_rows(r); i++) {
    json_t *items = json_loads(db_res_text(r, i, c_items), 0, NULL);
    json_array_append_new(
        rows, json_pack("{s:s, s:s, s:I, s:o, s:I, s:s, s:I, s:I, s:I, s:s, s:s}", "out_trade_no",
                        db_res_text(r, i, c_out_trade_no), "transaction_id", db_res_text(r, i, c_transaction_id),
                        "batch_id", (json_int_t)db_res_int(r, i, c_batch_id), "items", items ? items : json_array(),
                        "amount_fen", (json_int_t)db_res_int(r, i, c_amount_fen), "state", db_res_text(r, i, c_state),
                        "paid_at", (json_int_t)db_res_int(r, i, c_paid_at_or_0), "refund_fen",
                        (json_int_t)db_res_int(r, i, c_refund_fen), "refunded_at",
                        (json_int_t)db_res_int(r, i, c_refunded_at), "flag", db_res_text(r, i, c_flag), "provider",
                        db_res_text(r, i, c_provider)));
  }
  db_res_free(r);
  return rows;
}

static void items_text(const json_t *items, char *out, size_t cap) {
  size_t used = 0, i;
  json_t *it;
  out[0] = '\0';
  json_array_foreach(items, i, it) used += (size_t)snprintf(
      out + used, used < cap ? cap - used : 0, "%s%s", i ? "+" : "", json_string_value(json_object_get(it, "code")));
}

static void when(int64_t ms, char out[32]) {
  if (ms)
    shanghai_format(ms, out);
  else
    out[0] = '\0';
}

#define COLUMNS "订单号,微信支付单号,批次,项目,金额(元),状态,支付时间,退款(元),退款时间,标记"

char *pay_payments_csv(const json_t *rows, size_t *len) {
  size_t cap = 4096, used = 0;
  char *s = xmalloc(cap);
  used = (size_t)snprintf(s, cap, "\xEF\xBB\xBF" COLUMNS "\r\n");
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    char items[256], paid[32], refunded[32];
    items_text(json_object_get(r, "items"), items, sizeof items);
    when(json_integer_value(json_object_get(r, "paid_at")), paid);
    when(json_integer_value(json_object_get(r, "refunded_at")), refunded);
    int64_t amt = json_integer_value(json_object_get(r, "amount_fen"));
    int64_t ref = json_integer_value(json_object_get(r, "refund_fen"));
    char line[1024];
    int n = snprintf(
        line, sizeof line, "%s,%s,%lld,%s,%lld.%02lld,%s,%s,%lld.%02lld,%s,%s\r\n",
        json_string_value(json_object_get(r, "out_trade_no")), json_string_value(json_object_get(r, "transaction_id")),
        (long long)json_integer_value(json_object_get(r, "batch_id")), items, (long long)(amt / 100),
        (long long)(amt % 100), json_string_value(json_object_get(r, "state")), paid, (long long)(ref / 100),
        (long long)(ref % 100), refunded, json_string_value(json_object_get(r, "flag")));
    if (n < 0) continue;
    if (used + (size_t)n + 1 > cap) {
      while (used + (size_t)n + 1 > cap) cap *= 2;
      s = xrealloc(s, cap);
    }
    memcpy(s + used, line, (size_t)n + 1);
    used += (size_t)n;
  }
  *len = used;
  return s;
}

char *pay_payments_xlsx(const json_t *rows, const char *tmp_dir, size_t *len, err_t *err) {
  char path[XLSX_MEM_PATH];
  lxw_workbook *wb = xlsx_mem_open(tmp_dir, path, err);
  if (!wb) return NULL;
  lxw_worksheet *ws = workbook_add_worksheet(wb, "payments");
  lxw_format *money = workbook_add_format(wb);
  format_set_num_format(money, "0.00");
  const char *head[] = {"订单号", "微信支付单号", "批次",     "项目",     "金额(元)",
                        "状态",   "支付时间",     "退款(元)", "退款时间", "标记"};
  for (int c = 0; c < 10; c++) worksheet_write_string(ws, 0, (lxw_col_t)c, head[c], NULL);
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    lxw_row_t row = (lxw_row_t)(i + 1);
    char items[256], paid[32], refunded[32];
    items_text(json_object_get(r, "items"), items, sizeof items);
    when(json_integer_value(json_object_get(r, "paid_at")), paid);
    when(json_integer_value(json_object_get(r, "refunded_at")), refunded);
    worksheet_write_string(ws, row, 0, json_string_value(json_object_get(r, "out_trade_no")), NULL);
    worksheet_write_string(ws, row, 1, json_string_value(json_object_get(r, "transaction_id")), NULL);
    worksheet_write_number(ws, row, 2, (double)json_integer_value(json_object_get(r, "batch_id")), NULL);
    worksheet_write_string(ws, row, 3, items, NULL);
    worksheet_write_number(ws, row, 4, (double)json_integer_value(json_object_get(r, "amount_fen")) / 100.0, money);
    worksheet_write_string(ws, row, 5, json_string_value(json_object_get(r, "state")), NULL);
    worksheet_write_string(ws, row, 6, paid, NULL);
    worksheet_write_number(ws, row, 7, (double)json_integer_value(json_object_get(r, "refund_fen")) / 100.0, money);
    worksheet_write_string(ws, row, 8, refunded, NULL);
    worksheet_write_string(ws, row, 9, json_string_value(json_object_get(r, "flag")), NULL);
  }
  uint8_t *data = NULL;
  if (xlsx_mem_close(wb, path, &data, len, err) < 0) return NULL;
  return (char *)data;
}

static void mismatch(json_t *list, const char *kind, const char *no, int64_t ours, int64_t bill) {
  json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:I}", "kind", kind, "out_trade_no", no, "ours_fen",
                                        (json_int_t)ours, "bill_fen", (json_int_t)bill));
}

json_t *pay_reconcile(db_t *db, pay_provider *p, const char *date, err_t *err) {
  json_t *ours = pay_payments(db, date, err);
  if (!ours) return NULL;
  pay_bill_row *bill = NULL;
  int n = 0;
  if (p->bill(p, date, &bill, &n, err) < 0) {
    json_decref(ours);
    return NULL;
  }
  json_t *list = json_array();
  char *seen = xcalloc((size_t)n + 1, 1);
  size_t i;
  json_t *o;
  json_array_foreach(ours, i, o) {
    const char *no = json_string_value(json_object_get(o, "out_trade_no"));
    const char *state = json_string_value(json_object_get(o, "state"));
    int64_t amt = json_integer_value(json_object_get(o, "amount_fen"));
    int refunded = strcmp(state, "refunded") == 0;
    int k = 0;
    for (; k < n; k++)
      if (strcmp(bill[k].out_trade_no, no) == 0) break;
    if (k == n) {
      mismatch(list, "missing_in_bill", no, amt, 0);
      continue;
    }
    seen[k] = 1;
    if (bill[k].total_fen != amt)
      mismatch(list, "amount_mismatch", no, amt, bill[k].total_fen);
    else if (refunded != (strcmp(bill[k].state, "REFUND") == 0))
      mismatch(list, "state_mismatch", no, amt, bill[k].total_fen);
  }
  for (int k = 0; k < n; k++)
    if (!seen[k]) mismatch(list, "missing_here", bill[k].out_trade_no, 0, bill[k].total_fen);
  json_t *out = json_pack("{s:s, s:I, s:I, s:o}", "date", date, "ours", (json_int_t)json_array_size(ours), "bill",
                          (json_int_t)n, "mismatches", list);
  free(seen);
  free(bill);
  json_decref(ours);
  return out;
}
