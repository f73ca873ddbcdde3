/* server: starting and stopping the HTTP server. The router is filled before start. */
#ifndef TUCAI_HTTP_SERVER_H
#define TUCAI_HTTP_SERVER_H

#include "http/http.h"

typedef struct http_server http_server;

http_server *http_server_new(struct app *app);
http_router *http_server_router(http_server *s);
/* Binds HOST:PORT and starts serving in background threads. */
int http_server_start(http_server *s, const char *listen, err_t *err);
/* Graceful stop: stop accepting, wait up to grace_ms for requests in flight, then close. */
void http_server_stop(http_server *s, int64_t grace_ms);
void http_server_free(http_server *s);
int http_server_port(const http_server *s);

#endif
