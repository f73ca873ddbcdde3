/* photo_compare.c: `tucai photo compare A B [--json] [--models DIR]`.
 *
 * Do the two photos show the same person? Prints the answer with the similarity, the threshold and
 * the calibration behind it (src/photo/face_compare.h). Exit status: 0 same person, 1 different
 * people, 3 no face found in A or B (said which), 2 bad usage or a file that is no readable photo,
 * 4 the engine cannot start (models missing). src/cli/photo.c dispatches "compare" here.
 *
 * `tucai photo compare --pairs LIST [--json] [--models DIR]` compares many pairs with the models
 * loaded once and each photo described once: LIST has one pair a line, "A,B" (further fields are
 * ignored; blank lines and lines starting with '#' too), paths relative to the working directory.
 * One line per pair (JSON Lines with --json: {"a","b","same","similarity"}, same and similarity
 * null where a face is missing). Exit 0 when every pair was compared, 3 when a face was missing in
 * some pair, 2 on a bad list or photo, 4 no engine. */
#include "cli/commands.h"
#include "cli/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "photo/face_compare.h"
#include "photo/photo.h"
#include "util/xmalloc.h"

/* The engine's own input limit (photo_limits.max_bytes): anything larger is refused unread. */
#define COMPARE_MAX_INPUT_BYTES (20L * 1024 * 1024)

static void usage(FILE *f) {
  fputs(
      "usage: tucai photo compare A B [--json] [--models DIR]\n"
      "       tucai photo compare --pairs LIST [--json] [--models DIR]   (LIST: \"A,B\" a line)\n"
      "  same person or not; exit 0 same, 1 different, 3 no face in A or B, 2 bad usage or input,\n"
      "  4 the engine cannot start\n",
      f);
}

static json_t *side_json(const char *file, const face_print *p) {
  json_t *o = json_pack("{s:s, s:b, s:i}", "file", file, "found", p->found, "faces", p->n_faces);
  if (o && p->found) {
    json_object_set_new(o, "face",
                        json_pack("[iiii]", (int)(p->box.x + 0.5f), (int)(p->box.y + 0.5f), (int)(p->box.w + 0.5f),
                                  (int)(p->box.h + 0.5f)));
    json_object_set_new(o, "score", json_real(p->score));
  }
  return o;
}

static void print_json(json_t *o) {
  char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
  if (s) puts(s);
  free(s);
}

/* Reads and describes one photo; 0, or the exit status to give up with (message printed). */
static int describe(photo_engine *m, const char *path, int as_json, face_print *p) {
  uint8_t *buf;
  size_t len;
  int r = cli_read_file(path, COMPARE_MAX_INPUT_BYTES, &buf, &len);
  err_t err = {0};
  if (r < 0) {
    err_set(&err, 400, "UNREADABLE", "cannot read %s: %s", path, strerror(errno ? errno : EIO));
  } else if (r == 1) {
    err_set(&err, 422, "IMAGE_TOO_LARGE", "%s: %s", path, photo_reason_message("IMAGE_TOO_LARGE"));
  } else {
    int rc = face_print_describe(m, buf, len, p, &err);
    free(buf);
    if (rc == 0) return 0;
    char msg[sizeof err.message];
    snprintf(msg, sizeof msg, "%s", err.message);
    snprintf(err.message, sizeof err.message, "%s: %.*s", path, (int)(sizeof err.message - strlen(path) - 3), msg);
  }
  /* 4xx: the file is no usable photo; anything else is ours. */
  int code = err.status >= 400 && err.status < 500 ? 2 : 4;
  fprintf(stderr, "tucai photo compare: %s: %s\n", err.code, err.message);
  if (as_json) {
    json_t *o = json_pack("{s:s, s:s, s:s}", "error", err.code, "file", path, "message", err.message);
    print_json(o);
    json_decref(o);
  }
  return code;
}

#define MAX_LIST_PHOTOS 4096

typedef struct cached {
  char *path;
  face_print print;
} cached;

/* The print of `path`, described on first use. NULL with *rc set when it cannot be had. */
static const face_print *cached_print(photo_engine *m, cached *cache, int *n, const char *path, int as_json, int *rc) {
  for (int i = 0; i < *n; i++)
    if (!strcmp(cache[i].path, path)) return &cache[i].print;
  if (*n >= MAX_LIST_PHOTOS) {
    fprintf(stderr, "tucai photo compare: more than %d different photos in the list\n", MAX_LIST_PHOTOS);
    *rc = 2;
    return NULL;
  }
  cached *c = &cache[*n];
  if ((*rc = describe(m, path, as_json, &c->print))) return NULL;
  c->path = xstrdup(path);
  (*n)++;
  return &c->print;
}

static int compare_list(photo_engine *m, const char *list, int as_json) {
  FILE *f = fopen(list, "r");
  if (!f) {
    fprintf(stderr, "tucai photo compare: cannot read %s: %s\n", list, strerror(errno));
    return 2;
  }
  cached *cache = xcalloc(MAX_LIST_PHOTOS, sizeof *cache);
  int n = 0, rc = 0, lineno = 0, any_missing = 0;
  char line[8192];
  while (!rc && fgets(line, sizeof line, f)) {
    lineno++;
    size_t l = strlen(line);
    if (l == sizeof line - 1 && line[l - 1] != '\n') {
      fprintf(stderr, "tucai photo compare: %s:%d: line too long\n", list, lineno);
      rc = 2;
      break;
    }
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
    if (!l || line[0] == '#') continue;
    char *a = line, *b = strchr(line, ',');
    if (!b || b == a || !b[1] || b[1] == ',') {
      fprintf(stderr, "tucai photo compare: %s:%d: want \"A,B\"\n", list, lineno);
      rc = 2;
      break;
    }
    *b++ = 0;
    char *end = strchr(b, ',');
    if (end) *end = 0;
    const face_print *pa = cached_print(m, cache, &n, a, as_json, &rc),
                     *pb = pa ? cached_print(m, cache, &n, b, as_json, &rc) : NULL;
    if (!pa || !pb) break;
    int found = pa->found && pb->found;
    double sim = face_print_similarity(pa, pb);
    int same = found && face_same_person(sim);
    any_missing |= !found;
    if (as_json) {
      json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "a", a, "b", b, "same", found ? json_boolean(same) : json_null(),
                            "similarity", found ? json_real(sim) : json_null());
      char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
      if (s) puts(s);
      free(s);
      json_decref(o);
    } else if (found) {
      printf("%-9s %.4f %s %s\n", same ? "same" : "different", sim, a, b);
    } else {
      printf("%-9s %6s %s %s\n", "no-face", "-", a, b);
    }
  }
  fclose(f);
  for (int i = 0; i < n; i++) free(cache[i].path);
  free(cache);
  if (!rc && !as_json) printf("threshold %.3f\n", FACE_SAME_THRESHOLD);
  return rc ? rc : any_missing ? 3 : 0;
}

int cli_photo_compare(int argc, char **argv) {
  const char *in[2] = {NULL, NULL}, *models = NULL, *list = NULL;
  int n_in = 0, as_json = 0;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--json"))
      as_json = 1;
    else if (!strcmp(argv[i], "--models") && i + 1 < argc)
      models = argv[++i];
    else if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
      list = argv[++i];
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    } else if (argv[i][0] == '-' || n_in >= 2) {
      usage(stderr);
      return 2;
    } else
      in[n_in++] = argv[i];
  }
  if (list ? n_in != 0 : n_in != 2) {
    usage(stderr);
    return 2;
  }
  err_t err = {0};
  /* The engine that serves the site, with the face networks it owns: the same path as attempts. */
  photo_engine *m = photo_engine_open(models, &err);
  if (m && !photo_engine_face_nets(m, &err)) {
    photo_engine_close(m);
    m = NULL;
  }
  if (!m) {
    fprintf(stderr, "tucai photo compare: %s\n", err.message);
    return 4;
  }
  if (list) {
    int rc = compare_list(m, list, as_json);
    photo_engine_close(m);
    return rc;
  }
  static face_print p[2];
  int rc = 0;
  for (int k = 0; k < 2 && !rc; k++) rc = describe(m, in[k], as_json, &p[k]);
  photo_engine_close(m);
  if (rc) return rc;

  int missing = !p[0].found ? 0 : !p[1].found ? 1 : -1;
  double sim = face_print_similarity(&p[0], &p[1]);
  int same = missing < 0 && face_same_person(sim);
  if (as_json) {
    json_t *o = json_pack("{s:o, s:o, s:f, s:{s:f, s:f, s:s}, s:o, s:o}", "same",
                          missing < 0 ? json_boolean(same) : json_null(), "similarity",
                          missing < 0 ? json_real(sim) : json_null(), "threshold", FACE_SAME_THRESHOLD, "calibration",
                          "impostor_max", FACE_CAL_IMPOSTOR_MAX, "genuine_min", FACE_CAL_GENUINE_MIN, "pairs",
                          "../shared/photos/pairs.csv", "a", side_json(in[0], &p[0]), "b", side_json(in[1], &p[1]));
    if (o && missing >= 0) {
      json_object_set_new(o, "reason", json_string("NO_FACE"));
      json_object_set_new(o, "message", json_string(photo_reason_message("NO_FACE")));
    }
    print_json(o);
    json_decref(o);
  }
  if (missing >= 0) {
    fprintf(stderr, "NO_FACE: no face found in %s (%s)\n", in[missing], photo_reason_message("NO_FACE"));
    return 3;
  }
  if (!as_json) {
    printf(
        "%s: similarity %.4f, threshold %.3f (calibrated on the dev pairs: different people at most %.4f, "
        "the same person at least %.4f)\n",
        same ? "same person" : "different people", sim, FACE_SAME_THRESHOLD, FACE_CAL_IMPOSTOR_MAX,
        FACE_CAL_GENUINE_MIN);
    for (int k = 0; k < 2; k++)
      if (p[k].n_faces > 1) printf("note: %s shows %d faces; the largest was compared\n", in[k], p[k].n_faces);
  }
  return same ? 0 : 1;
}
