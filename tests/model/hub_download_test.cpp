// resolve_hub_file / resolve_model against FakeHub (a local server with the Hub's URL layout and headers).
#include <gtest/gtest.h>

#include <filesystem>

#include "fake_hub.h"
#include "tagmetry/model_cache.h"
#include "tagmetry/sha256.h"
#include "test_support.h"

namespace tagmetry {
namespace {
namespace fs = std::filesystem;
using testing::FakeHub;
using testing::TempDir;

const char* kRepo = "SmilingWolf/wd-vit-tagger-v3";

std::string pattern(size_t n, int seed = 1) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u + seed;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

class HubDownload : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.hub.endpoint = hub_.endpoint();
    options_.hub.cache_dir = cache_.path() / "hub";
    options_.hub.token.clear();
    options_.hub.offline = false;
    options_.retry_delay_ms = 0;
    options_.connect_timeout_s = 5;
    options_.stall_timeout_s = 5;
  }
  fs::path repo_dir() const { return options_.hub.cache_dir / "models--SmilingWolf--wd-vit-tagger-v3"; }
  size_t count(const std::string& prefix) const {
    size_t n = 0;
    for (auto& line : hub_.log()) n += line.rfind(prefix, 0) == 0;
    return n;
  }

  FakeHub hub_;
  TempDir cache_;
  ResolveOptions options_;
};

TEST_F(HubDownload, FollowsTheLfsRedirectAndWritesTheHubCacheLayout) {
  const std::string content = pattern(300000);
  hub_.add_file(kRepo, "model.onnx", content);
  auto r = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const std::string sha = sha256_hex(content);
  EXPECT_EQ(r->path, repo_dir() / "snapshots" / hub_.commit() / "model.onnx");
  EXPECT_EQ(testing::read_all(r->path), content);
  EXPECT_EQ(r->commit, hub_.commit());
  EXPECT_EQ(r->etag, sha);
  EXPECT_EQ(r->downloaded_bytes, content.size());
  // Exactly the layout huggingface_hub writes: relative symlink into blobs/, refs/main = commit.
  ASSERT_TRUE(fs::is_symlink(r->path));
  EXPECT_EQ(fs::read_symlink(r->path), fs::path("../../blobs") / sha);
  EXPECT_EQ(testing::read_all(repo_dir() / "refs" / "main"), hub_.commit());
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / (sha + ".incomplete")));
  EXPECT_EQ(hub_.log(), (std::vector<std::string>{"HEAD /SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx",
                                                  "GET /SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx",
                                                  "GET /cdn/" + sha}));
}

TEST_F(HubDownload, SmallNonLfsFileIsServedDirectlyAndNamedByItsEtag) {
  hub_.add_file(kRepo, "selected_tags.csv", "tag_id,name,category,count\n0,general,9,1\n", /*lfs=*/false);
  auto r = resolve_hub_file(kRepo, "main", "selected_tags.csv", options_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(testing::read_all(r->path), "tag_id,name,category,count\n0,general,9,1\n");
  EXPECT_EQ(r->etag.size(), 40u);
  EXPECT_TRUE(fs::is_regular_file(repo_dir() / "blobs" / r->etag));
}

TEST_F(HubDownload, InterruptedTransferResumesWithARangeRequestByteIdentical) {
  const std::string content = pattern(200000, 7);
  FakeHub::File f;
  f.content = content;
  f.cut_after = 70001;
  f.cuts = 2;  // the first two transfers break off at byte 70001
  hub_.add_file(kRepo, "model.onnx", f);
  std::vector<uint64_t> progress;
  options_.progress = [&](const DownloadProgress& p) {
    progress.push_back(p.done);
    EXPECT_EQ(p.total, content.size());
    return true;
  };
  auto r = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(testing::read_all(r->path), content);
  EXPECT_EQ(count("GET /cdn/"), 3u);
  EXPECT_EQ(count("GET /cdn/" + sha256_hex(content) + " bytes=70001-"), 2u);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), content.size());
}

TEST_F(HubDownload, ResumesAPartialFileLeftByAnEarlierRun) {
  const std::string content = pattern(100000, 3);
  const std::string sha = sha256_hex(content);
  hub_.add_file(kRepo, "model.onnx", content);
  fs::create_directories(repo_dir() / "blobs");
  testing::write_all(repo_dir() / "blobs" / (sha + ".incomplete"), content.substr(0, 40000));
  uint64_t resumed_from = 0;
  options_.progress = [&](const DownloadProgress& p) {
    resumed_from = p.resumed_from;
    return true;
  };
  auto r = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(testing::read_all(r->path), content);
  EXPECT_EQ(r->downloaded_bytes, 60000u);
  EXPECT_EQ(resumed_from, 40000u);
  EXPECT_EQ(count("GET /cdn/" + sha + " bytes=40000-"), 1u);
}

TEST_F(HubDownload, ServerIgnoringRangeMeansStartingOver) {
  const std::string content = pattern(80000, 5);
  const std::string sha = sha256_hex(content);
  FakeHub::File f;
  f.content = content;
  f.ignore_range = true;
  hub_.add_file(kRepo, "model.onnx", f);
  fs::create_directories(repo_dir() / "blobs");
  testing::write_all(repo_dir() / "blobs" / (sha + ".incomplete"), std::string(30000, 'x'));  // not a prefix
  auto r = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(testing::read_all(r->path), content);
  EXPECT_EQ(r->downloaded_bytes, content.size());
  EXPECT_EQ(count("GET /cdn/" + sha + " bytes=30000-"), 1u);
}

TEST_F(HubDownload, UnauthorizedWithoutTokenSucceedsWithIt) {
  hub_.add_file(kRepo, "model.onnx", pattern(5000));
  hub_.require_token("hf_secret");
  auto denied = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), ErrorCode::kNetwork);
  EXPECT_NE(denied.status().message().find("needs a token: set HF_TOKEN"), std::string::npos)
      << denied.status().message();
  EXPECT_NE(denied.status().message().find("HTTP 401"), std::string::npos);

  options_.hub.token = "hf_wrong";
  options_.hub.token_source = "HF_TOKEN";
  auto refused = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("the token from HF_TOKEN was refused"), std::string::npos)
      << refused.status().message();

  options_.hub.token = "hf_secret";
  auto ok = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(testing::read_all(ok->path), pattern(5000));
}

TEST_F(HubDownload, MissingFileIsNotFoundAndCachesNothing) {
  auto r = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find("SmilingWolf/wd-vit-tagger-v3: model.onnx: file not found (HTTP 404"),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(fs::exists(repo_dir() / "snapshots"));
}

TEST_F(HubDownload, WrongSha256IsRefusedAndNothingEntersTheSnapshot) {
  FakeHub::File f;
  f.content = pattern(50000);
  f.announced_sha256 = sha256_hex("something else");
  hub_.add_file(kRepo, "model.onnx", f);
  auto r = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(r.status().message().find("sha256 mismatch: expected " + f.announced_sha256 + ", got " +
                                      sha256_hex(f.content)),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(fs::exists(repo_dir() / "snapshots" / hub_.commit() / "model.onnx"));
  // Neither a blob nor a partial file survives.
  size_t blobs = 0;
  if (fs::exists(repo_dir() / "blobs"))
    for ([[maybe_unused]] auto& e : fs::directory_iterator(repo_dir() / "blobs")) ++blobs;
  EXPECT_EQ(blobs, 0u);
}

TEST_F(HubDownload, CachedModelIsReusedWithoutAnyRequest) {
  ModelEntry entry = *find_model("wd-vit-v3");
  hub_.add_file(kRepo, "model.onnx", pattern(20000));
  hub_.add_file(kRepo, "selected_tags.csv", "tag_id,name,category,count\n", false);
  auto first = resolve_model(entry, options_);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->downloaded_bytes, 20000u + 27u);
  const size_t requests = hub_.request_count();
  auto second = resolve_model(entry, options_);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(hub_.request_count(), requests);
  EXPECT_EQ(second->model, first->model);
  EXPECT_EQ(second->labels, first->labels);
  EXPECT_EQ(second->downloaded_bytes, 0u);
}

TEST_F(HubDownload, CheckForUpdatesAsksTheHubButDownloadsOnlyWhatChanged) {
  ModelEntry entry = *find_model("wd-vit-v3");
  hub_.add_file(kRepo, "model.onnx", pattern(20000));
  hub_.add_file(kRepo, "selected_tags.csv", "v1\n", false);
  ASSERT_TRUE(resolve_model(entry, options_).ok());
  options_.check_for_updates = true;
  size_t before = hub_.request_count();
  auto same = resolve_model(entry, options_);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(hub_.request_count(), before + 2);  // two HEADs, no GET
  EXPECT_EQ(same->downloaded_bytes, 0u);

  const std::string new_commit = "ffffffffffffffffffffffffffffffffffffffff";
  hub_.set_commit(new_commit);
  hub_.add_file(kRepo, "selected_tags.csv", "v2\n", false);
  auto updated = resolve_model(entry, options_);
  ASSERT_TRUE(updated.ok()) << updated.status().message();
  EXPECT_EQ(updated->commit, new_commit);
  EXPECT_EQ(testing::read_all(updated->labels), "v2\n");
  EXPECT_EQ(testing::read_all(updated->model), pattern(20000));
  EXPECT_EQ(updated->downloaded_bytes, 3u);  // the unchanged model blob was reused
  EXPECT_EQ(testing::read_all(repo_dir() / "refs" / "main"), new_commit);
}

TEST_F(HubDownload, OfflineNeverTouchesTheNetwork) {
  ModelEntry entry = *find_model("wd-vit-v3");
  hub_.add_file(kRepo, "model.onnx", pattern(1000));
  hub_.add_file(kRepo, "selected_tags.csv", "x\n", false);
  options_.offline = true;
  auto missing = resolve_model(entry, options_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("missing model.onnx and selected_tags.csv"), std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("tagmetry models pull wd-vit-v3"), std::string::npos);
  EXPECT_EQ(hub_.request_count(), 0u);

  options_.offline = false;
  ASSERT_TRUE(resolve_model(entry, options_).ok());
  const size_t online_requests = hub_.request_count();
  options_.hub.offline = true;  // HF_HUB_OFFLINE=1
  options_.check_for_updates = true;
  auto cached = resolve_model(entry, options_);
  ASSERT_TRUE(cached.ok()) << cached.status().message();
  EXPECT_EQ(testing::read_all(cached->model), pattern(1000));
  EXPECT_EQ(hub_.request_count(), online_requests);
}

TEST_F(HubDownload, ReusesFilesDownloadedByHuggingFaceHub) {
  // The layout huggingface_hub.hf_hub_download leaves behind, made by hand; no server has these files.
  const std::string commit = "0123456789012345678901234567890123456789";
  const std::string sha = sha256_hex("weights");
  fs::create_directories(repo_dir() / "blobs");
  fs::create_directories(repo_dir() / "refs");
  fs::create_directories(repo_dir() / "snapshots" / commit);
  testing::write_all(repo_dir() / "blobs" / sha, "weights");
  testing::write_all(repo_dir() / "blobs" / "0fe1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3", "labels");
  testing::write_all(repo_dir() / "refs" / "main", commit);
  fs::create_symlink(fs::path("../../blobs") / sha, repo_dir() / "snapshots" / commit / "model.onnx");
  fs::create_symlink("../../blobs/0fe1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3",
                     repo_dir() / "snapshots" / commit / "selected_tags.csv");
  auto r = resolve_model(*find_model("SmilingWolf/wd-vit-tagger-v3"), options_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(testing::read_all(r->model), "weights");
  EXPECT_EQ(testing::read_all(r->labels), "labels");
  EXPECT_EQ(r->commit, commit);
  EXPECT_EQ(hub_.request_count(), 0u);
}

TEST_F(HubDownload, UnreachableEndpointSaysSoAndNamesIt) {
  options_.hub.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  options_.max_retries = 0;
  auto r = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNetwork);
  EXPECT_NE(r.status().message().find("cannot reach http://127.0.0.1:1"), std::string::npos) << r.status().message();
}

TEST_F(HubDownload, CancelFromTheProgressCallbackKeepsThePartialFile) {
  const std::string content = pattern(300000);
  hub_.add_file(kRepo, "model.onnx", content);
  options_.progress = [](const DownloadProgress& p) { return p.done < 50000; };
  auto r = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled);
  EXPECT_TRUE(fs::exists(repo_dir() / "blobs" / (sha256_hex(content) + ".incomplete")));
  options_.progress = nullptr;
  auto resumed = resolve_hub_file(kRepo, "main", "model.onnx", options_);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(testing::read_all(resumed->path), content);
  EXPECT_LT(resumed->downloaded_bytes, content.size());
}

TEST_F(HubDownload, RejectsNamesThatEscapeTheCache) {
  EXPECT_EQ(resolve_hub_file(kRepo, "main", "../../etc/passwd", options_).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(resolve_hub_file(kRepo, "..", "model.onnx", options_).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(hub_.request_count(), 0u);
}

TEST(HubConfig, ReadsTheHuggingFaceEnvironment) {
  TempDir home;
  testing::write_all(home / "token", "hf_from_file\n");
  ::setenv("HF_HOME", home.path().c_str(), 1);
  ::setenv("HF_ENDPOINT", "http://mirror.example/", 1);
  ::unsetenv("HF_HUB_CACHE");
  ::unsetenv("HF_TOKEN");
  ::unsetenv("HUGGING_FACE_HUB_TOKEN");
  ::unsetenv("HF_TOKEN_PATH");
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  HubConfig c = HubConfig::from_environment();
  EXPECT_EQ(c.endpoint, "http://mirror.example");
  EXPECT_EQ(c.cache_dir, home.path() / "hub");
  EXPECT_EQ(c.token, "hf_from_file");
  EXPECT_TRUE(c.offline);
  ::setenv("HF_TOKEN", "hf_env", 1);
  ::setenv("HF_HUB_CACHE", "/tmp/elsewhere", 1);
  ::setenv("HF_HUB_OFFLINE", "0", 1);
  c = HubConfig::from_environment();
  EXPECT_EQ(c.token, "hf_env");
  EXPECT_EQ(c.token_source, "HF_TOKEN");
  EXPECT_EQ(c.cache_dir, fs::path("/tmp/elsewhere"));
  EXPECT_FALSE(c.offline);
  for (const char* v : {"HF_HOME", "HF_ENDPOINT", "HF_HUB_CACHE", "HF_TOKEN", "HF_HUB_OFFLINE"}) ::unsetenv(v);
  EXPECT_EQ(hub_file_url(HubConfig{}, "fancyfeast/joytag", "refs/pr/1", "top_tags.txt"),
            "https://huggingface.co/fancyfeast/joytag/resolve/refs%2Fpr%2F1/top_tags.txt");
  EXPECT_EQ(repo_folder_name("fancyfeast/joytag"), "models--fancyfeast--joytag");
}

}  // namespace
}  // namespace tagmetry
