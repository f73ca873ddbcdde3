/* bench_contact_sheet: many photos on one page, each with its name, to look at with one's own eyes.
 *
 *   bench_contact_sheet OUT.png [--cols N] [--scale S] [--crop X,Y,W,H] FILE...
 *
 * Every FILE is decoded (libvips), optionally cropped to the box X,Y,W,H (the same box on each: the
 * hair or a shoulder of every output at full size, for a close look at the cut), scaled by S
 * (default 0.5; 1 or more for a close look), and placed in a grid of N columns (default 6) on a
 * mid-grey page, with the file's base name under it. A file that does not decode gets a red tile
 * with its name, so that nothing is silently missing. bench/contact_sheet.sh makes the usual sheets
 * of the engine's outputs on the dev photos. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>
#include "util/xmalloc.h"

static VipsImage *tile_for(const char *path, double scale, const int *crop, int tw, int th) {
  VipsImage *in = vips_image_new_from_file(path, "access", VIPS_ACCESS_RANDOM, NULL), *t = NULL;
  VipsImage *base = NULL;
  double grey[3] = {96, 96, 96}, red[3] = {200, 40, 40};
  if (vips_black(&base, tw, th, "bands", 3, NULL)) return NULL;
  VipsImage *bg = NULL;
  vips_linear(base, &bg, (double[]){0, 0, 0}, in ? grey : red, 3, "uchar", TRUE, NULL);
  g_object_unref(base);
  if (!in) return bg;
  VipsImage *rgb = NULL, *cut = NULL, *small = NULL;
  if (vips_colourspace(in, &rgb, VIPS_INTERPRETATION_sRGB, NULL)) goto done;
  if (vips_image_get_bands(rgb) > 3) {
    VipsImage *x = NULL;
    vips_extract_band(rgb, &x, 0, "n", 3, NULL);
    g_object_unref(rgb);
    rgb = x;
  }
  if (crop) {
    int x = crop[0], y = crop[1], w = crop[2], h = crop[3];
    if (x + w > rgb->Xsize) w = rgb->Xsize - x;
    if (y + h > rgb->Ysize) h = rgb->Ysize - y;
    if (w <= 0 || h <= 0 || vips_extract_area(rgb, &cut, x, y, w, h, NULL)) goto done;
  } else {
    cut = rgb;
    g_object_ref(cut);
  }
  if (vips_resize(cut, &small, scale, "kernel", scale >= 1 ? VIPS_KERNEL_NEAREST : VIPS_KERNEL_LANCZOS3, NULL))
    goto done;
  VipsImage *u8 = NULL;
  vips_cast(small, &u8, VIPS_FORMAT_UCHAR, NULL);
  vips_insert(bg, u8, &t, 0, 0, NULL);
  g_object_unref(u8);
done:
  if (rgb) g_object_unref(rgb);
  if (cut) g_object_unref(cut);
  if (small) g_object_unref(small);
  g_object_unref(in);
  if (t) {
    g_object_unref(bg);
    return t;
  }
  return bg;
}

int main(int argc, char **argv) {
  if (VIPS_INIT(argv[0])) vips_error_exit(NULL);
  const char *out = NULL;
  int cols = 6, crop[4], have_crop = 0;
  double scale = 0.5;
  const char *files[1024];
  int n = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--cols") && i + 1 < argc)
      cols = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
      scale = atof(argv[++i]);
    else if (!strcmp(argv[i], "--crop") && i + 1 < argc)
      have_crop = sscanf(argv[++i], "%d,%d,%d,%d", &crop[0], &crop[1], &crop[2], &crop[3]) == 4;
    else if (!out)
      out = argv[i];
    else if (n < 1024)
      files[n++] = argv[i];
  }
  if (!out || n == 0 || cols < 1 || scale <= 0 || scale > 8) {
    fprintf(stderr, "usage: bench_contact_sheet OUT.png [--cols N] [--scale S] [--crop X,Y,W,H] FILE...\n");
    return 2;
  }
  /* The tile is the size of the first decodable file, cropped and scaled. */
  int w0 = 480, h0 = 640;
  for (int i = 0; i < n; i++) {
    VipsImage *probe = vips_image_new_from_file(files[i], NULL);
    if (probe) {
      w0 = probe->Xsize;
      h0 = probe->Ysize;
      g_object_unref(probe);
      break;
    }
  }
  vips_error_clear();
  if (have_crop) {
    w0 = crop[2];
    h0 = crop[3];
  }
  int tw = (int)(w0 * scale + 0.5), th = (int)(h0 * scale + 0.5), label = 22;
  VipsImage **cells = xcalloc(n, sizeof *cells);
  for (int i = 0; i < n; i++) {
    VipsImage *t = tile_for(files[i], scale, have_crop ? crop : NULL, tw, th), *txt = NULL, *cell = NULL;
    vips_error_clear();
    const char *base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
    VipsImage *page = NULL;
    vips_black(&page, tw, th + label, "bands", 3, NULL);
    VipsImage *white = NULL;
    vips_linear(page, &white, (double[]){0, 0, 0}, (double[]){235, 235, 235}, 3, "uchar", TRUE, NULL);
    g_object_unref(page);
    vips_insert(white, t, &cell, 0, 0, NULL);
    g_object_unref(white);
    g_object_unref(t);
    if (!vips_text(&txt, base, "width", tw - 4, "height", label - 4, "font", "sans 11", NULL)) {
      VipsImage *ink = NULL, *inv = NULL;
      /* Text is an alpha mask: draw it dark on the light label strip. */
      vips_linear1(txt, &inv, -0.8, 235, NULL);
      vips_cast(inv, &ink, VIPS_FORMAT_UCHAR, NULL);
      VipsImage *ink3 = NULL, *joined = NULL;
      VipsImage *bands[3] = {ink, ink, ink};
      vips_bandjoin(bands, &ink3, 3, NULL);
      if (!vips_insert(cell, ink3, &joined, 2, th + 2, NULL)) {
        g_object_unref(cell);
        cell = joined;
      }
      g_object_unref(ink3);
      g_object_unref(ink);
      g_object_unref(inv);
      g_object_unref(txt);
    }
    vips_error_clear();
    cells[i] = cell;
  }
  VipsImage *sheet = NULL;
  VipsArrayDouble *dark = vips_array_double_newv(3, 60.0, 60.0, 60.0);
  int rc = vips_arrayjoin(cells, &sheet, n, "across", cols, "shim", 6, "background", dark, NULL);
  vips_area_unref(VIPS_AREA(dark));
  if (!rc) rc = vips_image_write_to_file(sheet, out, NULL);
  if (rc) fprintf(stderr, "contact sheet: %s\n", vips_error_buffer());
  for (int i = 0; i < n; i++) g_object_unref(cells[i]);
  free(cells);
  if (sheet) g_object_unref(sheet);
  vips_shutdown();
  return rc ? 1 : 0;
}
