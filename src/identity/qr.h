/* qr: making the collection-code picture (libqrencode + cairo/pango) and finding a QR code in an
 * uploaded image (libvips decode + zbar).
 *
 * Students upload what they have: the saved PNG, a screenshot, a JPEG that a chat app recompressed,
 * or a phone photo of another screen. Reading therefore tries several copies in turn: the image
 * in grey as it is, downscaled copies (zbar likes modules a few pixels wide), and binarised copies
 * (a global mean threshold and a local one, for uneven light), stopping at the first hit. */
#ifndef TUCAI_IDENTITY_QR_H
#define TUCAI_IDENTITY_QR_H

#include <stddef.h>

#include "util/err.h"

/* Writes a PNG: title, the QR code of `text`, then up to 6 caption lines under it. */
int qr_render_png(const char *text, const char *title, const char *const *caption, int n_caption, const char *path,
                  err_t *err);
/* Frees the font machinery's process-wide caches (pango, cairo, fontconfig) so that leak checkers
 * see a clean exit. Only for a process's end, with no other thread drawing. */
void qr_render_release(void);
/* The pixel cap when none is given: a phone's full-size photo (12-20 MP) passes; decompression
 * bombs and 100 MP panoramas do not (the server's cap is the setting qr_max_pixels). */
#define QR_DEFAULT_MAX_PIXELS 24000000LL

/* Finds a QR code in an image file (PNG, JPEG, WebP...). Returns 0 and a malloc'd text (free()),
 * or -1 with 422 "no_code_found" (Chinese message) / 400 "bad_image" for undecodable files /
 * 413 "image_too_large" for pictures of more than max_pixels (<= 0: QR_DEFAULT_MAX_PIXELS), told
 * from the header before any pixel is decoded.
 * When several QR codes are present, one starting with `prefer_prefix` wins. The server reads
 * through qr_pool.h, which bounds how many decode at once. */
int qr_read_file(const char *path, const char *prefer_prefix, long long max_pixels, char **text_out, err_t *err);
/* Same on a grey image in memory (w*h bytes, row stride w). */
int qr_read_grey(const unsigned char *grey, int w, int h, const char *prefer_prefix, char **text_out);

#endif
