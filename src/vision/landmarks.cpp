// landmarks.cpp: loads the compact landmark model and evaluates it (see landmarks.h).
//
// lm_predict() is dlib's shape_predictor::operator() (dlib/image_processing/shape_predictor.h) over
// our own storage: the same cascade loop, the same feature pixels (the similarity transform from the
// initial shape to the current one, then the box's unnormalising transform, rounded the way dlib
// rounds a dpoint to a point), the same tree walk (left 2i+1 when the pixel difference exceeds the
// threshold, right 2i+2; leaf i - splits). The transforms come from dlib's geometry functions, so
// only the quantised leaves make our shapes differ from dlib's.
#include "vision/landmarks.h"

#include <dlib/geometry.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the model file is little-endian and read as it lies");

namespace {

struct split {
  uint16_t idx1, idx2;
  float thresh;
};
static_assert(sizeof(split) == 8, "split is stored as 8 bytes");

} // namespace

struct lm_model {
  uint32_t parts, cascades, trees, depth, features, leaf_bits;
  uint32_t splits, leaves; // per tree
  std::unique_ptr<float[]> initial;
  std::unique_ptr<uint16_t[]> anchor;
  std::unique_ptr<float[]> delta;
  std::unique_ptr<split[]> split_of;
  std::unique_ptr<float[]> scale;
  std::unique_ptr<int8_t[]> q8;
  std::unique_ptr<int16_t[]> q16;
  std::unique_ptr<float[]> q32;
};

extern "C" uint64_t lm_fnv1a(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = static_cast<const unsigned char *>(p);
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

namespace {

struct load_error {
  std::string why;
};

uint32_t u32_at(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

uint64_t u64_at(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

// Reads exactly n bytes of the body into dst, continuing the checksum.
void read_body(FILE *f, void *dst, size_t n, uint64_t &hash) {
  if (fread(dst, 1, n, f) != n) throw load_error{"the file is truncated"};
  hash = lm_fnv1a(hash, dst, n);
}

bool all_finite(const float *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!std::isfinite(v[i])) return false;
  return true;
}

} // namespace

extern "C" lm_model *lm_model_load(const char *path, char *errbuf, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "landmark model %s: %s", path, strerror(errno));
    return nullptr;
  }
  try {
    unsigned char h[LM_HEADER_BYTES];
    if (fread(h, 1, sizeof h, f) != sizeof h) throw load_error{"the file is shorter than its header"};
    if (memcmp(h, LM_MAGIC, 8)) throw load_error{"not a Tucai landmark model (wrong magic)"};
    if (u32_at(h + 8) != LM_VERSION)
      throw load_error{"format version " + std::to_string(u32_at(h + 8)) + ", this build reads " +
                       std::to_string(LM_VERSION)};
    std::unique_ptr<lm_model> m(new lm_model());
    m->parts = u32_at(h + 12);
    m->cascades = u32_at(h + 16);
    m->trees = u32_at(h + 20);
    m->depth = u32_at(h + 24);
    m->features = u32_at(h + 28);
    m->leaf_bits = u32_at(h + 32);
    // Bounds that keep every size below well within 64 bits and every index within uint16.
    if (m->parts < 1 || m->parts > 1000 || m->cascades < 1 || m->cascades > 100 || m->trees < 1 || m->trees > 10000 ||
        m->depth < 1 || m->depth > 10 || m->features < 1 || m->features > 65535 ||
        (m->leaf_bits != 8 && m->leaf_bits != 16 && m->leaf_bits != 32) || u32_at(h + 36) != 0)
      throw load_error{"the header's dimensions are out of range"};
    m->splits = (1u << m->depth) - 1;
    m->leaves = 1u << m->depth;
    const size_t coords = 2 * (size_t)m->parts, nfeat = (size_t)m->cascades * m->features;
    const size_t ntrees = (size_t)m->cascades * m->trees, nleaves = ntrees * m->leaves;
    const size_t nq = nleaves * coords;
    const uint64_t body =
        coords * 4 + nfeat * 2 + nfeat * 8 + ntrees * m->splits * 8 + nleaves * 4 + nq * (m->leaf_bits / 8);
    if (u64_at(h + 40) != body) throw load_error{"the body size does not match the header's dimensions"};

    m->initial.reset(new float[coords]);
    m->anchor.reset(new uint16_t[nfeat]);
    m->delta.reset(new float[nfeat * 2]);
    m->split_of.reset(new split[ntrees * m->splits]);
    m->scale.reset(new float[nleaves]);
    uint64_t hash = LM_FNV_SEED;
    read_body(f, m->initial.get(), coords * 4, hash);
    read_body(f, m->anchor.get(), nfeat * 2, hash);
    read_body(f, m->delta.get(), nfeat * 8, hash);
    read_body(f, m->split_of.get(), ntrees * m->splits * 8, hash);
    read_body(f, m->scale.get(), nleaves * 4, hash);
    if (m->leaf_bits == 8) {
      m->q8.reset(new int8_t[nq]);
      read_body(f, m->q8.get(), nq, hash);
    } else if (m->leaf_bits == 16) {
      m->q16.reset(new int16_t[nq]);
      read_body(f, m->q16.get(), nq * 2, hash);
    } else {
      m->q32.reset(new float[nq]);
      read_body(f, m->q32.get(), nq * 4, hash);
    }
    if (fgetc(f) != EOF) throw load_error{"the file has bytes after its body"};
    if (hash != u64_at(h + 48)) throw load_error{"the checksum does not match (the file is damaged)"};

    if (!all_finite(m->initial.get(), coords) || !all_finite(m->delta.get(), nfeat * 2) ||
        !all_finite(m->scale.get(), nleaves) || (m->q32 && !all_finite(m->q32.get(), nq)))
      throw load_error{"the model holds a number that is not finite"};
    for (size_t i = 0; i < nfeat; i++)
      if (m->anchor[i] >= m->parts) throw load_error{"a feature pixel follows a landmark that does not exist"};
    for (size_t i = 0; i < ntrees * m->splits; i++) {
      const split &s = m->split_of[i];
      if (s.idx1 >= m->features || s.idx2 >= m->features || !std::isfinite(s.thresh))
        throw load_error{"a tree compares a feature pixel that does not exist"};
    }
    fclose(f);
    return m.release();
  } catch (const load_error &e) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "landmark model %s: %s", path, e.why.c_str());
  } catch (const std::bad_alloc &) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "landmark model %s: out of memory", path);
  }
  fclose(f);
  return nullptr;
}

extern "C" void lm_model_free(lm_model *m) { delete m; }

extern "C" int lm_model_parts(const lm_model *m) { return (int)m->parts; }

namespace {

// dlib's unnormalizing_tform: (0,0) -> the box's top-left corner, (1,1) -> its bottom-right.
dlib::point_transform_affine unnormalizing_tform(const dlib::rectangle &rect) {
  std::vector<dlib::vector<float, 2> > from_points, to_points;
  to_points.push_back(rect.tl_corner());
  from_points.push_back(dlib::point(0, 0));
  to_points.push_back(rect.tr_corner());
  from_points.push_back(dlib::point(1, 0));
  to_points.push_back(rect.br_corner());
  from_points.push_back(dlib::point(1, 1));
  return dlib::find_affine_transform(from_points, to_points);
}

template <typename Q>
void add_leaf(float *shape, const Q *q, float scale, size_t n) {
  for (size_t k = 0; k < n; k++) shape[k] += scale * (float)q[k];
}

} // namespace

extern "C" void lm_predict(const lm_model *m, const uint8_t *grey, int w, int h, size_t stride, const long rect[4],
                           float *out) {
  const size_t coords = 2 * (size_t)m->parts;
  const dlib::rectangle box(rect[0], rect[1], rect[2], rect[3]);
  const dlib::rectangle area(0, 0, w - 1, h - 1);
  const dlib::point_transform_affine tform_to_img = unnormalizing_tform(box);
  std::vector<float> shape(m->initial.get(), m->initial.get() + coords);
  std::vector<float> pixel(m->features);
  std::vector<dlib::vector<float, 2> > from_points(m->parts), to_points(m->parts);
  for (uint32_t i = 0; i < m->parts; i++)
    from_points[i] = dlib::vector<float, 2>(m->initial[2 * i], m->initial[2 * i + 1]);

  for (uint32_t c = 0; c < m->cascades; c++) {
    // Feature pixels: each follows its anchor landmark, its offset turned and scaled with the shape.
    for (uint32_t i = 0; i < m->parts; i++) to_points[i] = dlib::vector<float, 2>(shape[2 * i], shape[2 * i + 1]);
    const dlib::matrix<float, 2, 2> tform =
        dlib::matrix_cast<float>(dlib::find_similarity_transform(from_points, to_points).get_m());
    const uint16_t *anchor = &m->anchor[(size_t)c * m->features];
    const float *delta = &m->delta[(size_t)c * m->features * 2];
    for (uint32_t i = 0; i < m->features; i++) {
      const dlib::vector<float, 2> d(delta[2 * i], delta[2 * i + 1]);
      const dlib::vector<float, 2> at(shape[2 * anchor[i]], shape[2 * anchor[i] + 1]);
      const dlib::point p = tform_to_img(tform * d + at);
      pixel[i] = area.contains(p) ? (float)grey[(size_t)p.y() * stride + (size_t)p.x()] : 0.f;
    }
    // Every tree of the cascade adds the leaf its pixel comparisons lead to.
    for (uint32_t t = 0; t < m->trees; t++) {
      const size_t tree = (size_t)c * m->trees + t;
      const split *s = &m->split_of[tree * m->splits];
      uint32_t i = 0;
      while (i < m->splits) i = pixel[s[i].idx1] - pixel[s[i].idx2] > s[i].thresh ? 2 * i + 1 : 2 * i + 2;
      const size_t leaf = tree * m->leaves + (i - m->splits);
      if (m->leaf_bits == 8)
        add_leaf(shape.data(), &m->q8[leaf * coords], m->scale[leaf], coords);
      else if (m->leaf_bits == 16)
        add_leaf(shape.data(), &m->q16[leaf * coords], m->scale[leaf], coords);
      else
        add_leaf(shape.data(), &m->q32[leaf * coords], m->scale[leaf], coords);
    }
  }
  for (uint32_t i = 0; i < m->parts; i++) {
    const dlib::point p = tform_to_img(dlib::vector<float, 2>(shape[2 * i], shape[2 * i + 1]));
    out[2 * i] = (float)p.x();
    out[2 * i + 1] = (float)p.y();
  }
}
