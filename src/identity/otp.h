/* otp: phone sign-in with one-time codes.
 *
 * A code is 6 random digits, stored only as a keyed hash, valid `ttl_ms`, and allows `max_tries`
 * wrong entries before it is dead. Sending is limited per phone (one per `resend_ms`,
 * `per_phone_hour` an hour) and per client address (`per_ip_hour`), so guessing is bounded:
 * per phone at most per_phone_hour * max_tries guesses an hour against 10^6 codes. */
#ifndef TUCAI_IDENTITY_OTP_H
#define TUCAI_IDENTITY_OTP_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

typedef struct otp_limits {
  int64_t ttl_ms;
  int max_tries;
  int64_t resend_ms;
  int per_phone_hour;
  int per_ip_hour;
} otp_limits;

/* 1 for a mainland mobile number (11 digits, 1[3-9]...). */
int otp_phone_valid(const char *phone);
/* Makes and stores a new code after the rate checks (429 otp_too_frequent / otp_phone_limit /
 * otp_ip_limit). The code is written to code_out for the SMS sender and nowhere else. */
int otp_issue(db_t *db, const otp_limits *lim, const char *phone, const char *client_ip, char code_out[7], err_t *err);
/* Checks an entered code against the phone's latest code: 0 when right (the code is used up);
 * otherwise otp_not_found, otp_expired, otp_locked (429), otp_wrong (with tries left). */
int otp_check(db_t *db, const otp_limits *lim, const char *phone, const char *code, err_t *err);

#endif
