/* bench_cut_quality: prints the cut-quality measure (tests/unit/support/photo_cut_quality.h) of
 * standardized photos, one line each, to see which outputs show specks, ghosts or rims.
 *
 *   bench_cut_quality R,G,B [--marks DIR] FILE...
 * R,G,B is the profile's background colour. With --marks, DIR/NAME.png shows each output with its
 * faulty pixels painted: specks red, ghosts magenta, rims yellow. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "photo_cut_quality.h"
#include "util/xmalloc.h"

int main(int argc, char **argv) {
  if (VIPS_INIT(argv[0])) return 1;
  int r, g, b;
  if (argc < 3 || sscanf(argv[1], "%d,%d,%d", &r, &g, &b) != 3) {
    fprintf(stderr, "usage: bench_cut_quality R,G,B FILE...\n");
    return 2;
  }
  const uint8_t bg[3] = {(uint8_t)r, (uint8_t)g, (uint8_t)b};
  const char *marks_dir = NULL;
  int first = 2;
  if (argc > 3 && !strcmp(argv[2], "--marks")) {
    marks_dir = argv[3];
    first = 4;
  }
  printf("%-36s %7s %7s %7s %7s %7s %6s %7s\n", "file", "person", "outline", "specks", "largest", "ghost", "rim",
         "rim%");
  for (int i = first; i < argc; i++) {
    gchar *buf = NULL;
    gsize len = 0;
    cut_quality q;
    const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
    VipsImage *img = NULL;
    if (!g_file_get_contents(argv[i], &buf, &len, NULL) || !(img = vips_image_new_from_buffer(buf, len, "", NULL)) ||
        vips_image_get_bands(img) != 3 || vips_image_wio_input(img) ||
        cut_quality_measure(VIPS_IMAGE_ADDR(img, 0, 0), img->Xsize, img->Ysize, bg, &q, NULL)) {
      if (img) g_object_unref(img);
      printf("%-36s (not a decodable JPEG)\n", base);
      g_free(buf);
      continue;
    }
    printf("%-36s %7ld %7ld %7ld %7ld %7ld %6ld %6.1f%%\n", base, q.person_px, q.outline, q.speck_px, q.largest_speck,
           q.ghost_px, q.rim_px, 100 * q.rim_ratio);
    if (marks_dir) {
      size_t n = (size_t)img->Xsize * img->Ysize;
      uint8_t *marks = xmalloc(n), *px = xmalloc(n * 3);
      memcpy(px, VIPS_IMAGE_ADDR(img, 0, 0), n * 3);
      cut_quality_measure(px, img->Xsize, img->Ysize, bg, &q, marks);
      static const uint8_t paint[4][3] = {{0, 0, 0}, {255, 0, 0}, {255, 0, 255}, {255, 255, 0}};
      for (size_t k = 0; k < n; k++)
        if (marks[k]) memcpy(px + k * 3, paint[marks[k]], 3);
      VipsImage *out = vips_image_new_from_memory(px, n * 3, img->Xsize, img->Ysize, 3, VIPS_FORMAT_UCHAR);
      gchar *path = g_strdup_printf("%s/%.*s.png", marks_dir,
                                    (int)(strrchr(base, '.') ? strrchr(base, '.') - base : (long)strlen(base)), base);
      vips_image_write_to_file(out, path, NULL);
      g_free(path);
      g_object_unref(out);
      free(marks);
      free(px);
    }
    g_object_unref(img);
    g_free(buf);
  }
  vips_shutdown();
  return 0;
}
