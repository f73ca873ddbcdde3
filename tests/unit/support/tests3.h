/* tests3: the suite's real S3 server (Ceph radosgw started by the CTest fixture `s3`,
 * tests/support/s3_server.sh) as s3_opts: endpoint, bucket and key files read from
 * $TUCAI_S3_DIR. A test that needs it fails (never skips) when it is not there. */
#ifndef TUCAI_TESTS_TESTS3_H
#define TUCAI_TESTS_TESTS3_H

#include "blob/s3.h"

/* Fills o (strings live until the process ends); aborts the test when the server is absent. */
void tests3_opts(s3_opts *o);

#endif
