// `tagmetry models` through the real binary, against FakeHub (HF_ENDPOINT) and a temporary HF_HOME.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fake_hub.h"
#include "tagmetry/sha256.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using testing::FakeHub;
using testing::run_cli;
using testing::TempDir;

class ModelsCli : public ::testing::Test {
 protected:
  // Every Hugging Face variable is pinned so that the developer's own environment cannot leak in.
  std::vector<std::string> env(bool with_token = false) const {
    return {"HF_HOME=" + home_.path().string(), "HF_ENDPOINT=" + hub_.endpoint(),
            std::string("HF_TOKEN=") + (with_token ? "hf_cli" : ""), "HUGGING_FACE_HUB_TOKEN=", "HF_TOKEN_PATH=",
            "HF_HUB_CACHE=", "HF_HUB_OFFLINE=", "XDG_CACHE_HOME="};
  }
  void serve_vit(const std::string& model, const std::string& labels) {
    hub_.add_file("SmilingWolf/wd-vit-tagger-v3", "model.onnx", model);
    hub_.add_file("SmilingWolf/wd-vit-tagger-v3", "selected_tags.csv", labels, /*lfs=*/false);
  }
  static json parse(const testing::CommandResult& r) {
    try {
      return json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << e.what() << "\nstdout: " << r.out << "\nstderr: " << r.err;
      return {};
    }
  }

  FakeHub hub_;
  TempDir home_;
};

TEST_F(ModelsCli, ListShowsEveryModelAndWhatIsCached) {
  auto before = run_cli({"models", "list", "--json"}, env());
  ASSERT_EQ(before.exit_code, 0) << before.err;
  json j = parse(before);
  EXPECT_EQ(j["cache_dir"], (home_.path() / "hub").string());
  ASSERT_EQ(j["models"].size(), 11u);
  EXPECT_EQ(j["models"][0]["name"], "wd-vit-v3");
  EXPECT_EQ(j["models"][0]["default"], true);
  EXPECT_EQ(j["models"][0]["cached"], false);
  EXPECT_EQ(j["models"][10]["repo"], "fancyfeast/joytag");
  EXPECT_EQ(j["models"][10]["labels_file"], "top_tags.txt");

  serve_vit("weights", "tag_id,name,category,count\n");
  ASSERT_EQ(run_cli({"models", "pull", "wd-vit-v3"}, env()).exit_code, 0);
  auto after = run_cli({"models", "list"}, env());
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_NE(after.out.find("wd-vit-v3 *            wd      WD v3    ~379 MB   yes     SmilingWolf/wd-vit-tagger-v3"),
            std::string::npos)
      << after.out;
  EXPECT_NE(after.out.find("joytag                 joytag  JoyTag   ~366 MB   no      fancyfeast/joytag"),
            std::string::npos)
      << after.out;
  EXPECT_EQ(after.err, "");
}

TEST_F(ModelsCli, PullDownloadsIntoTheHubCacheAndIsQuietWhenPiped) {
  const std::string weights(150000, 'w');
  const std::string labels = "tag_id,name,category,count\n0,general,9,1\n";
  serve_vit(weights, labels);
  auto r = run_cli({"models", "pull", "wd-vit-v3", "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // no progress bar when stderr is not a terminal
  json j = parse(r)["models"][0];
  const fs::path snapshot = home_.path() / "hub" / "models--SmilingWolf--wd-vit-tagger-v3" / "snapshots" / hub_.commit();
  EXPECT_EQ(j["model"], (snapshot / "model.onnx").string());
  EXPECT_EQ(j["labels"], (snapshot / "selected_tags.csv").string());
  EXPECT_EQ(j["commit"], hub_.commit());
  EXPECT_EQ(j["downloaded_bytes"], weights.size() + labels.size());
  EXPECT_EQ(testing::read_all(snapshot / "model.onnx"), weights);
  EXPECT_EQ(fs::read_symlink(snapshot / "model.onnx"), fs::path("../../blobs") / sha256_hex(weights));

  // Pulling again only asks what main points to (two HEADs), downloads nothing.
  const size_t requests = hub_.request_count();
  auto again = run_cli({"models", "pull", "SmilingWolf/wd-vit-tagger-v3"}, env());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("wd-vit-v3: SmilingWolf/wd-vit-tagger-v3@main (commit " + hub_.commit() +
                           "), already cached"),
            std::string::npos)
      << again.out;
  auto log = hub_.log();
  ASSERT_EQ(log.size(), requests + 2);
  EXPECT_EQ(log[requests], "HEAD /SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx");
  EXPECT_EQ(log[requests + 1], "HEAD /SmilingWolf/wd-vit-tagger-v3/resolve/main/selected_tags.csv");
}

TEST_F(ModelsCli, PullReportsTokenAndNameErrorsWithExitCodes) {
  serve_vit("weights", "labels");
  hub_.require_token("hf_cli");
  auto denied = run_cli({"models", "pull", "wd-vit-v3"}, env());
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.err.find("needs a token: set HF_TOKEN"), std::string::npos) << denied.err;
  auto allowed = run_cli({"models", "pull", "wd-vit-v3"}, env(/*with_token=*/true));
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;

  auto unknown = run_cli({"models", "pull", "wd-vit-v9"}, env());
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("tagmetry: unknown model 'wd-vit-v9'; known models: wd-vit-v3, "), std::string::npos)
      << unknown.err;
}

TEST_F(ModelsCli, PullOfflineNeverConnects) {
  serve_vit("weights", "labels");
  auto r = run_cli({"models", "pull", "wd-vit-v3", "--offline"}, env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("offline mode is on"), std::string::npos) << r.err;
  EXPECT_EQ(hub_.request_count(), 0u);
}

TEST_F(ModelsCli, PullAnUnregisteredRepoWithAModelType) {
  hub_.add_file("someone/custom-joytag", "model.onnx", "m");
  hub_.add_file("someone/custom-joytag", "top_tags.txt", "1girl\n", false);
  auto r = run_cli({"models", "pull", "someone/custom-joytag", "--model-type", "joytag", "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_all(parse(r)["models"][0]["labels"].get<std::string>()), "1girl\n");
}

class ModelsInfo : public ModelsCli {
 protected:
  void SetUp() override {
    if (std::string(testing::python_path()).empty()) GTEST_SKIP() << "no Python with the onnx module";
  }
  fs::path make_model(const std::string& kind) {
    fs::path dir = home_.path() / ("tiny-" + kind);
    auto r = testing::run_command(testing::python_path(),
                                  {testing::test_source_path("model/make_tiny_tagger.py").string(), kind, dir.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir;
  }
};

TEST_F(ModelsInfo, FolderWdLayoutIsReadFromTheModel) {
  fs::path dir = make_model("wd");
  auto r = run_cli({"models", "info", dir.string(), "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = parse(r);
  EXPECT_EQ(j["source"], "folder");
  EXPECT_EQ(j["type"], "wd");
  EXPECT_EQ(j["read"]["input"]["layout"], "NHWC");
  EXPECT_EQ(j["read"]["input"]["side"], 32);
  EXPECT_EQ(j["read"]["input"]["shape"], json({-1, 32, 32, 3}));
  EXPECT_EQ(j["read"]["output"]["size"], 4);
  EXPECT_EQ(j["read"]["output_op"], "Sigmoid");
  EXPECT_EQ(j["read"]["output_is_sigmoid"], true);
  EXPECT_EQ(j["read"]["labels"], 4);
  EXPECT_EQ(j["assumed"]["channel_order"], "BGR");
  EXPECT_EQ(j["problems"], json::array());

  auto text = run_cli({"models", "info", dir.string()}, env());
  EXPECT_NE(text.out.find("  input          pixels float32 [?, 32, 32, 3]: NHWC, side 32\n"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("Assumed from the wd spec (cannot be read from the model):\n  channel_order  BGR\n"),
            std::string::npos)
      << text.out;
}

TEST_F(ModelsInfo, FolderJoyTagLayoutAndLabelMismatch) {
  fs::path dir = make_model("joytag");
  auto r = run_cli({"models", "info", dir.string(), "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = parse(r);
  EXPECT_EQ(j["type"], "joytag");
  EXPECT_EQ(j["read"]["input"]["layout"], "NCHW");
  EXPECT_EQ(j["read"]["output_is_sigmoid"], false);
  EXPECT_EQ(j["assumed"]["channel_order"], "RGB");

  testing::write_all(dir / "top_tags.txt", "1girl\nsolo\n");
  auto bad = run_cli({"models", "info", dir.string()}, env());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("the model has 5 outputs but top_tags.txt has 2 labels"), std::string::npos) << bad.err;
}

TEST_F(ModelsInfo, CachedRegistryModelIsInspectedOffline) {
  fs::path dir = make_model("wd");
  serve_vit(testing::read_all(dir / "model.onnx"), testing::read_all(dir / "selected_tags.csv"));
  auto missing = run_cli({"models", "info", "wd-vit-v3", "--json"}, env());
  ASSERT_EQ(missing.exit_code, 0) << missing.err;
  EXPECT_EQ(parse(missing)["cached"], false);
  EXPECT_FALSE(parse(missing).contains("read"));
  ASSERT_EQ(run_cli({"models", "pull", "wd-vit-v3"}, env()).exit_code, 0);
  const size_t requests = hub_.request_count();
  auto r = run_cli({"models", "info", "wd-vit-v3", "--offline", "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = parse(r);
  EXPECT_EQ(j["entry"]["repo"], "SmilingWolf/wd-vit-tagger-v3");
  EXPECT_EQ(j["entry"]["general_threshold"], 0.2614);
  EXPECT_EQ(j["cached"], true);
  EXPECT_EQ(j["read"]["input"]["layout"], "NHWC");
  EXPECT_EQ(hub_.request_count(), requests);
}

}  // namespace
}  // namespace tagmetry

namespace tagmetry {
namespace {

// models pull --quantize: the int8 copy lands beside the cached model (where tag --precision int8 looks)
// and is built once. The tiny model's 3x4 product is under --min-weights, so the copy is computed in fp32.
TEST_F(ModelsInfo, PullQuantizeBuildsTheInt8CopyBesideTheCachedModel) {
  fs::path dir = make_model("wd");
  serve_vit(testing::read_all(dir / "model.onnx"), testing::read_all(dir / "selected_tags.csv"));
  auto r = run_cli({"models", "pull", "wd-vit-v3", "--quantize", "--json"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json m = parse(r)["models"][0];
  fs::path int8 = m["int8_model"].get<std::string>();
  EXPECT_EQ(int8, fs::path(m["model"].get<std::string>()).parent_path() / "model.int8.onnx");
  EXPECT_TRUE(fs::is_regular_file(int8));
  EXPECT_EQ(m["int8"], "model.int8.onnx: 0 MatMul/Gemm in int8, 0.0 MB -> 0.0 MB");
  auto again = run_cli({"models", "pull", "wd-vit-v3", "--quantize"}, env());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("int8:   " + int8.string() + " (already built)"), std::string::npos) << again.out;
}

// A downloaded file that is not an ONNX model: the download is kept and reported, the int8 build fails
// with a message naming the file, nothing half-written is left beside it.
TEST_F(ModelsCli, PullQuantizeOfABrokenModelNamesTheFile) {
  serve_vit("not an onnx model", "tag_id,name,category,count\n");
  auto r = run_cli({"models", "pull", "wd-vit-v3", "--quantize", "--json"}, env());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  json m = parse(r)["models"][0];
  fs::path model = m["model"].get<std::string>();
  EXPECT_TRUE(fs::is_regular_file(model));
  EXPECT_NE(m["int8_error"].get<std::string>().find(model.string()), std::string::npos) << m.dump();
  EXPECT_NE(r.err.find("not an ONNX model"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(model.parent_path() / "model.int8.onnx"));
  EXPECT_FALSE(fs::exists(model.parent_path() / "model.int8.onnx.partial"));
}

}  // namespace
}  // namespace tagmetry
