#include "tagmetry/sha256.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace tagmetry {
namespace {

// FIPS 180-4 / NIST CAVP example vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
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

TEST(Sha256, RecognisesHexDigests) {
  EXPECT_TRUE(is_sha256_hex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
  EXPECT_FALSE(is_sha256_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4"));  // a git sha1
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'g')));
}

}  // namespace
}  // namespace tagmetry
