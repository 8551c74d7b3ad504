#pragma once
// Dynamic int8 quantization of ONNX tagger models and the agreement check that says what it cost.
//
// quantize_model() rewrites the weight matrices of MatMul/Gemm nodes as int8 with one scale per output
// column (symmetric, zero point 0); activations are quantized at run time, per tensor, to uint8. The graph's
// inputs, outputs and every other node stay as they were, so the labels file of the fp32 model still fits.
// compare_models() runs two models over a folder of images (or synthetic ones) and reports how far their
// probabilities and tag sets differ. Thread-safe: no shared state.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tagmetry/defaults.h"
#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

struct QuantizeParams {
  // "fused": one com.microsoft DynamicQuantizeMatMul per weight (ONNX Runtime's CPU/CUDA kernel);
  // "onnx": standard ops only, DynamicQuantizeLinear + MatMulInteger + Cast + Mul (+ Add) (any runtime).
  std::string format = "fused";
  // 7 keeps |q| <= 63 so that u8 x s8 pairs cannot saturate the 16-bit adds of AVX2 kernels without
  // VNNI (ORT's "reduce_range"); 8 uses the full [-127, 127].
  int weight_bits = 7;
  // Weight matrices with fewer elements stay fp32 (no speed to gain, precision to lose).
  int min_weight_elements = 4096;
  // Node names (or output names) to keep in fp32, e.g. a sensitive final classifier.
  std::vector<std::string> exclude_nodes;
};

// A node left in fp32 and why ("weight is not a constant", "Gemm with transA=1", …).
struct KeptNode {
  std::string name;
  std::string op_type;
  std::string reason;
};

struct QuantizeReport {
  std::vector<std::string> quantized_nodes;  // names of the MatMul/Gemm nodes now int8
  std::vector<KeptNode> kept_fp32;           // MatMul/Gemm nodes left in fp32, with the reason
  int64_t quantized_weights = 0;             // weight elements now stored as int8
  uint64_t input_bytes = 0;                  // size of the fp32 model file
  uint64_t output_bytes = 0;                 // size of the written int8 model file
};

// Reads `input` (an ONNX model with its weights inside the file), quantizes it and writes `output`
// atomically. Errors (naming the file): unreadable or non-ONNX input (kModel), a model without a graph,
// a params error (kInvalidArgument). A model with nothing to quantize is not an error: the report says so
// and `output` is written unchanged in content. Never overwrites `input`.
Result<QuantizeReport> quantize_model(const std::filesystem::path& input, const std::filesystem::path& output,
                                      const QuantizeParams& params = {});


struct CompareParams {
  double general_threshold = kDefaultGeneralThreshold;      // tags of category 0 (and of every output when there are no labels)
  double character_threshold = kDefaultCharacterThreshold;  // tags of category 4
  int max_images = 0;                 // 0 = every image in the folder
  int threads = 0;                    // ONNX Runtime intra-op threads; 0 = one per core
  // Labels (selected_tags.csv) giving each output's category; "" = look beside model A. Without labels
  // every output is a tag at general_threshold. Rating rows (category 9) are not tags here.
  std::filesystem::path labels;
};

struct AgreementReport {
  int images = 0;                     // images compared
  std::vector<std::string> failed;    // "img.png: reason" for images that could not be read
  double max_abs_diff = 0;            // max |pA - pB| over all outputs and images
  double mean_abs_diff = 0;           // mean |pA - pB| over all outputs and images
  int64_t tags_a = 0, tags_b = 0;     // tags selected by A and by B, summed over images
  int64_t tags_both = 0;              // selected by both
  double precision = 1, recall = 1, f1 = 1;  // of B's tags against A's (pooled over images)
  double min_image_f1 = 1;            // the worst single image
  std::string worst_image;
  double seconds_a = 0, seconds_b = 0;  // inference time per image of each model
};

// Runs A and B over the images of `dir` (WD layout NHWC BGR 0–255, or JoyTag NCHW RGB CLIP-normalised,
// read from the model's input shape; a model whose GraphSummary::output_kind is logits goes through a
// sigmoid). An empty `dir` path uses 8 deterministic synthetic images instead. Errors: a model that does
// not open, A and B with different input or output shapes, no image readable.
Result<AgreementReport> compare_models(const std::filesystem::path& a, const std::filesystem::path& b,
                                       const std::filesystem::path& dir, const CompareParams& params = {});

// The agreement below which an int8 model is refused: tag-set F1 of int8 against fp32 (pooled over the
// sample). See docs/quantize.md for why 0.9.
inline constexpr double kMinQuantizedF1 = 0.90;

struct AgreementCheckParams {
  bool enabled = true;             // false: write the model unchecked (not recommended)
  std::filesystem::path sample;    // folder of images; empty (or no readable image in it): 8 synthetic ones
  int sample_size = 8;             // images of the sample to use
  double min_f1 = kMinQuantizedF1; // refuse below this tag-set F1 against fp32
  bool force = false;              // keep the model even below min_f1
  int threads = 0;                 // ONNX Runtime intra-op threads; 0 = one per core
};

// `tagmetry quantize IN.onnx OUT.onnx`: the quantization and the agreement check's options.
struct QuantizeCommandParams {
  std::string input, output;  // fp32 model, int8 model to write (positional)
  std::string format = QuantizeParams{}.format;
  int weight_bits = QuantizeParams{}.weight_bits;
  int min_weights = QuantizeParams{}.min_weight_elements;
  std::string exclude;        // comma-separated node names kept in fp32
  std::string sample;         // folder of images for the check ("" = synthetic)
  int sample_size = AgreementCheckParams{}.sample_size;
  double min_f1 = kMinQuantizedF1;
  bool no_check = false;
  bool force = false;
  bool overwrite = false;     // replace `output` when it exists
  int threads = 0;
  bool json = false;

  QuantizeParams quantize_params() const;
  AgreementCheckParams check_params() const;
};

// The declaration of `tagmetry quantize` (docs/quantize.md).
const Operation<QuantizeCommandParams>& quantize_operation();

// `tagmetry compare A.onnx B.onnx [DIR]`.
struct CompareCommandParams {
  std::string a, b;  // reference and checked model (positional)
  std::string dir;   // folder of images ("" = synthetic; positional)
  double general_threshold = CompareParams{}.general_threshold;
  double character_threshold = CompareParams{}.character_threshold;
  int max_images = 0;
  std::string labels;  // selected_tags.csv ("" = beside model A)
  int threads = 0;
  bool json = false;

  CompareParams compare_params() const;
};

// The declaration of `tagmetry compare` (docs/quantize.md).
const Operation<CompareCommandParams>& compare_operation();

struct CheckedQuantizeReport {
  QuantizeReport quantize;
  std::optional<AgreementReport> agreement;  // absent when unchecked or nothing was quantized
  bool synthetic_sample = false;             // the check used synthetic images
  bool below_min_f1 = false;                 // agreement under min_f1 (kept only with force)
  bool refused = false;                      // below min_f1 without force: `output` was not written
};

// quantize_model() into `output` + ".partial", the agreement check against `input`, then the rename into
// place — unless refused, in which case nothing is written and any existing `output` stays. Errors: those
// of quantize_model and compare_models (the partial file is removed).
Result<CheckedQuantizeReport> quantize_and_check(const std::filesystem::path& input,
                                                 const std::filesystem::path& output,
                                                 const QuantizeParams& params = {},
                                                 const AgreementCheckParams& check = {});

// One line saying what quantize_and_check did to `model`, e.g. "model.int8.onnx: 49 MatMul/Gemm in int8,
// 378.4 MB -> 99.0 MB; tag-set F1 0.967 against fp32 on 8 images (max |dp| 0.0096)".
std::string describe(const CheckedQuantizeReport& report, const std::filesystem::path& model);

// The cached int8 model beside an fp32 one: ".../model.onnx" → ".../model.int8.onnx". With `create`, builds
// it (default params, agreement checked on `sample`, e.g. the dataset about to be tagged) when it is
// missing or older than the fp32 file; `built` (optional) receives that report. A model below the
// agreement level is not cached: kModel error saying so. Without `create`, kNotFound when it does not exist.
Result<std::filesystem::path> quantized_model_path(const std::filesystem::path& fp32_model, bool create,
                                                   const std::filesystem::path& sample = {},
                                                   std::optional<CheckedQuantizeReport>* built = nullptr);

}  // namespace tagmetry
