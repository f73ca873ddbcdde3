/* jpeg_info.c: marker walk of a JPEG file (see jpeg_info.h). */
#include "export/jpeg_info.h"

#include <math.h>
#include <string.h>

static int u16(const uint8_t *p) { return p[0] << 8 | p[1]; }

int jpeg_info_read(const uint8_t *p, size_t n, jpeg_info *info) {
  memset(info, 0, sizeof *info);
  if (n < 4 || p[0] != 0xFF || p[1] != 0xD8) return -1;
  if (p[n - 2] != 0xFF || p[n - 1] != 0xD9) return -1;
  size_t i = 2;
  int have_sof = 0;
  while (i + 4 <= n) {
    if (p[i] != 0xFF) return -1;
    uint8_t m = p[i + 1];
    if (m == 0xFF) {
      i++;
      continue;
    }
    if (m == 0xD9 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) return -1;
    size_t len = (size_t)u16(p + i + 2);
    if (len < 2 || i + 2 + len > n) return -1;
    const uint8_t *s = p + i + 4;
    size_t sl = len - 2;
    if (m == 0xE0 && sl >= 12 && memcmp(s, "JFIF\0", 5) == 0) {
      info->jfif = 1;
      info->density_unit = s[7];
      info->xdensity = u16(s + 8);
      info->ydensity = u16(s + 10);
    } else if ((m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      if (sl < 6) return -1;
      info->height = u16(s + 1);
      info->width = u16(s + 3);
      info->components = s[5];
      have_sof = 1;
    } else if (m == 0xDA) {
      return have_sof && info->width > 0 && info->height > 0 ? 0 : -1;
    }
    i += 2 + len;
  }
  return -1;
}

int jpeg_info_dpi(const jpeg_info *info) {
  if (!info->jfif) return 0;
  if (info->density_unit == 1) return info->xdensity;
  if (info->density_unit == 2) return (int)lround(info->xdensity * 2.54);
  return 0;
}
