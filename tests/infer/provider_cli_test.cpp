// --device cuda on machines without a GPU: the error names what is missing (the provider library, or the
// CUDA library the provider needs), `tagmetry doctor` says the same, and a CPU run says where it ran.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "tagmetry/infer.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::known_answer_models;
using testing::read_all;
using testing::run_cli;
using testing::TempDir;

// An ONNX Runtime folder as the GPU build lays it out: libonnxruntime.so.1 (the one this build uses) and,
// when `fake_cuda`, the fake CUDA provider whose libcublasLt.so.99 exists nowhere. The CLI runs with it
// first on LD_LIBRARY_PATH, so ORT looks for its providers there.
fs::path ort_folder(const TempDir& d, bool fake_cuda) {
  fs::path dir = d / "ort";
  fs::create_directories(dir);
  fs::create_symlink(fs::path(onnxruntime_library_dir()) / "libonnxruntime.so.1", dir / "libonnxruntime.so.1");
  if (fake_cuda) {
    fs::copy_file(FAKE_CUDA_PROVIDER, dir / "libonnxruntime_providers_cuda.so");
    fs::copy_file(FAKE_PROVIDERS_SHARED, dir / "libonnxruntime_providers_shared.so");
  }
  return dir;
}

std::vector<std::string> tag_cuda(const fs::path& dataset) {
  return {"tag", dataset.string(), "--model-dir", (known_answer_models() / "wd").string(), "--device", "cuda"};
}

TEST(DeviceCli, NoCudaProviderLibraryIsNamed) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d / "data");
  fs::path ort = ort_folder(d, false);
  auto r = run_cli(tag_cuda(d / "data"), {"LD_LIBRARY_PATH=" + ort.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "tagmetry: --device cuda: this ONNX Runtime (" + (ort / "libonnxruntime.so.1").string() +
                       ") has no libonnxruntime_providers_cuda.so beside it; install the GPU build with "
                       "scripts/install-deps.sh --gpu and rebuild (docs/gpu.md)\n");
  EXPECT_FALSE(fs::exists(d / "data" / "red_448x224.txt"));
}

TEST(DeviceCli, MissingCudaLibraryIsNamed) {
  if (void* h = dlopen("libcublasLt.so.99", RTLD_LAZY)) {
    dlclose(h);
    GTEST_SKIP() << "this machine has a libcublasLt.so.99";
  }
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d / "data");
  fs::path ort = ort_folder(d, true);
  auto r = run_cli(tag_cuda(d / "data"), {"LD_LIBRARY_PATH=" + ort.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // dlerror()'s own words, not ORT's "Failed to load library".
  EXPECT_TRUE(r.err.starts_with("tagmetry: --device cuda: ONNX Runtime's cuda provider " +
                                (ort / "libonnxruntime_providers_cuda.so").string() +
                                " cannot be loaded: libcublasLt.so.99: cannot open shared object file: No such file or "
                                "directory (it needs the NVIDIA driver's libcuda.so.1, CUDA 13's"))
      << r.err;
  EXPECT_FALSE(fs::exists(d / "data" / "red_448x224.txt"));

  auto doctor = run_cli({"doctor", "--json"}, {"LD_LIBRARY_PATH=" + ort.string()});
  ASSERT_EQ(doctor.exit_code, 0) << doctor.err;
  auto j = nlohmann::json::parse(doctor.out);
  EXPECT_EQ(j["onnxruntime_dir"], ort.string());
  ASSERT_EQ(j["devices"].size(), 3u);
  EXPECT_EQ(j["devices"][0]["device"], "cpu");
  EXPECT_EQ(j["devices"][0]["usable"], true);
  EXPECT_EQ(j["devices"][1]["device"], "cuda");
  EXPECT_EQ(j["devices"][1]["usable"], false);
  EXPECT_NE(j["devices"][1]["detail"].get<std::string>().find("libcublasLt.so.99: cannot open shared object file"),
            std::string::npos);
  EXPECT_TRUE(j["libraries"].contains("libcublasLt.so.13"));
}

TEST(DeviceCli, TagSaysWhereTheModelRan) {
  TempDir d;
  testing::copy_images({"red_448x224.png"}, d.path());
  auto r = run_cli({"tag", d.path().string(), "--model-dir", (known_answer_models() / "wd").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_EQ(j["provider"], "CPUExecutionProvider (all 3 nodes)");
  fs::remove(d / "red_448x224.txt");
  auto text = run_cli({"tag", d.path().string(), "--model-dir", (known_answer_models() / "wd").string(), "--force"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("\n  device cpu: CPUExecutionProvider (all 3 nodes)\n"), std::string::npos) << text.out;
}

}  // namespace
}  // namespace tagmetry
