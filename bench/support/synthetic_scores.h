#pragma once
// A dataset of `images` stand-in image files with WD-like random scores over `labels` labels in its
// database (bench/retag, bench/review): no model run, no decoding. Almost every label scores below 0.05,
// ~60 per image between 0.05 and 0.3, ~25 above, as a real WD tagger's do. Seeded: the same arguments give
// the same scores.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/store.h"

namespace tagmetry::bench {

inline Status write_synthetic_scores(const std::filesystem::path& dir, size_t images, size_t labels) {
  TM_ASSIGN_OR_RETURN(auto store, Store::open(default_store_path(dir)));
  ModelRecord m;
  m.name = "bench-wd-v3";
  m.sha256 = std::string(64, '1');
  m.labels_sha256 = std::string(64, '2');
  m.labels.format = "selected_tags.csv";
  for (size_t i = 0; i < labels; ++i) {
    TagCategory c = i < 4 ? TagCategory::kRating : (i % 40 == 0 ? TagCategory::kCharacter : TagCategory::kGeneral);
    m.labels.labels.push_back({"tag_" + std::to_string(i), c, 0});
  }
  TM_RETURN_IF_ERROR(store->put_model(m));
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::unordered_map<std::string, ImageRecord> none;
  TM_RETURN_IF_ERROR(store->begin());
  std::vector<float> p(labels);
  for (size_t i = 0; i < images; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "img%06zu.png", i);
    // The files are never decoded; their contents only have to differ.
    std::ofstream(dir / name, std::ios::binary) << "not really a png " << i;
    ImageRecord rec;
    TM_ASSIGN_OR_RETURN(std::string sha, content_hash(dir / name, name, none, &rec));
    for (auto& v : p) {
      float x = u(rng);
      v = 0.05f * x * x * x * x * x * x;
    }
    for (int k = 0; k < 60; ++k) p[4 + rng() % (labels - 4)] = 0.05f + 0.25f * u(rng);
    for (int k = 0; k < 25; ++k) p[4 + rng() % (labels - 4)] = 0.3f + 0.7f * u(rng);
    TM_RETURN_IF_ERROR(store->put_image(rec));
    TM_RETURN_IF_ERROR(store->put_scores(sha, m.id, p));
  }
  return store->commit();
}

}  // namespace tagmetry::bench
