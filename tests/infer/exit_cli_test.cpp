// Tagging runs to completion and the process exits 0, every time: the abort at exit seen with the CUDA
// provider ("corrupted double-linked list", exit 134, issue #16) came from ORT's environment being torn down
// by static destructors after the CUDA runtime's exit handlers. main() now releases it first. The CPU path
// cannot show the CUDA abort, but the same teardown runs here; under ASan (docs/gpu.md:
// cmake --preset asan && cmake --build build-asan --target tagmetry_cli infer_cli_test, then
// ctest --test-dir build-asan -R TagExit) any use after free or double free at exit fails it.
#include <gtest/gtest.h>

#include "fixtures.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::known_answer_models;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;

TEST(TagExit, TwentyRunsToCompletionAllExitZero) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  for (int i = 0; i < 20; ++i) {
    fs::remove(d / "red_448x224.txt");
    auto r = run_cli({"tag", d.path().string(), "--model-dir", (known_answer_models() / "wd").string(), "--force",
                      "--threads", std::to_string(1 + i % 4), "--json"});
    ASSERT_EQ(r.exit_code, 0) << "run " << i << ": " << r.err;
    EXPECT_NE(r.out.find("\"tagged\": 1"), std::string::npos) << r.out;
    EXPECT_EQ(read_all(d / "red_448x224.txt"),
              "red_in_last_channel, red_theme, white_padding, range_0_255, hatsune_miku_(vocaloid), tag_a, ^_^, "
              "long_hair, tag_b");
  }
}

}  // namespace
}  // namespace tagmetry
