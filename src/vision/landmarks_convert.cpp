// landmarks_convert.cpp: dlib's shape_predictor .dat -> the compact model of landmarks.h, run once
// at setup (`tucai photo landmarks-convert`). Reads the .dat with dlib's own deserialisers, in the
// order dlib's serialize(shape_predictor) writes them, checks that every tree is complete and every
// index in range, quantises each leaf vector to int8 (or int16) with one float scale per leaf (or
// keeps dlib's floats, for the test that checks the evaluator), and
// writes the file beside its destination before renaming it into place, so that a reader never
// sees half a model.
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/serialize.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "vision/landmarks.h"
#include "vision/vision.h"

namespace {

struct convert_error {
  std::string why;
};

// The body is written through this, which keeps the checksum the header needs.
struct body_writer {
  FILE *f;
  uint64_t hash = LM_FNV_SEED;
  uint64_t bytes = 0;
  void put(const void *p, size_t n) {
    if (fwrite(p, 1, n, f) != n) throw convert_error{std::string("writing: ") + strerror(errno)};
    hash = lm_fnv1a(hash, p, n);
    bytes += n;
  }
  template <typename T>
  void put_all(const std::vector<T> &v) {
    put(v.data(), v.size() * sizeof(T));
  }
};

void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

template <typename Q>
void quantise(const dlib::matrix<float, 0, 1> &leaf, float qmax, float &scale, std::vector<Q> &q) {
  float peak = 0;
  for (long k = 0; k < leaf.size(); k++) peak = std::max(peak, std::fabs(leaf(k)));
  scale = peak / qmax;
  for (long k = 0; k < leaf.size(); k++) {
    float v = scale > 0 ? std::round(leaf(k) / scale) : 0.f;
    q[k] = (Q)std::max(-qmax, std::min(qmax, v));
  }
}

// The parts of dlib::shape_predictor, read as its deserialize() reads them.
struct predictor {
  dlib::matrix<float, 0, 1> initial;
  std::vector<std::vector<dlib::impl::regression_tree> > forests;
  std::vector<std::vector<unsigned long> > anchor_idx;
  std::vector<std::vector<dlib::vector<float, 2> > > deltas;
};

void read_predictor(const char *dat_path, predictor &sp) {
  std::ifstream in(dat_path, std::ios::binary);
  if (!in) throw convert_error{std::string("cannot open ") + dat_path};
  int version = 0;
  dlib::deserialize(version, in);
  if (version != 1) throw convert_error{"not a dlib shape_predictor version 1"};
  dlib::deserialize(sp.initial, in);
  dlib::deserialize(sp.forests, in);
  dlib::deserialize(sp.anchor_idx, in);
  dlib::deserialize(sp.deltas, in);
}

// The sizes the header declares, all cascades alike.
struct layout {
  size_t coords, parts, cascades, trees, splits, leaves, features;
  uint32_t depth;
};

// Our format wants every cascade alike and every tree complete, every index in range.
layout check_layout(const predictor &sp) {
  layout L;
  L.coords = (size_t)sp.initial.size();
  L.parts = L.coords / 2;
  L.cascades = sp.forests.size();
  if (L.coords == 0 || L.coords % 2 || L.parts > 1000 || L.cascades == 0 || L.cascades > 100 || sp.forests[0].empty() ||
      sp.anchor_idx.size() != L.cascades || sp.deltas.size() != L.cascades)
    throw convert_error{"unexpected shape predictor layout"};
  L.trees = sp.forests[0].size();
  L.splits = sp.forests[0][0].splits.size();
  L.features = sp.anchor_idx[0].size();
  L.depth = 0;
  while (L.depth <= 10 && ((size_t)1 << L.depth) - 1 < L.splits) L.depth++;
  if (L.trees > 10000 || L.depth < 1 || L.depth > 10 || ((size_t)1 << L.depth) - 1 != L.splits || L.features < 1 ||
      L.features > 65535)
    throw convert_error{"unexpected shape predictor layout (trees, depth or features)"};
  L.leaves = L.splits + 1;
  for (size_t c = 0; c < L.cascades; c++) {
    if (sp.forests[c].size() != L.trees || sp.anchor_idx[c].size() != L.features || sp.deltas[c].size() != L.features)
      throw convert_error{"cascades differ in size"};
    for (unsigned long a : sp.anchor_idx[c])
      if (a >= L.parts) throw convert_error{"a feature pixel follows a landmark that does not exist"};
    for (const dlib::impl::regression_tree &t : sp.forests[c]) {
      if (t.splits.size() != L.splits || t.leaf_values.size() != L.leaves) throw convert_error{"a tree is incomplete"};
      for (const dlib::impl::split_feature &s : t.splits)
        if (s.idx1 >= L.features || s.idx2 >= L.features || !std::isfinite(s.thresh))
          throw convert_error{"a split compares a feature pixel that does not exist"};
      for (const dlib::matrix<float, 0, 1> &l : t.leaf_values)
        if ((size_t)l.size() != L.coords) throw convert_error{"a leaf has the wrong length"};
    }
  }
  return L;
}

// The mean shape, the anchors, the deltas and the splits, in the order the loader reads them.
void write_geometry(body_writer &w, const predictor &sp) {
  std::vector<float> fl(sp.initial.begin(), sp.initial.end());
  w.put_all(fl);
  for (const std::vector<unsigned long> &anchors : sp.anchor_idx) {
    std::vector<uint16_t> a(anchors.begin(), anchors.end());
    w.put_all(a);
  }
  for (const std::vector<dlib::vector<float, 2> > &ds : sp.deltas) {
    fl.clear();
    for (const dlib::vector<float, 2> &d : ds) {
      fl.push_back(d.x());
      fl.push_back(d.y());
    }
    w.put_all(fl);
  }
  for (const std::vector<dlib::impl::regression_tree> &forest : sp.forests)
    for (const dlib::impl::regression_tree &t : forest)
      for (const dlib::impl::split_feature &s : t.splits) {
        unsigned char b[8];
        uint16_t i1 = (uint16_t)s.idx1, i2 = (uint16_t)s.idx2;
        memcpy(b, &i1, 2);
        memcpy(b + 2, &i2, 2);
        memcpy(b + 4, &s.thresh, 4);
        w.put(b, 8);
      }
}

// Scales first (one pass), then the quantised vectors: the loader reads each as one block.
void write_leaves(body_writer &w, const predictor &sp, size_t coords, int leaf_bits) {
  std::vector<int8_t> q8(coords);
  std::vector<int16_t> q16(coords);
  std::vector<float> q32(coords);
  float scale;
  for (int pass = 0; pass < 2; pass++)
    for (const std::vector<dlib::impl::regression_tree> &forest : sp.forests)
      for (const dlib::impl::regression_tree &t : forest)
        for (const dlib::matrix<float, 0, 1> &l : t.leaf_values) {
          if (leaf_bits == 8) {
            quantise(l, 127.f, scale, q8);
          } else if (leaf_bits == 16) {
            quantise(l, 32767.f, scale, q16);
          } else {
            scale = 1;
            q32.assign(l.begin(), l.end());
          }
          if (pass == 0)
            w.put(&scale, 4);
          else if (leaf_bits == 8)
            w.put_all(q8);
          else if (leaf_bits == 16)
            w.put_all(q16);
          else
            w.put_all(q32);
        }
}

void fill_header(unsigned char *header, const layout &L, int leaf_bits, const body_writer &w) {
  memcpy(header, LM_MAGIC, 8);
  put_u32(header + 8, LM_VERSION);
  put_u32(header + 12, (uint32_t)L.parts);
  put_u32(header + 16, (uint32_t)L.cascades);
  put_u32(header + 20, (uint32_t)L.trees);
  put_u32(header + 24, L.depth);
  put_u32(header + 28, (uint32_t)L.features);
  put_u32(header + 32, (uint32_t)leaf_bits);
  put_u32(header + 36, 0);
  put_u64(header + 40, w.bytes);
  put_u64(header + 48, w.hash);
}

} // namespace

extern "C" int vision_landmarks_convert(const char *dat_path, const char *out_path, int leaf_bits, char *errbuf,
                                        size_t errlen) {
  std::string tmp = std::string(out_path) + ".tmp." + std::to_string(getpid());
  FILE *f = nullptr;
  try {
    if (leaf_bits != 8 && leaf_bits != 16 && leaf_bits != 32) throw convert_error{"leaf bits must be 8, 16 or 32"};
    predictor sp;
    read_predictor(dat_path, sp);
    const layout L = check_layout(sp);

    f = fopen(tmp.c_str(), "wb");
    if (!f) throw convert_error{"cannot write " + tmp + ": " + strerror(errno)};
    unsigned char header[LM_HEADER_BYTES] = {0};
    // The header is written again at the end, once the checksum is known.
    if (fwrite(header, 1, sizeof header, f) != sizeof header)
      throw convert_error{"writing " + tmp + ": " + strerror(errno)};
    body_writer w{f};
    write_geometry(w, sp);
    write_leaves(w, sp, L.coords, leaf_bits);
    fill_header(header, L, leaf_bits, w);
    if (fseek(f, 0, SEEK_SET) || fwrite(header, 1, sizeof header, f) != sizeof header || fflush(f) || fsync(fileno(f)))
      throw convert_error{"writing " + tmp + ": " + strerror(errno)};
    int rc = fclose(f);
    f = nullptr;
    if (rc) throw convert_error{"writing " + tmp + ": " + strerror(errno)};
    if (rename(tmp.c_str(), out_path))
      throw convert_error{std::string("renaming to ") + out_path + ": " + strerror(errno)};
    return 0;
  } catch (const convert_error &e) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "%s", e.why.c_str());
  } catch (const std::exception &e) {
    if (errbuf && errlen) snprintf(errbuf, errlen, "reading %s: %s", dat_path, e.what());
  }
  if (f) fclose(f);
  unlink(tmp.c_str());
  return -1;
}
