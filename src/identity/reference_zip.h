/* reference_zip: the reference photos (admission or ID-card photos) a school uploads with its roster
 *, read from a ZIP of JPEGs through libzip, the reader the XLSX rosters already use.
 *
 * Design. A photo belongs to a roster row either by the row's optional photo column (the entry's
 * full name or its file name, roster_parse.h) or, for rows without one, by its file name:
 * "<student number>.jpg" (or .jpeg, any case, in any folder of the ZIP). Everything is checked
 * before anything is stored, so that an import never stops half-way on a bad photo: the whole ZIP
 * is walked once, every photo read (never more than REF_MAX_PHOTO_BYTES of it, whatever its header
 * claims), sniffed (JPEG only, util/image_type.h) and measured from its markers
 * (export/jpeg_info.h); each problem becomes an error naming the file (and the roster line when a
 * row names a missing file), in Chinese for the office. Nothing is ever written to disk, so a name
 * like "../../x.jpg" cannot go anywhere; it is still refused as a path trick, because an office
 * that sends one has a broken export. Folders, macOS's "__MACOSX/" and "._" companions are skipped.
 *
 * Limits (zip bombs, huge images): at most REF_MAX_ENTRIES entries, REF_MAX_TOTAL_BYTES declared
 * uncompressed in all (refused before anything is inflated), REF_MAX_PHOTO_BYTES per photo, no
 * entry that deflated more than twentyfold (JPEG data hardly compresses: that is no photo),
 * REF_MAX_SIDE pixels a side and REF_MAX_PIXELS in all. */
#ifndef TUCAI_IDENTITY_REFERENCE_ZIP_H
#define TUCAI_IDENTITY_REFERENCE_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "identity/roster_parse.h"
#include "util/err.h"

#define REF_MAX_ENTRIES 50000
#define REF_MAX_TOTAL_BYTES (1024ull * 1024 * 1024)
#define REF_MAX_PHOTO_BYTES (4u * 1024 * 1024)
#define REF_MAX_SIDE 6000
#define REF_MAX_PIXELS (30L * 1000 * 1000)
#define REF_MIN_SIDE 64
#define REF_MAX_ERRORS 1000 /* further errors are counted, not listed */

typedef struct reference_photo {
  int row;        /* index into the roster_parsed rows */
  uint64_t index; /* the ZIP entry */
  uint64_t size;  /* its uncompressed size, as read */
  char file[128]; /* the entry's name, for messages */
} reference_photo;

typedef struct reference_zip_error {
  int line; /* the roster line, 0 when the problem is an entry of the ZIP */
  char file[128];
  char reason[200];
} reference_zip_error;

typedef struct reference_zip {
  void *zip; /* zip_t */
  reference_photo *photos;
  int n_photos;
  reference_zip_error *errors;
  int n_errors; /* listed */
  int n_errors_total;
  int n_skipped; /* folders and macOS metadata */
} reference_zip;

/* Opens and checks the ZIP at `path` against the good rows of `p`. Fatal problems (not a ZIP, too
 * many entries, too large once inflated) return -1 with a 4xx in err; problems of single entries
 * or rows go to rz->errors (the import refuses the lot when there is any). Close it in any case. */
int reference_zip_open(const char *path, const roster_parsed *p, reference_zip *rz, err_t *err);
/* Photo i's bytes (malloc'd, the caller frees), read again and held to the size checked. */
int reference_zip_read(reference_zip *rz, int i, uint8_t **bytes, size_t *len, err_t *err);
void reference_zip_close(reference_zip *rz);

#endif
