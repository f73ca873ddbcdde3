/* image_type: see image_type.h. */
#include "util/image_type.h"

#include <stdio.h>
#include <string.h>

const char *image_type_of(const uint8_t *h, size_t n) {
  if (n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF) return "image/jpeg";
  if (n >= 8 && !memcmp(h, "\x89PNG\r\n\x1a\n", 8)) return "image/png";
  if (n >= 12 && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WEBP", 4)) return "image/webp";
  if (n >= 12 && !memcmp(h + 4, "ftyp", 4) &&
      (!memcmp(h + 8, "heic", 4) || !memcmp(h + 8, "heix", 4) || !memcmp(h + 8, "mif1", 4) ||
       !memcmp(h + 8, "msf1", 4) || !memcmp(h + 8, "hevc", 4)))
    return "image/heic";
  return NULL;
}

const char *image_type_of_file(const char *path) {
  uint8_t h[IMAGE_TYPE_HEAD] = {0};
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t n = fread(h, 1, sizeof h, f);
  fclose(f);
  return image_type_of(h, n);
}
