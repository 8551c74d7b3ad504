// quantize_model on known-answer models: outputs match the int8 arithmetic computed independently in
// numpy, stay within the stated tolerance of fp32, and nodes that must stay fp32 are listed with reasons.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <thread>

#include "quantize_fixtures.h"
#include "tagmetry/infer.h"
#include "tagmetry/quantize.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using testing::quantize_fixtures;
using testing::read_floats;
using testing::TempDir;

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

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

std::vector<std::string> kept_names(const QuantizeReport& r) {
  std::vector<std::string> v;
  for (const auto& k : r.kept_fp32) v.push_back(k.name + ": " + k.reason);
  return v;
}

// The tolerance docs/quantize.md states for this model: int8 equals the simulated int8 arithmetic to
// float rounding, and stays within 0.02 of the fp32 probabilities.
constexpr float kSameArithmetic = 2e-5f;
constexpr float kInt8VsFp32 = 0.02f;

class KnownAnswer : public ::testing::TestWithParam<std::string> {};

TEST_P(KnownAnswer, MatchesSimulatedInt8AndStaysNearFp32) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  QuantizeParams p;
  p.format = GetParam();
  p.min_weight_elements = 0;
  auto report = quantize_model(dir / "known_answer.onnx", tmp / "q.onnx", p);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->quantized_nodes, (std::vector<std::string>{"fc1", "fc2", "head"}));
  EXPECT_TRUE(report->kept_fp32.empty());
  EXPECT_EQ(report->quantized_weights, 64 * 128 + 128 * 64 + 64 * 32);
  EXPECT_EQ(report->output_bytes, fs::file_size(tmp / "q.onnx"));

  auto input = read_floats(dir / "known_answer_input.bin");
  auto fp32 = run_model(dir / "known_answer.onnx", input, {4, 64});
  auto int8 = run_model(tmp / "q.onnx", input, {4, 64});
  ASSERT_EQ(int8.size(), 4u * 32u);
  EXPECT_LT(max_abs_diff(fp32, read_floats(dir / "known_answer_fp32.bin")), 1e-5f);
  EXPECT_LT(max_abs_diff(int8, read_floats(dir / "known_answer_int8.bin")), kSameArithmetic);
  float d = max_abs_diff(int8, fp32);
  EXPECT_LT(d, kInt8VsFp32);
  EXPECT_GT(d, 1e-5f) << "int8 output identical to fp32: was anything quantized?";
}

INSTANTIATE_TEST_SUITE_P(Formats, KnownAnswer, ::testing::Values("fused", "onnx"));

// The profile quantize_bench --profile relies on: ONNX Runtime's per-node timings, in which the
// quantized products run as the fused int8 kernel (not as fp32 MatMuls).
TEST(Quantize, SessionProfileShowsTheInt8Kernel) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  QuantizeParams p;
  p.min_weight_elements = 0;
  ASSERT_TRUE(quantize_model(dir / "known_answer.onnx", tmp / "q.onnx", p).ok());
  SessionOptions so;
  so.threads = 1;
  so.profile_prefix = (tmp / "profile").string();
  auto session = InferenceSession::open(tmp / "q.onnx", so);
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto input = read_floats(dir / "known_answer_input.bin");
  ASSERT_TRUE((*session)->run(input.data(), {4, 64}).ok());
  fs::path profile = (*session)->end_profiling();
  ASSERT_TRUE(fs::is_regular_file(profile)) << profile;
  EXPECT_EQ(profile.parent_path(), tmp.path());
  auto trace = nlohmann::json::parse(testing::read_all(profile));
  std::map<std::string, int> ops;
  for (const auto& e : trace)
    if (e.value("cat", "") == "Node" && e.contains("args") && e["args"].contains("op_name"))
      ++ops[e["args"]["op_name"].get<std::string>()];
  EXPECT_GT(ops["DynamicQuantizeMatMul"], 0);
  EXPECT_EQ(ops.count("MatMul"), 0u);
  EXPECT_EQ((*session)->end_profiling(), "") << "profiling ends once";
}

// 8-bit weights are exact on VNNI / ARM dot-product kernels, but ONNX Runtime's AVX2 u8 x s8 kernel adds
// pairs of products in 16 bits (vpmaddubsw), which saturates when |q| > 63 meets large activations; that is
// why 7 bits is the default. The bound here holds on both kinds of processor.
TEST(Quantize, EightBitWeightsRunButMaySaturateOnAvx2) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  QuantizeParams p;
  p.weight_bits = 8;
  p.min_weight_elements = 0;
  ASSERT_TRUE(quantize_model(dir / "known_answer.onnx", tmp / "q.onnx", p).ok());
  auto input = read_floats(dir / "known_answer_input.bin");
  float d = max_abs_diff(run_model(tmp / "q.onnx", input, {4, 64}), read_floats(dir / "known_answer_fp32.bin"));
  RecordProperty("max_abs_diff_8bit", std::to_string(d));
  EXPECT_LT(d, 0.25f);
}

TEST(Quantize, ExcludedAndSmallWeightsStayFp32) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  QuantizeParams p;
  p.exclude_nodes = {"head"};
  p.min_weight_elements = 64 * 128;  // fc1 and fc2 qualify, head (64x32) would be too small anyway
  auto report = quantize_model(dir / "known_answer.onnx", tmp / "q.onnx", p);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->quantized_nodes, (std::vector<std::string>{"fc1", "fc2"}));
  EXPECT_EQ(kept_names(*report), (std::vector<std::string>{"head: excluded (--exclude)"}));
  p.exclude_nodes.clear();
  report = quantize_model(dir / "known_answer.onnx", tmp / "q2.onnx", p);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(kept_names(*report), (std::vector<std::string>{"head: weight too small (32x64)"}));
}

TEST(Quantize, ModelWithNothingToQuantizeIsWrittenUnchangedInBehaviour) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  auto report = quantize_model(dir / "no_quantizable.onnx", tmp / "q.onnx");
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->quantized_nodes.empty());
  EXPECT_EQ(kept_names(*report), (std::vector<std::string>{"small: weight too small (16x4)"}));
  std::vector<float> x(2 * 16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.1f * static_cast<float>(i) - 1.0f;
  EXPECT_EQ(run_model(tmp / "q.onnx", x, {2, 16}), run_model(dir / "no_quantizable.onnx", x, {2, 16}));
}

TEST(Quantize, OpsThatMustStayFp32AreListedWithTheirReasons) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  QuantizeParams p;
  p.min_weight_elements = 0;
  auto report = quantize_model(dir / "must_stay_fp32.onnx", tmp / "q.onnx", p);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->quantized_nodes, (std::vector<std::string>{"quantizable"}));
  EXPECT_EQ(kept_names(*report),
            (std::vector<std::string>{
                "gemm_transposed_input: Gemm with transA=1 (the activation is transposed)",
                "runtime_weight: weight (input B) is computed at run time, not a constant",
                "runtime_weight_2: weight (input B) is computed at run time, not a constant",
                "overridable_weight: weight is also a graph input (a caller may override it)"}));
  // The model still runs (the overridable weight keeps its default) and stays close to fp32.
  std::vector<float> x(64 * 8);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i));
  auto fp32 = run_model(dir / "must_stay_fp32.onnx", x, {64, 8});
  auto int8 = run_model(tmp / "q.onnx", x, {64, 8});
  float scale = 0;
  for (float v : fp32) scale = std::max(scale, std::fabs(v));
  EXPECT_LT(max_abs_diff(int8, fp32), 0.03f * scale);
}

TEST(Quantize, CorruptInputsAreErrorsNamingTheFile) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  std::string model = testing::read_all(dir / "known_answer.onnx");
  testing::write_all(tmp / "truncated.onnx", model.substr(0, model.size() / 2));
  testing::write_all(tmp / "empty.onnx", "");
  testing::write_all(tmp / "text.onnx", "this is not a model\n");
  for (const char* name : {"truncated.onnx", "empty.onnx", "text.onnx"}) {
    auto r = quantize_model(tmp / name, tmp / "out.onnx");
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), ErrorCode::kModel) << name;
    EXPECT_NE(r.status().message().find(name), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("not an ONNX model"), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(fs::exists(tmp / "out.onnx"));
  auto missing = quantize_model(tmp / "missing.onnx", tmp / "out.onnx");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  auto same = quantize_model(dir / "known_answer.onnx", dir / "known_answer.onnx");
  EXPECT_EQ(same.status().code(), ErrorCode::kInvalidArgument);
  QuantizeParams bad;
  bad.format = "qdq";
  EXPECT_EQ(quantize_model(dir / "known_answer.onnx", tmp / "out.onnx", bad).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST(Quantize, CachedInt8ModelBesideTheOriginal) {
  TempDir tmp;
  fs::copy_file(quantize_fixtures() / "tiny_tagger" / "model.onnx", tmp / "model.onnx");
  auto none = quantized_model_path(tmp / "model.onnx", false);
  EXPECT_EQ(none.status().code(), ErrorCode::kNotFound);
  auto made = quantized_model_path(tmp / "model.onnx", true);
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_EQ(*made, tmp / "model.int8.onnx");
  ASSERT_TRUE(fs::exists(*made));
  auto t0 = fs::last_write_time(*made);
  auto again = quantized_model_path(tmp / "model.onnx", false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *made);
  ASSERT_TRUE(quantized_model_path(tmp / "model.onnx", true).ok());
  EXPECT_EQ(fs::last_write_time(*made), t0) << "a fresh cached model must not be rebuilt";
}

TEST(Compare, IdenticalModelsAgreeExactly) {
  const fs::path dir = quantize_fixtures();
  auto r = compare_models(dir / "tiny_tagger" / "model.onnx", dir / "tiny_tagger" / "model.onnx", dir / "images");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->images, 6);
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_NE(r->failed[0].find("broken.png"), std::string::npos);
  EXPECT_EQ(r->max_abs_diff, 0.0);
  EXPECT_EQ(r->f1, 1.0);
  EXPECT_EQ(r->tags_a, r->tags_b);
  EXPECT_GT(r->tags_a, 0);
}

TEST(Compare, QuantizedTaggerAgreesAndFragileOneDoesNot) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  ASSERT_TRUE(quantize_model(dir / "tiny_tagger" / "model.onnx", tmp / "tiny.onnx").ok());
  ASSERT_TRUE(quantize_model(dir / "fragile_tagger" / "model.onnx", tmp / "fragile.onnx").ok());
  auto good = compare_models(dir / "tiny_tagger" / "model.onnx", tmp / "tiny.onnx", dir / "images");
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_GT(good->max_abs_diff, 0.0);
  EXPECT_LT(good->max_abs_diff, 0.05);
  EXPECT_GE(good->f1, kMinQuantizedF1);
  CompareParams cp;
  cp.labels = dir / "tiny_tagger" / "selected_tags.csv";
  auto bad = compare_models(dir / "fragile_tagger" / "model.onnx", tmp / "fragile.onnx", dir / "images", cp);
  ASSERT_TRUE(bad.ok()) << bad.status().message();
  EXPECT_LT(bad->f1, kMinQuantizedF1);
  EXPECT_GT(bad->max_abs_diff, 0.3);
}

TEST(Compare, JoyTagLayoutLogitsGoThroughASigmoid) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  const fs::path model = dir / "joytag_like" / "model.onnx";
  ASSERT_TRUE(quantize_model(model, tmp / "int8.onnx").ok());
  auto r = compare_models(model, tmp / "int8.onnx", dir / "images");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->images, 6);
  EXPECT_GT(r->tags_a, 0);
  EXPECT_LT(r->tags_a, 6 * 16);  // probabilities, not raw logits (which would mostly exceed 0.35)
  EXPECT_GT(r->max_abs_diff, 0.0);
  EXPECT_LT(r->max_abs_diff, 0.05);
  EXPECT_GE(r->f1, kMinQuantizedF1);
}

TEST(Compare, SyntheticImagesWhenNoFolderIsGiven) {
  const fs::path dir = quantize_fixtures();
  auto r = compare_models(dir / "tiny_tagger" / "model.onnx", dir / "tiny_tagger" / "model.onnx", "");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->images, 8);
  EXPECT_TRUE(r->failed.empty());
  auto shapes = compare_models(dir / "tiny_tagger" / "model.onnx", dir / "known_answer.onnx", "");
  EXPECT_FALSE(shapes.ok());
}

}  // namespace
}  // namespace tagmetry
