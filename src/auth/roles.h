/* roles: who a signed-in caller is, as one bit of a set. A route lists the bits it admits (the
 * HTTP layer only tests bits; it does not know what they mean); the domain rooms decide with them
 * what a caller may see (a student their own, staff their school's). */
#ifndef TUCAI_AUTH_ROLES_H
#define TUCAI_AUTH_ROLES_H

enum {
  ROLE_STUDENT = 1 << 0,
  ROLE_REVIEWER = 1 << 1,
  ROLE_SCHOOL_ADMIN = 1 << 2,
  ROLE_OPERATOR = 1 << 3,
};
#define ROLE_STAFF (ROLE_REVIEWER | ROLE_SCHOOL_ADMIN | ROLE_OPERATOR)
#define ROLE_ANY_USER (ROLE_STUDENT | ROLE_STAFF)

#endif
