/* clock: wall-clock and monotonic time in the units the store and the metrics use. */
#ifndef TUCAI_UTIL_CLOCK_H
#define TUCAI_UTIL_CLOCK_H

#include <stdint.h>

int64_t clock_now_ms(void); /* unix time, milliseconds */
double clock_mono_s(void);  /* monotonic seconds, for durations */
void clock_sleep_ms(int64_t ms);

#endif
