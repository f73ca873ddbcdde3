#include "pay/regions.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xmalloc.h"

typedef struct region {
  char code[16];
  char name[64];
  int parent;   /* index, -1 for provinces */
  int children; /* count */
} region;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static region *all;
static int n_all, loaded, load_failed;

static int add_tree(json_t *list, int parent) {
  size_t i;
  json_t *node;
  json_array_foreach(list, i, node) {
    const char *code = json_string_value(json_object_get(node, "code"));
    const char *name = json_string_value(json_object_get(node, "name"));
    if (!code || !name || strlen(code) >= 16 || strlen(name) >= 64) return -1;
    all = xreallocarray(all, (size_t)n_all + 1, sizeof *all);
    int me = n_all++;
    snprintf(all[me].code, sizeof all[me].code, "%s", code);
    snprintf(all[me].name, sizeof all[me].name, "%s", name);
    all[me].parent = parent;
    all[me].children = 0;
    if (parent >= 0) all[parent].children++;
    json_t *kids = json_object_get(node, "children");
    if (json_is_array(kids) && add_tree(kids, me) < 0) return -1;
  }
  return 0;
}

int regions_load(const char *path, err_t *err) {
  pthread_mutex_lock(&lock);
  if (!loaded) {
    json_error_t je;
    json_t *root = path && *path ? json_load_file(path, 0, &je) : NULL;
    load_failed = !json_is_array(root) || add_tree(root, -1) < 0 || n_all == 0;
    json_decref(root);
    loaded = 1;
    if (load_failed) log_error("regions_unavailable", "hint", "run scripts/setup-regions.sh", NULL);
  }
  int failed = load_failed;
  pthread_mutex_unlock(&lock);
  return failed ? err_set(err, 503, "regions_unavailable", "行政区划数据未安装") : 0;
}

static int find(const char *code) {
  for (int i = 0; i < n_all; i++)
    if (strcmp(all[i].code, code) == 0) return i;
  return -1;
}

json_t *regions_children(const char *parent) {
  int p = -1;
  if (parent && *parent && (p = find(parent)) < 0) return NULL;
  json_t *a = json_array();
  for (int i = 0; i < n_all; i++)
    if (all[i].parent == p)
      json_array_append_new(
          a, json_pack("{s:s, s:s, s:b}", "code", all[i].code, "name", all[i].name, "leaf", all[i].children == 0));
  return a;
}

int regions_resolve(const char *code, char *names, size_t cap, err_t *err) {
  int i = code && *code ? find(code) : -1;
  if (i < 0 || all[i].children > 0 || all[i].parent < 0)
    return err_set(err, 400, "invalid_region", "请选择到区县一级的行政区划");
  int chain[4], n = 0;
  for (int k = i; k >= 0 && n < 4; k = all[k].parent) chain[n++] = k;
  size_t used = 0;
  names[0] = '\0';
  for (int k = n - 1; k >= 0; k--)
    used +=
        (size_t)snprintf(names + used, used < cap ? cap - used : 0, "%s%s", k == n - 1 ? "" : " ", all[chain[k]].name);
  return 0;
}
