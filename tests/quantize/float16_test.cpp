// convert_to_float16 on the quantize fixture models: the graph's structure (fp16 weights, float32 inputs
// and outputs through boundary Casts, kept ops fed float32) and its outputs on ONNX Runtime's CPU provider.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "quantize_fixtures.h"
#include "tagmetry/float16_model.h"
#include "tagmetry/infer.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using testing::quantize_fixtures;
using testing::read_floats;
using testing::TempDir;

onnx::ModelProto load(const fs::path& p) {
  onnx::ModelProto m;
  std::ifstream f(p, std::ios::binary);
  EXPECT_TRUE(m.ParseFromIstream(&f)) << p;
  return m;
}

std::vector<float> run_model(const fs::path& model, const std::vector<float>& input,
                             const std::vector<int64_t>& shape) {
  SessionOptions so;
  so.threads = 1;
  auto session = InferenceSession::open(model, so);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  auto out = (*session)->run(input.data(), shape);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? out->values : std::vector<float>{};
}

TEST(Float16, HalfBitsRoundToNearestEvenAndSaturate) {
  EXPECT_EQ(float_to_half_bits(1.0f), 0x3C00);
  EXPECT_EQ(float_to_half_bits(-2.0f), 0xC000);
  EXPECT_EQ(float_to_half_bits(0.1f), 0x2E66);
  EXPECT_EQ(float_to_half_bits(65504.0f), 0x7BFF);
  EXPECT_EQ(float_to_half_bits(1e6f), 0x7BFF);  // saturates, never infinite
  EXPECT_EQ(float_to_half_bits(-1e6f), 0xFBFF);
  EXPECT_EQ(float_to_half_bits(5.9604645e-8f), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half_bits(1e-9f), 0x0000);
  EXPECT_EQ(float_to_half_bits(1.0f + 1.0f / 2048), 0x3C00);  // tie: to even
  EXPECT_EQ(float_to_half_bits(1.0f + 3.0f / 2048), 0x3C02);  // tie: to even (up)
  EXPECT_EQ(float_to_half_bits(std::nanf("")) & 0x7C00, 0x7C00);
}

TEST(Float16, WeightsInFp16InputsAndOutputsFloat32KeptOpsFedFloat32) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  auto r = convert_to_float16(dir / "known_answer.onnx", tmp / "fp16.onnx");
  ASSERT_TRUE(r.ok()) << r.status().message();
  onnx::ModelProto m = load(tmp / "fp16.onnx");
  const auto& g = m.graph();
  // Every weight (MatMul, Add, Gemm B and C) is float16 now.
  ASSERT_GT(g.initializer_size(), 0);
  for (const auto& t : g.initializer()) EXPECT_EQ(t.data_type(), onnx::TensorProto::FLOAT16) << t.name();
  EXPECT_EQ(r->converted_initializers, g.initializer_size());
  // The graph's interface is unchanged: float32 in, float32 out.
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(g.output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const auto& n : g.node())
    for (const auto& o : n.output()) producer[o] = &n;
  // The input goes through one Cast to float16 before the first MatMul.
  const onnx::NodeProto& first = g.node(0);
  EXPECT_EQ(first.op_type(), "Cast");
  EXPECT_EQ(first.input(0), g.input(0).name());
  EXPECT_EQ(first.attribute(0).i(), onnx::TensorProto::FLOAT16);
  // Sigmoid is kept in float32: its input is a Cast to float32, and it produces the graph output itself.
  const onnx::NodeProto* sigmoid = producer.at(g.output(0).name());
  EXPECT_EQ(sigmoid->op_type(), "Sigmoid");
  const onnx::NodeProto* before = producer.at(sigmoid->input(0));
  EXPECT_EQ(before->op_type(), "Cast");
  EXPECT_EQ(before->attribute(0).i(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(r->casts, 2);
  EXPECT_EQ(r->fp32_nodes, 1);
  EXPECT_LT(r->output_bytes, r->input_bytes * 6 / 10);  // half the weight bytes
}

TEST(Float16, RunsOnTheCpuProviderNearFp32) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  ASSERT_TRUE(convert_to_float16(dir / "known_answer.onnx", tmp / "fp16.onnx").ok());
  const std::vector<float> input = read_floats(dir / "known_answer_input.bin");
  const std::vector<float> fp32 = read_floats(dir / "known_answer_fp32.bin");
  const std::vector<float> fp16 = run_model(tmp / "fp16.onnx", input, {4, 64});
  ASSERT_EQ(fp16.size(), fp32.size());
  float worst = 0;
  for (size_t i = 0; i < fp32.size(); ++i) worst = std::max(worst, std::fabs(fp16[i] - fp32[i]));
  EXPECT_LT(worst, 5e-3f);
  EXPECT_GT(worst, 0.0f);  // it really ran in fp16
}

TEST(Float16, AWeightUsedByBothPrecisionsIsStoredTwice) {
  // must_stay_fp32.onnx: a weight that is also a graph input stays float32 (graph inputs are never
  // converted), and the other MatMul's weight becomes float16; the model still runs and agrees.
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  Float16Params p;
  p.keep_fp32_ops = {"Gemm"};  // Gemm in fp32, MatMul in fp16
  auto r = convert_to_float16(dir / "must_stay_fp32.onnx", tmp / "fp16.onnx", p);
  ASSERT_TRUE(r.ok()) << r.status().message();
  onnx::ModelProto m = load(tmp / "fp16.onnx");
  int fp16 = 0, fp32 = 0;
  for (const auto& t : m.graph().initializer()) (t.data_type() == onnx::TensorProto::FLOAT16 ? fp16 : fp32)++;
  EXPECT_GT(fp16, 0);
  EXPECT_GT(fp32, 0);  // Gemm's weights stay float32
  std::vector<float> x(64 * 8);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 17) / 17.0f - 0.5f;
  const auto a = run_model(dir / "must_stay_fp32.onnx", x, {64, 8});
  const auto b = run_model(tmp / "fp16.onnx", x, {64, 8});
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 0.02f * (1 + std::fabs(a[i]))) << i;
}

TEST(Float16, CheckedCopyIsWrittenOnlyAfterItsAgreement) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  fs::copy(dir / "tiny_tagger", tmp / "tiny");
  std::optional<CheckedFloat16Report> built;
  auto path = float16_model_path(tmp / "tiny" / "model.onnx", /*create=*/true, dir / "images", &built);
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(*path, tmp / "tiny" / "model.fp16.onnx");
  ASSERT_TRUE(built && built->agreement);
  EXPECT_GE(built->agreement->f1, kMinQuantizedF1);
  EXPECT_EQ(built->agreement->images, 6);
  EXPECT_FALSE(fs::exists(tmp / "tiny" / "model.fp16.onnx.partial"));
  // Cached: the second call builds nothing.
  std::optional<CheckedFloat16Report> again;
  ASSERT_TRUE(float16_model_path(tmp / "tiny" / "model.onnx", true, dir / "images", &again).ok());
  EXPECT_FALSE(again.has_value());
}

TEST(Float16, NotAModelIsAnErrorNamingTheFile) {
  TempDir tmp;
  { std::ofstream(tmp / "bad.onnx") << "not a model"; }
  auto r = convert_to_float16(tmp / "bad.onnx", tmp / "out.onnx");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.onnx: not an ONNX model"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(tmp / "out.onnx"));
}

}  // namespace
}  // namespace tagmetry
