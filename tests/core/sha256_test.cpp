#include "tagmetry/sha256.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "sha256_internal.h"
#include "test_support.h"

namespace tagmetry {
namespace {

using sha256_internal::Sha256Impl;
namespace fs = std::filesystem;

// Forces the portable implementation for the scope's lifetime, then restores the automatic choice.
class ForcePortable {
 public:
  explicit ForcePortable(bool on = true) { sha256_internal::force_portable(on); }
  ~ForcePortable() { sha256_internal::force_portable(false); }
};

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// Runs every test twice: with the automatic choice (SHA-NI where the CPU has it) and forced portable.
class Sha256BothPaths : public ::testing::TestWithParam<bool> {
 protected:
  ForcePortable force_{GetParam()};
};

// FIPS 180-4 examples (NIST CSRC "Examples with intermediate values") and the one-million-'a' vector.
TEST_P(Sha256BothPaths, KnownVectors) {
  EXPECT_EQ(sha256_internal::active_impl() == Sha256Impl::kPortable,
            GetParam() || !sha256_internal::sha_ni_available());
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                       "mnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  Sha256 h;  // the million 'a's again, in 1000-byte pieces
  const std::string piece(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(piece);
  EXPECT_EQ(h.size(), 1000000u);
  EXPECT_EQ(h.finish_hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_P(Sha256BothPaths, ResetStartsOver) {
  Sha256 h;
  h.update(random_bytes(777, 1));
  (void)h.finish_hex();
  h.reset();
  h.update("abc");
  EXPECT_EQ(h.finish_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

INSTANTIATE_TEST_SUITE_P(Paths, Sha256BothPaths, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Portable" : "Auto"; });

// Every message length from 0 to 300 (all padding cases: 55/56/63/64 bytes in the last block), one
// shot and byte by byte, must hash the same with SHA-NI as with the portable code.
TEST(Sha256, ShaNiMatchesPortableForEveryShortLength) {
  if (!sha256_internal::sha_ni_available()) GTEST_SKIP() << "this CPU has no SHA extensions";
  const std::string data = random_bytes(300, 7);
  for (size_t len = 0; len <= data.size(); ++len) {
    const std::string_view msg = std::string_view(data).substr(0, len);
    std::string portable;
    {
      ForcePortable force;
      ASSERT_EQ(sha256_internal::active_impl(), Sha256Impl::kPortable);
      portable = sha256_hex(msg);
    }
    ASSERT_EQ(sha256_internal::active_impl(), Sha256Impl::kShaNi);
    EXPECT_EQ(sha256_hex(msg), portable) << "length " << len;
    Sha256 bytewise;
    for (char c : msg) bytewise.update(&c, 1);
    EXPECT_EQ(bytewise.finish_hex(), portable) << "length " << len << ", byte by byte";
  }
}

// A few MB fed in odd-sized pieces (so blocks straddle update() calls), both paths.
TEST(Sha256, ShaNiMatchesPortableOnMegabytesInOddChunks) {
  if (!sha256_internal::sha_ni_available()) GTEST_SKIP() << "this CPU has no SHA extensions";
  const std::string data = random_bytes(3 * 1000 * 1000 + 17, 11);
  std::mt19937 rng(5);
  std::vector<size_t> chunks;
  for (size_t done = 0; done < data.size();) {
    size_t n = std::min<size_t>(data.size() - done, rng() % 3 == 0 ? 1 + rng() % 70 : 1 + rng() % 100000);
    chunks.push_back(n);
    done += n;
  }
  auto hash_in_chunks = [&] {
    Sha256 h;
    size_t at = 0;
    for (size_t n : chunks) {
      h.update(data.data() + at, n);
      at += n;
    }
    return h.finish_hex();
  };
  std::string portable_chunked, portable_whole;
  {
    ForcePortable force;
    portable_chunked = hash_in_chunks();
    portable_whole = sha256_hex(data);
  }
  EXPECT_EQ(portable_chunked, portable_whole);
  EXPECT_EQ(hash_in_chunks(), portable_whole);
  EXPECT_EQ(sha256_hex(data), portable_whole);
}

// The block function itself: N blocks at once equal N single-block calls, on both paths.
TEST(Sha256, CompressBlocksMatchesAcrossPaths) {
  const std::string data = random_bytes(64 * 9, 3);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const uint32_t iv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<std::vector<uint32_t>> results;
  for (bool portable : {true, false}) {
    ForcePortable force(portable);
    std::vector<uint32_t> many(iv, iv + 8), one_by_one(iv, iv + 8);
    sha256_internal::compress_blocks(many.data(), p, 9);
    for (int i = 0; i < 9; ++i) sha256_internal::compress_blocks(one_by_one.data(), p + 64 * i, 1);
    EXPECT_EQ(many, one_by_one);
    results.push_back(many);
  }
  EXPECT_EQ(results[0], results[1]);
}

TEST(Sha256, IncrementalEqualsOneShotAcrossBlockBoundaries) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7 + 3);
  const std::string expected = sha256_hex(data);
  for (size_t chunk : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u}) {
    Sha256 h;
    for (size_t i = 0; i < data.size(); i += chunk) h.update(std::string_view(data).substr(i, chunk));
    EXPECT_EQ(h.finish_hex(), expected) << "chunk " << chunk;
  }
}

TEST(Sha256, FileHashAndMissingFile) {
  testing::TempDir dir;
  testing::write_all(dir / "f.bin", "abc");
  auto r = sha256_file(dir / "f.bin");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto missing = sha256_file(dir / "nope.bin");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.bin"), std::string::npos);
}

// The per-user hash table: a file is read once per (path, size, mtime); the table's answer is used while
// those match (shown by a planted wrong hash), a changed file is hashed again, and a cache that cannot be
// written only costs speed.
TEST(Sha256, CachedFileHashIsRememberedPerPathSizeAndTime) {
  testing::TempDir dir;
  const char* old_env = std::getenv("TAGMETRY_CACHE");
  std::string saved = old_env ? old_env : "";
  ::setenv("TAGMETRY_CACHE", (dir / "cache").c_str(), 1);
  testing::write_all(dir / "model.onnx", "abc");
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  EXPECT_EQ(testing::take(sha256_file_cached(dir / "model.onnx")), abc);
  const fs::path table = dir / "cache" / "file-hashes.tsv";
  std::string text = testing::read_all(table);
  EXPECT_EQ(text.substr(0, 64), abc);
  EXPECT_NE(text.find("\t3\t"), std::string::npos) << text;  // the size
  EXPECT_NE(text.find((dir / "model.onnx").string()), std::string::npos) << text;

  // Planted: same path, size and time, another hash. The table answers without reading the file.
  const std::string planted = std::string(64, 'f') + text.substr(64);
  testing::write_all(table, planted);
  EXPECT_EQ(testing::take(sha256_file_cached(dir / "model.onnx")), std::string(64, 'f'));
  // Relative and absolute spellings are one entry.
  fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  EXPECT_EQ(testing::take(sha256_file_cached("model.onnx")), std::string(64, 'f'));
  fs::current_path(cwd);

  // The file changes (size and time): hashed again, and the new line wins.
  testing::write_all(dir / "model.onnx", "abcd");
  const std::string abcd = testing::take(sha256_file(dir / "model.onnx"));
  EXPECT_EQ(testing::take(sha256_file_cached(dir / "model.onnx")), abcd);
  EXPECT_EQ(testing::take(sha256_file_cached(dir / "model.onnx")), abcd);

  // A torn or edited line is skipped; a cache folder that cannot be created is no error.
  testing::write_all(table, "garbage\tline\n" + std::string(64, 'e') + "\tx\t1\t" + (dir / "model.onnx").string() + "\n");
  EXPECT_EQ(testing::take(sha256_file_cached(dir / "model.onnx")), abcd);
  testing::write_all(dir / "file", "not a folder");
  ::setenv("TAGMETRY_CACHE", (dir / "file" / "cache").c_str(), 1);
  EXPECT_EQ(testing::take(sha256_file_cached(dir / "model.onnx")), abcd);
  EXPECT_FALSE(sha256_file_cached(dir / "missing.onnx").ok());

  if (old_env) ::setenv("TAGMETRY_CACHE", saved.c_str(), 1);
  else ::unsetenv("TAGMETRY_CACHE");
}

TEST(Sha256, RecognisesHexDigests) {
  EXPECT_TRUE(is_sha256_hex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  EXPECT_FALSE(is_sha256_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4"));  // a git sha1
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'g')));
}

}  // namespace
}  // namespace tagmetry
