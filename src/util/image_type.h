/* image_type: what kind of image a file is, from its first bytes (the magic numbers), never from
 * its name or a client's Content-Type. One sniffer for every room that accepts or serves images:
 * uploads (collect), support attachments (support), serving stored photos (api) and the photo
 * engine's own decoder (photo). */
#ifndef TUCAI_UTIL_IMAGE_TYPE_H
#define TUCAI_UTIL_IMAGE_TYPE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the head the sniffer needs. */
#define IMAGE_TYPE_HEAD 12

/* "image/jpeg", "image/png", "image/webp" or "image/heic" (HEIF brands heic, heix, mif1, msf1,
 * hevc), or NULL for anything else or a head shorter than the format's magic. */
const char *image_type_of(const uint8_t *head, size_t n);
/* The same for the first bytes of the file at `path`; NULL when it cannot be read. */
const char *image_type_of_file(const char *path);

#endif
