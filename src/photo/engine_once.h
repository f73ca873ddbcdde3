/* engine_once: the process's one photo engine, loaded on first use.
 *
 * The models take seconds and hundreds of megabytes to load, and many processes (a `tucai serve`
 * with no uploads yet, a worker that only exports) never need them; so the engine is opened by the
 * first caller that does, once, under a lock, and closed with the process. The rooms that run the
 * engine (collect's jobs) are handed a photo_engine_once by whoever wires the process (src/app.c)
 * instead of the process itself. */
#ifndef TUCAI_PHOTO_ENGINE_ONCE_H
#define TUCAI_PHOTO_ENGINE_ONCE_H

#include <pthread.h>

#include "photo/photo.h"

typedef struct photo_engine_once {
  pthread_mutex_t mu;   /* guards the first load */
  photo_engine *engine; /* NULL until loaded */
  const char *models;   /* models directory (borrowed; "" or NULL: the default) */
  photo_limits limits;  /* set on the engine when it is loaded */
} photo_engine_once;

/* Nothing is loaded yet; `models` is borrowed and must outlive `o`. */
void photo_engine_once_init(photo_engine_once *o, const char *models, const photo_limits *limits);
/* The engine, loaded by the first call. NULL with err when the models are missing (a later call
 * tries again: the files may have been installed meanwhile). */
photo_engine *photo_engine_once_get(photo_engine_once *o, err_t *err);
/* Closes the engine if it was loaded. */
void photo_engine_once_close(photo_engine_once *o);

#endif
