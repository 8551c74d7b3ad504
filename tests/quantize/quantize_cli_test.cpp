// tagmetry quantize / compare driven through the real binary.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "quantize_fixtures.h"
#include "tagmetry/quantize.h"

namespace tagmetry {
namespace {

namespace fs = std::filesystem;
using testing::quantize_fixtures;
using testing::run_cli;
using testing::TempDir;

TEST(QuantizeCli, QuantizesChecksAgreementAndReportsJson) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  auto r = run_cli({"quantize", (dir / "tiny_tagger" / "model.onnx").string(), (tmp / "int8.onnx").string(),
                    "--sample", (dir / "images").string(), "--threads", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["quantized"], nlohmann::json::array({"head"}));
  EXPECT_EQ(j["kept_fp32"], nlohmann::json::array());
  EXPECT_EQ(j["quantized_weights"], 3072 * 16);
  EXPECT_EQ(j["refused"], false);
  EXPECT_EQ(j["agreement"]["images"], 6);
  EXPECT_GE(j["agreement"]["f1"].get<double>(), kMinQuantizedF1);
  EXPECT_EQ(j["agreement"]["failed"].size(), 1u);
  EXPECT_EQ(j["output_bytes"].get<uint64_t>(), fs::file_size(tmp / "int8.onnx"));
  EXPECT_FALSE(fs::exists(tmp / "int8.onnx.partial"));
  EXPECT_NE(r.err.find("broken.png"), std::string::npos);
}

TEST(QuantizeCli, TextReportListsNodesKeptInFp32) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  auto r = run_cli({"quantize", (dir / "must_stay_fp32.onnx").string(), (tmp / "q.onnx").string(), "--no-check",
                    "--min-weights", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 MatMul/Gemm quantized"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 kept in fp32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  fp32: gemm_transposed_input (Gemm): Gemm with transA=1"), std::string::npos) << r.out;
  auto none = run_cli({"quantize", (dir / "no_quantizable.onnx").string(), (tmp / "n.onnx").string()});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.err.find("no MatMul/Gemm could be quantized"), std::string::npos) << none.err;
  EXPECT_NE(none.out.find("  fp32: small (MatMul): weight too small (16x4)"), std::string::npos) << none.out;
}

TEST(QuantizeCli, RefusesLowAgreementUnlessForced) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  const std::string model = (dir / "fragile_tagger" / "model.onnx").string();
  const std::string out = (tmp / "int8.onnx").string();
  auto r = run_cli({"quantize", model, out, "--sample", (dir / "images").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("refusing: int8 tag-set F1 against fp32 is 0."), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".partial"));
  auto forced = run_cli({"quantize", model, out, "--sample", (dir / "images").string(), "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.err.find("kept because of --force"), std::string::npos) << forced.err;
  EXPECT_TRUE(fs::exists(out));
  auto exists = run_cli({"quantize", model, out, "--no-check"});
  EXPECT_EQ(exists.exit_code, 2);
  EXPECT_NE(exists.err.find("already exists"), std::string::npos) << exists.err;
}

// tag --precision int8 builds the int8 copy once, checks it on the dataset's own images and says what it
// measured; a model whose int8 copy changes too many tags is refused before anything is tagged.
TEST(QuantizeCli, TagInt8ChecksAgreementOnTheDatasetAndRefusesAFragileModel) {
  const fs::path dir = quantize_fixtures();
  TempDir tmp;
  fs::create_directories(tmp / "d");
  for (const auto& e : fs::directory_iterator(dir / "images"))
    if (e.path().filename() != "broken.png") fs::copy(e.path(), tmp / "d" / e.path().filename());
  fs::copy(dir / "tiny_tagger", tmp / "tiny");
  auto r = run_cli({"tag", (tmp / "d").string(), "--model-dir", (tmp / "tiny").string(), "--precision", "int8",
                    "--threshold", "0.5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("building the int8 model once"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the first 8 images of " + (tmp / "d").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("built model.int8.onnx: 1 MatMul/Gemm in int8"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("against fp32 on 6 image(s)"), std::string::npos) << r.err;  // the dataset, not synthetic
  EXPECT_TRUE(fs::exists(tmp / "tiny" / "model.int8.onnx"));
  EXPECT_EQ(nlohmann::json::parse(r.out)["tagged"], 6);
  auto again = run_cli({"tag", (tmp / "d").string(), "--model-dir", (tmp / "tiny").string(), "--precision", "int8",
                        "--overwrite"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("building"), std::string::npos) << again.err;  // cached
  // On a GPU provider the int8 kernels would run on the CPU: said before anything runs.
  auto gpu = run_cli({"tag", (tmp / "d").string(), "--model-dir", (tmp / "tiny").string(), "--precision", "int8",
                      "--device", "cuda"});
  EXPECT_NE(gpu.err.find("--precision int8 is made for CPUs; with --device cuda"), std::string::npos) << gpu.err;

  fs::create_directories(tmp / "e");
  for (const auto& e : fs::directory_iterator(tmp / "d"))
    if (e.path().extension() == ".png") fs::copy(e.path(), tmp / "e" / e.path().filename());
  fs::copy(dir / "fragile_tagger", tmp / "fragile");
  auto refused = run_cli({"tag", (tmp / "e").string(), "--model-dir", (tmp / "fragile").string(), "--precision", "int8"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("the int8 model changes too many tags (tag-set F1 against fp32 0."), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("use --precision fp32"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(tmp / "fragile" / "model.int8.onnx"));
  EXPECT_FALSE(fs::exists(tmp / "fragile" / "model.int8.onnx.partial"));
  for (const auto& e : fs::directory_iterator(tmp / "e")) EXPECT_NE(e.path().extension(), ".txt") << e.path();
}

TEST(QuantizeCli, CorruptModelIsAUsageErrorNamingTheFile) {
  TempDir tmp;
  testing::write_all(tmp / "broken.onnx", std::string("\x08\x07\x12\x04oops", 8));
  auto r = run_cli({"quantize", (tmp / "broken.onnx").string(), (tmp / "out.onnx").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("broken.onnx: not an ONNX model"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out.onnx"));
  EXPECT_FALSE(fs::exists(tmp / "out.onnx.partial"));
}

TEST(CompareCli, IdenticalModelsJson) {
  const fs::path dir = quantize_fixtures();
  const std::string model = (dir / "tiny_tagger" / "model.onnx").string();
  auto r = run_cli({"compare", model, model, (dir / "images").string(), "--json", "--max-images", "3"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // broken.png (sorted first of the three taken) failed
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["images"], 2);
  EXPECT_EQ(j["failed"].size(), 1u);
  EXPECT_EQ(j["f1"], 1.0);
  EXPECT_EQ(j["max_abs_diff"], 0.0);
  EXPECT_EQ(j["acceptable"], true);
}

}  // namespace
}  // namespace tagmetry
