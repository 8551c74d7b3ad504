// GgufWriter: the byte layout ggml's gguf.cpp reads (version 3, little-endian, 32-byte alignment).
#include "tagmetry/gguf_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "test_support.h"

namespace tagmetry {
namespace {

template <class T>
T at(const std::string& s, size_t off) {
  T v;
  std::memcpy(&v, s.data() + off, sizeof(T));
  return v;
}

TEST(GgufWriter, WritesHeaderMetadataTensorInfoAndAlignedData) {
  testing::TempDir dir;
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_u32("llama.block_count", 2);
  w.add_tensor("t", {3, 2}, GgufType::kF32, [](std::string& out) {
    for (float f : {1.f, 2.f, 3.f, 4.f, 5.f, 6.f}) out.append(reinterpret_cast<const char*>(&f), 4);
  });
  auto size = w.write(dir / "m.gguf");
  ASSERT_TRUE(size.ok()) << size.status().message();
  std::string b = testing::read_all(dir / "m.gguf");
  EXPECT_EQ(*size, b.size());
  EXPECT_EQ(b.substr(0, 4), "GGUF");
  EXPECT_EQ(at<uint32_t>(b, 4), 3u);    // version
  EXPECT_EQ(at<uint64_t>(b, 8), 1u);    // tensors
  EXPECT_EQ(at<uint64_t>(b, 16), 2u);   // key/values
  size_t o = 24;
  EXPECT_EQ(at<uint64_t>(b, o), 20u);
  EXPECT_EQ(b.substr(o + 8, 20), "general.architecture");
  o += 28;
  EXPECT_EQ(at<uint32_t>(b, o), 8u);  // GGUF_TYPE_STRING
  EXPECT_EQ(at<uint64_t>(b, o + 4), 5u);
  EXPECT_EQ(b.substr(o + 12, 5), "llama");
  o += 17;
  EXPECT_EQ(b.substr(o + 8, 17), "llama.block_count");
  o += 25;
  EXPECT_EQ(at<uint32_t>(b, o), 4u);  // GGUF_TYPE_UINT32
  EXPECT_EQ(at<uint32_t>(b, o + 4), 2u);
  o += 8;
  EXPECT_EQ(at<uint64_t>(b, o), 1u);
  EXPECT_EQ(b.substr(o + 8, 1), "t");
  o += 9;
  EXPECT_EQ(at<uint32_t>(b, o), 2u);   // dims
  EXPECT_EQ(at<uint64_t>(b, o + 4), 3u);
  EXPECT_EQ(at<uint64_t>(b, o + 12), 2u);
  EXPECT_EQ(at<uint32_t>(b, o + 20), 0u);  // GGML_TYPE_F32
  EXPECT_EQ(at<uint64_t>(b, o + 24), 0u);  // offset in the data section
  o += 32;
  const size_t data = (o + 31) / 32 * 32;
  EXPECT_EQ(at<float>(b, data), 1.f);
  EXPECT_EQ(at<float>(b, data + 20), 6.f);
  EXPECT_EQ(b.size(), data + 32);  // 24 bytes of data padded to 32
}

TEST(GgufWriter, AFillOfTheWrongSizeLeavesNoFile) {
  testing::TempDir dir;
  GgufWriter w;
  w.add_tensor("t", {4}, GgufType::kF16, [](std::string& out) { out += "abc"; });
  auto size = w.write(dir / "m.gguf");
  ASSERT_FALSE(size.ok());
  EXPECT_NE(size.status().message().find("tensor t produced 3 bytes, expected 8"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.gguf"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// ggml's quantize_row_q8_0_ref: d = max|x| / 127 as fp16, then round(x / d) per value.
TEST(GgufWriter, Q8_0BlocksAreAnFp16ScaleAnd32RoundedInt8) {
  std::vector<float> x(64);
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i - 16);  // max |x| 16: d = 16/127
  std::string out;
  append_q8_0(out, x.data(), x.size());  // the second block is all zeros
  ASSERT_EQ(out.size(), 68u);
  EXPECT_EQ(gguf_tensor_bytes(GgufType::kQ8_0, 64), 68u);
  EXPECT_EQ(at<uint16_t>(out, 0), 0x3008u);   // fp16(0.12598) = 2^-3 x (1 + 8/1024)
  EXPECT_EQ(static_cast<int8_t>(out[2]), -127);  // -16 x 127/16
  EXPECT_EQ(static_cast<int8_t>(out[2 + 17]), 8);  // 1 x 7.9375, rounded
  EXPECT_EQ(static_cast<int8_t>(out[2 + 31]), 119);  // 15 x 7.9375 = 119.06
  EXPECT_EQ(at<uint16_t>(out, 34), 0u);
  EXPECT_EQ(out.substr(36), std::string(32, '\0'));
}

}  // namespace
}  // namespace tagmetry
