/* dev_photo: the bytes of one of the dev photos (../shared/photos/dev), for the tests that run the
 * engine or the checks on a real photo. The folder is $TUCAI_SHARED (CTest sets it to the source
 * tree's ../shared), else ../shared. */
#ifndef TUCAI_TEST_DEV_PHOTO_H
#define TUCAI_TEST_DEV_PHOTO_H

#include <glib.h>

/* Reads photos/dev/`name` into *buf (g_free it) and *len; 0 when it cannot be read. */
int dev_photo_read(const char *name, gchar **buf, gsize *len);

#endif
