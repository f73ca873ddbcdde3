/* address: shipping addresses for printed photos. Recipient, mobile and street are personal data,
 * sealed with util/vault before they reach the store; the region is a division code checked
 * against regions.h, stored with its names. Only the owning student (and, later, the operator who
 * posts the prints) reads them back. */
#ifndef TUCAI_PAY_ADDRESS_H
#define TUCAI_PAY_ADDRESS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

typedef struct pay_address_in {
  const char *recipient, *mobile, *region_code, *street;
} pay_address_in;

/* Validates (400 with the field's own code and a Chinese message) and stores; returns the id. */
int64_t pay_address_save(db_t *db, int64_t account_id, const pay_address_in *a, err_t *err);
/* {recipient, mobile, region_code, region_names, street} of an address (owner 0 = any). */
json_t *pay_address_json(db_t *db, int64_t id, int64_t owner_account, err_t *err);
/* 1 when `s` is a mainland mobile number (11 digits, 1[3-9]...). */
int pay_mobile_valid(const char *s);

#endif
