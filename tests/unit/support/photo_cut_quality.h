/* photo_cut_quality: how clean the cut-out of a standardized photo is, judged from the output
 * image alone (no mask, nothing of the engine), the way a reviewer looks at it.
 *
 * The new background is one known colour B, so every pixel can be placed by its colour distance
 * d = |C - B| (RGB): background (d small), or not. Three faults a reviewer rejects:
 *   - specks: pieces that are not background and not joined to the person (bits of the old wall
 *     or of another person left floating on the new background);
 *   - ghosts: wide translucent patches, pixels that are much closer to B than the solid person
 *     next to them (within 20 px), in a patch at least 5 px thick: a grey or white veil
 *     of the old wall over the new background beside the head or the shoulders. A clean cut
 *     passes from B to the person in a band of one to three pixels;
 *   - rims: edge pixels whose colour is neither the person's nor B nor a blend of the two (off
 *     the line from B to the solid person colour nearby): the old wall bleeding into the edge,
 *     e.g. a warm or green fringe along dark hair on the blue background.
 * The thresholds below are in the test that uses this (test_photo_cut_quality.c), which also
 * proves that the measure flags real faulty outputs and passes clean ones. */
#ifndef TUCAI_TEST_PHOTO_CUT_QUALITY_H
#define TUCAI_TEST_PHOTO_CUT_QUALITY_H

#include <stddef.h>
#include <stdint.h>

typedef struct cut_quality {
  long person_px;     /* the largest non-background piece */
  long outline;       /* person pixels next to the background */
  long speck_px;      /* non-background pixels in pieces of 3 px or more apart from the person */
  long largest_speck; /* the largest such piece, px */
  long ghost_px;      /* translucent pixels in patches at least 5 px thick */
  long band_px;       /* person pixels within 2 px of the background */
  long rim_px;        /* band pixels off the background-to-person colour line */
  double rim_ratio;   /* rim_px / band_px */
} cut_quality;

enum { CUT_MARK_SPECK = 1, CUT_MARK_GHOST = 2, CUT_MARK_RIM = 3 };
/* Measures packed RGB (w*h*3) against the background colour `bg`; 0, or -1 out of memory. When
 * `marks` (w*h) is given, each faulty pixel gets its CUT_MARK_* (for looking at where they are). */
int cut_quality_measure(const uint8_t *rgb, int w, int h, const uint8_t bg[3], cut_quality *q, uint8_t *marks);
/* What a clean cut stays within (output of 480x640): no speck larger than a few pixels of JPEG
 * noise; translucent area over the background below 1,500 px (0.5 % of the frame: the clear vinyl
 * coat of deepface_img26, really translucent, measures ~1,330 and is the largest on the dev photos;
 * hair and clothing elsewhere stay under 200; a grey veil 30 px wide along 150 rows of a head's
 * side measures ~1,750);
 * and at most 2.5 % of the edge band off the colour line (clean cuts of the dev photos stay under
 * 1.2 %; the rims seen before the matting model were 4-10 %). */
#define CUT_MAX_SPECK 15
#define CUT_MAX_SPECKS 40
#define CUT_MAX_GHOST 1500
#define CUT_MAX_RIM 0.025
int cut_quality_clean(const cut_quality *q);
/* Decodes a JPEG with libvips and measures it; -1 when it does not decode. */
int cut_quality_measure_jpeg(const uint8_t *jpeg, size_t len, const uint8_t bg[3], cut_quality *q);

#endif
