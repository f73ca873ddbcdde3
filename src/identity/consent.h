/* consent: the privacy notice a student accepts before the collection-code step.
 *
 * The site takes an ID number and a face photo, so a student first reads the notice (what is
 * collected, why, how long it is kept, who sees it, how to have it deleted: consent_notice.c,
 * served with its version to the student page) and accepts it. Which version of the notice and when are stored per account
 * (table privacy_consents, append-only); the collection-code step is refused until the current
 * version is accepted. A new notice gets a new CONSENT_VERSION, and every student accepts again. */
#ifndef TUCAI_IDENTITY_CONSENT_H
#define TUCAI_IDENTITY_CONSENT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* The notice's version: a new text (consent_notice.c) gets a new version. */
#define CONSENT_VERSION "2026-11-v1"

/* The notice of CONSENT_VERSION: a new array of {title, text}, in the order shown. */
json_t *consent_notice_sections(void);

/* When the account accepted `version` (unix ms), 0 when it has not; -1 on errors. */
int64_t consent_accepted_at(db_t *db, int64_t account_id, const char *version, err_t *err);
/* Records the acceptance of `version`, which must be CONSENT_VERSION (409 "consent_outdated": the
 * page showed an older notice); accepting again keeps the first time. Returns the time or -1. */
int64_t consent_accept(db_t *db, int64_t account_id, const char *version, err_t *err);
/* 409 "consent_required" unless the account accepted the current version. */
int consent_require(db_t *db, int64_t account_id, err_t *err);

#endif
