/* pay_parse: WeChat Pay's JSON answers as the provider parses them: the transaction of a query
 * answer or a decrypted payment notification (pay_parse_txn) and the refund of a refund answer or
 * a decrypted refund notification (pay_parse_refund). */
#include "fuzz.h"
#include "pay/provider.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  uint8_t *p = xmalloc(n ? n : 1); /* exact size: the parsers take a length, not a terminator */
  memcpy(p, d, n);
  err_t err = {0};
  pay_txn t;
  if (pay_parse_txn((const char *)p, n, &t, &err) == 0) {
    if (!t.out_trade_no[0] || !t.trade_state[0] || !t.mchid[0] || t.total_fen < 0) abort();
  }
  pay_refund r;
  err_t err2 = {0};
  if (pay_parse_refund((const char *)p, n, &r, &err2) == 0) {
    if (!r.out_trade_no[0] || !r.out_refund_no[0] || !r.status[0]) abort();
  }
  free(p);
  return 0;
}
