#include "fixtures.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace tagmetry::testing {
namespace fs = std::filesystem;

namespace {
struct Fixtures {
  TempDir dir;
  fs::path models, images;
  Fixtures() {
    models = dir / "models";
    images = dir / "images";
    run_python_fixture("make_known_answer_models.py", {models.string()});
    run_python_fixture("make_test_images.py", {images.string()});
  }
};
Fixtures& fixtures() {
  static Fixtures f;
  return f;
}
}  // namespace

const fs::path& known_answer_models() { return fixtures().models; }
const fs::path& test_images() { return fixtures().images; }

void copy_images(const std::vector<std::string>& names, const fs::path& dir) {
  fs::create_directories(dir);
  for (auto& n : names) fs::copy_file(test_images() / n, dir / n, fs::copy_options::overwrite_existing);
}

}  // namespace tagmetry::testing
