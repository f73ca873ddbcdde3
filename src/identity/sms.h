/* sms: how sign-in codes reach the student's phone. One interface, three senders:
 *   log    - development: the code goes to the server log (the phone number masked)
 *   http   - a configurable SMS gateway: POST <url> with JSON {"to","template":"otp","params":{"code"}}
 *            and "Authorization: Bearer <token>" when a token file is set; success is a 2xx answer
 *            whose JSON body has "ok": true
 *   outbox - tests and demos: one JSON line {"to","code","at"} appended to a file (mode 0600)
 * The gateway is an edge we do not control: a timeout or refusal is a 502 for the student. */
#ifndef TUCAI_IDENTITY_SMS_H
#define TUCAI_IDENTITY_SMS_H

#include "util/err.h"

typedef struct sms_sender {
  const char *kind; /* "log", "http", "outbox" */
  const char *http_url;
  const char *token_file;
  const char *outbox;
} sms_sender;

int sms_send_code(const sms_sender *s, const char *phone, const char *code, err_t *err);

#endif
