/* dev_photo: see dev_photo.h. */
#include "dev_photo.h"

#include <stdlib.h>

int dev_photo_read(const char *name, gchar **buf, gsize *len) {
  const char *shared = getenv("TUCAI_SHARED");
  gchar *path = g_strdup_printf("%s/photos/dev/%s", shared && *shared ? shared : "../shared", name);
  int ok = g_file_get_contents(path, buf, len, NULL);
  g_free(path);
  return ok;
}
