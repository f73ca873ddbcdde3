/* jpeg_info: what the registry checks in a delivered photo, read from the JPEG's own markers
 * (no decoding): pixel size from the SOF segment, resolution from the JFIF APP0 segment, and
 * the component count. Used by `tucai registry receive` against the photo profile. */
#ifndef TUCAI_EXPORT_JPEG_INFO_H
#define TUCAI_EXPORT_JPEG_INFO_H

#include <stddef.h>
#include <stdint.h>

typedef struct jpeg_info {
  int width, height, components;
  int jfif;         /* 1 when an APP0 JFIF segment is present */
  int density_unit; /* 0 none, 1 dots per inch, 2 dots per cm */
  int xdensity, ydensity;
} jpeg_info;

/* 0 and fills info; -1 when the bytes are not a well-formed baseline/progressive JPEG header
 * (SOI, segments, a SOF before SOS, EOI at the end). */
int jpeg_info_read(const uint8_t *p, size_t n, jpeg_info *info);
/* The horizontal resolution in dots per inch (rounded), 0 when unknown. */
int jpeg_info_dpi(const jpeg_info *info);

#endif
