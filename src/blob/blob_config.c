/* blob_config.c: the blob store as the settings describe it (blob_store, s3_*), so that serve,
 * worker, export and the CLI open the same store the same way. */
#include "blob/blob.h"

void blob_s3_opts_from_config(const config *cfg, s3_opts *o) {
  o->endpoint = config_str(cfg, "s3_endpoint");
  o->bucket = config_str(cfg, "s3_bucket");
  o->region = config_str(cfg, "s3_region");
  o->path_style = config_bool(cfg, "s3_path_style");
  o->access_key_file = config_str(cfg, "s3_access_key_file");
  o->secret_key_file = config_str(cfg, "s3_secret_key_file");
  o->timeout_s = (int)config_int(cfg, "s3_timeout");
}

blob_store *blob_store_open_config(const config *cfg, const char *data_dir, err_t *err) {
  s3_opts o;
  blob_s3_opts_from_config(cfg, &o);
  return blob_store_open_s3(config_str(cfg, "blob_store"), data_dir, &o, err);
}
