/* production: what makes a configuration fit to face the public, decided in one place.
 *
 * A server started from defaults must not be a free-payment, codes-in-the-log server. So `tucai
 * serve` and `tucai worker` refuse to start with the mock payment provider, the log (or outbox)
 * SMS sender, or a configured key file that is missing, unless the configuration says it is not
 * production: `dev = 1` (TUCAI_DEV=1, --dev) or `demo = 1` (--demo). Missing keys are created only
 * then, or on request (`tucai keys init`). `tucai doctor` goes further (src/cli/doctor.c). The mini
 * program's message settings (wechat_mini_state, wechat_mini_page) are checked in every mode. */
#ifndef TUCAI_CONFIG_PRODUCTION_H
#define TUCAI_CONFIG_PRODUCTION_H

#include <stddef.h>

#include "config/config.h"

/* 1 when `dev` or `demo` is set: mock payments, log SMS and new keys are allowed. */
int config_is_dev(const config *c);
/* The master key's path: master_key_file, or <data>/master.key. */
void config_master_key_path(const config *c, char *out, size_t n);
/* 0 when the configuration may serve production (or is dev); otherwise 1 with the first reason,
 * one line, in `why`. */
int config_production_refusal(const config *c, char *why, size_t n);

#endif
