/* photo_check.c: `tucai photo check IN... [--profile NAME] [--json] [--models DIR]`.
 *
 * Reads the photo, analyses it with the photo engine (the same analysis standardize makes), runs
 * every check with the profile's "checks" object and prints either the JSON report or one line per
 * check (several files: one JSON report per line). The command owns the engine: opened once for
 * all files, closed at the end. Exit status: 0 when nothing fails, 1 when a check fails, 2 on bad
 * usage or an unreadable photo or profile, 4 when the engine cannot start (models missing).
 * src/cli/photo.c dispatches the "check" subcommand here. */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "photo/checks/check_analyze.h"
#include "photo/checks/checks.h"
#include "photo/photo.h"
#include "util/xmalloc.h"

#define DEFAULT_PROFILE "chsi-blue"
#define CHECK_MAX_INPUT_BYTES (50L * 1024 * 1024)

static void usage(FILE *f) {
  fputs(
      "usage: tucai photo check IN... [--profile NAME] [--json] [--models DIR]\n"
      "  several files: one JSON report per line, in order; exit status the worst of them\n",
      f);
}

static void print_text(const json_t *report) {
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(report, "checks"), i, o) {
    const char *st = json_string_value(json_object_get(o, "status"));
    json_t *t = json_object_get(o, "threshold");
    char thr[32] = "-";
    if (json_is_number(t)) snprintf(thr, sizeof thr, "%g", json_number_value(t));
    printf("%-4s %-24s value %-10g threshold %-8s %s\n", st, json_string_value(json_object_get(o, "id")),
           json_number_value(json_object_get(o, "value")), thr, json_string_value(json_object_get(o, "message")));
  }
}

/* Checks one file; prints its report. Returns 0, 1 (a check fails) or 2 (cannot check). With
 * several files, JSON reports go one per line (JSON Lines) and the text gets a header. */
static int check_file(photo_engine *e, const char *in, const char *profile, const json_t *cfg, int as_json, int many) {
  gchar *buf = NULL;
  gsize len = 0;
  GError *ge = NULL;
  if (!g_file_get_contents(in, &buf, &len, &ge)) {
    fprintf(stderr, "tucai photo check: cannot read %s: %s\n", in, ge ? ge->message : "");
    if (ge) g_error_free(ge);
    return 2;
  }
  int rc = 2;
  err_t err;
  err_clear(&err);
  photo_analysis a;
  json_t *report = NULL;
  if ((long)len > CHECK_MAX_INPUT_BYTES) {
    fprintf(stderr, "tucai photo check: %s: file too large\n", in);
  } else if (checks_analyze_engine(e, buf, len, profile, &a, &err)) {
    fprintf(stderr, "tucai photo check: %s: %s\n", in, err.message);
  } else {
    if (photo_checks_run(e, &a, cfg, &report, &err)) {
      fprintf(stderr, "tucai photo check: %s: %s\n", in, err.message);
    } else {
      int fails, warns;
      photo_checks_count(report, &fails, &warns);
      if (as_json) {
        char *s =
            json_dumps(report, (many ? JSON_COMPACT : JSON_INDENT(2)) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7));
        if (s) puts(s);
        free(s);
      } else {
        if (many) printf("== %s\n", in);
        print_text(report);
        printf("%d fail, %d warn\n", fails, warns);
      }
      rc = fails ? 1 : 0;
      json_decref(report);
    }
    photo_analysis_free(&a);
  }
  g_free(buf);
  return rc;
}

int cli_photo_check(int argc, char **argv) {
  const char *profile = DEFAULT_PROFILE, *models = NULL;
  int as_json = 0, n_in = 0;
  const char **in = xcalloc((size_t)argc + 1, sizeof *in);
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      as_json = 1;
    else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
      profile = argv[++i];
    else if (strcmp(argv[i], "--models") == 0 && i + 1 < argc)
      models = argv[++i];
    else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      free(in);
      return 0;
    } else if (argv[i][0] == '-') {
      usage(stderr);
      free(in);
      return 2;
    } else
      in[n_in++] = argv[i];
  }
  if (!n_in) {
    usage(stderr);
    free(in);
    return 2;
  }
  if (VIPS_INIT("tucai")) {
    fprintf(stderr, "tucai photo check: libvips failed to start\n");
    free(in);
    return 2;
  }
  err_t err;
  err_clear(&err);
  json_t *cfg = photo_checks_profile_config(profile, &err);
  if (!cfg) {
    fprintf(stderr, "tucai photo check: %s\n", err.message);
    free(in);
    return 2;
  }
  photo_engine *e = photo_engine_open(models, &err);
  if (!e) {
    fprintf(stderr, "tucai photo check: %s\n", err.message);
    json_decref(cfg);
    free(in);
    return 4;
  }
  int rc = 0;
  for (int i = 0; i < n_in; i++) {
    int r = check_file(e, in[i], profile, cfg, as_json, n_in > 1);
    if (r > rc) rc = r;
  }
  photo_engine_close(e);
  json_decref(cfg);
  free(in);
  return rc;
}
