#include "synthetic_dataset.h"

namespace tagmetry::testing {
namespace fs = std::filesystem;

LabelSet synthetic_labels() {
  LabelSet set;
  set.format = "selected_tags.csv";
  set.labels = {{"smile", TagCategory::kGeneral, 0},        {"glasses", TagCategory::kGeneral, 0},
                {"holding_umbrella", TagCategory::kGeneral, 0}, {"long_hair", TagCategory::kGeneral, 0},
                {"hatsune_miku", TagCategory::kCharacter, 0}, {"general", TagCategory::kRating, 0},
                {"explicit", TagCategory::kRating, 0}};
  return set;
}

std::vector<float> scores(float smile, float glasses, float umbrella, float long_hair) {
  return {smile, glasses, umbrella, long_hair, 0.01f, 0.9f, 0.05f};
}

std::vector<std::string> make_synthetic_dataset(const fs::path& dir, const std::vector<std::vector<float>>& scores,
                                                const std::string& model_name) {
  fs::create_directories(dir);
  auto store = take(Store::open(default_store_path(dir)));
  ModelRecord m;
  m.name = model_name;
  m.sha256 = std::string(64, model_name == "synthetic" ? 'a' : 'c');
  m.labels_sha256 = std::string(64, 'b');
  m.type = "wd";
  m.labels = synthetic_labels();
  EXPECT_TRUE(store->put_model(m).ok());
  std::vector<std::string> hashes;
  for (size_t i = 0; i < scores.size(); ++i) {
    std::string rel = "img" + std::to_string(i) + ".png";
    if (!fs::exists(dir / rel)) write_all(dir / rel, "not really a png " + std::to_string(i));
    ImageRecord rec;
    std::string sha = take(content_hash(dir / rel, rel, {}, &rec));
    EXPECT_TRUE(store->put_image(rec).ok());
    EXPECT_TRUE(store->put_scores(sha, m.id, scores[i]).ok());
    hashes.push_back(sha);
  }
  return hashes;
}

}  // namespace tagmetry::testing
