// The device's defaults for batch size and decode threads, and the CUDA provider options (TF32).
#include <gtest/gtest.h>

#include <map>

#include "tagmetry/infer.h"
#include "tagmetry/tag_pipeline.h"

namespace tagmetry {
namespace {

RunShape shape_of(const std::string& device, int batch, int threads, unsigned cores) {
  TagParams p;
  p.device = device;
  p.batch_size = batch;
  p.threads = threads;
  return run_shape(p, cores);
}

TEST(RunShape, CpuKeepsSmallBatchesAndAtMostFourDecoders) {
  EXPECT_EQ(shape_of("cpu", 0, 0, 16).batch_size, 4);
  EXPECT_EQ(shape_of("cpu", 0, 0, 16).threads, 4);
  EXPECT_EQ(shape_of("cpu", 0, 0, 2).threads, 2);
  EXPECT_EQ(shape_of("coreml", 0, 0, 8).batch_size, 4);
}

TEST(RunShape, GpuGetsBatch64AndEveryCoreButOne) {
  EXPECT_EQ(shape_of("cuda", 0, 0, 16).batch_size, 64);
  EXPECT_EQ(shape_of("cuda", 0, 0, 16).threads, 15);
  EXPECT_EQ(shape_of("tensorrt", 0, 0, 8).threads, 7);
  EXPECT_EQ(shape_of("cuda", 0, 0, 1).threads, 1);  // never zero decoders
  EXPECT_EQ(shape_of("cuda", 0, 0, 0).threads, 1);  // hardware_concurrency() may say 0
}

TEST(RunShape, TheUsersValuesWin) {
  EXPECT_EQ(shape_of("cuda", 8, 3, 16).batch_size, 8);
  EXPECT_EQ(shape_of("cuda", 8, 3, 16).threads, 3);
  EXPECT_EQ(shape_of("cpu", 32, 12, 16).batch_size, 32);
  EXPECT_EQ(shape_of("cpu", 32, 12, 16).threads, 12);
}

std::map<std::string, std::string> cuda_options(bool tf32, int device_id) {
  SessionOptions so;
  so.device = "cuda";
  so.tf32 = tf32;
  so.device_id = device_id;
  std::map<std::string, std::string> m;
  for (auto& [k, v] : cuda_provider_options(so)) m[k] = v;
  return m;
}

TEST(CudaOptions, Tf32OnByDefaultOffOnRequest) {
  EXPECT_EQ(cuda_options(SessionOptions{}.tf32, 0).at("use_tf32"), "1");
  EXPECT_EQ(cuda_options(false, 0).at("use_tf32"), "0");
  EXPECT_EQ(cuda_options(true, 2).at("device_id"), "2");
  EXPECT_EQ(cuda_options(true, 0).at("cudnn_conv_algo_search"), "EXHAUSTIVE");
  EXPECT_EQ(cuda_options(true, 0).at("do_copy_in_default_stream"), "1");
}

TEST(CudaOptions, NoTf32FlagIsATagOption) {
  TagParams p;
  ASSERT_TRUE(tag_options().set(p, "no-tf32", "true").ok());
  ASSERT_TRUE(tag_options().set(p, "batch-size", "0").ok());
  EXPECT_TRUE(p.no_tf32);
  EXPECT_EQ(p.batch_size, 0);
  EXPECT_EQ(TagParams{}.batch_size, 0);  // 0: the device decides
}

}  // namespace
}  // namespace tagmetry
