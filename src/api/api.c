#include "api/api.h"

#include "app.h"

void api_register_all(http_router *r) {
  api_system_routes(r);
  api_auth_routes(r);
  api_orders_routes(r);
  api_pay_routes(r);
  api_identity_routes(r);
  api_schools_routes(r);
  api_photos_routes(r);
  api_review_routes(r);
  api_inbox_routes(r);
  api_support_routes(r);
  api_office_routes(r);
  api_ops_routes(r);
}

db_t *api_db(http_req *req) { return store_get(req->app->store, &req->err); }

void api_db_put(http_req *req, db_t *db) {
  if (db) store_put(req->app->store, db);
}
