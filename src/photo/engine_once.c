/* engine_once.c: see engine_once.h. */
#include "photo/engine_once.h"

#include <string.h>

void photo_engine_once_init(photo_engine_once *o, const char *models, const photo_limits *limits) {
  memset(o, 0, sizeof *o);
  pthread_mutex_init(&o->mu, NULL);
  o->models = models;
  if (limits) o->limits = *limits;
}

photo_engine *photo_engine_once_get(photo_engine_once *o, err_t *err) {
  pthread_mutex_lock(&o->mu);
  if (!o->engine) {
    o->engine = photo_engine_open(o->models, err);
    if (o->engine) photo_engine_set_limits(o->engine, &o->limits);
  }
  photo_engine *e = o->engine;
  pthread_mutex_unlock(&o->mu);
  return e;
}

void photo_engine_once_close(photo_engine_once *o) {
  photo_engine_close(o->engine);
  o->engine = NULL;
  pthread_mutex_destroy(&o->mu);
}
