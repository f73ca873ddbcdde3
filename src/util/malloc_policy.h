/* malloc_policy: how this process asks glibc for memory. Call first thing in main(). */
#ifndef TUCAI_UTIL_MALLOC_POLICY_H
#define TUCAI_UTIL_MALLOC_POLICY_H

void malloc_policy_apply(void);

#endif
