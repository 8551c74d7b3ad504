#pragma once
// fp16 copies of fp32 ONNX tagger models for GPUs (`tag --precision fp16`).
//
// convert_to_float16() stores every float32 weight and computes every float tensor in float16, except:
// the graph's inputs and outputs stay float32 (a Cast at the boundary, so callers keep their float32
// buffers), and the ops of `keep_fp32_ops` run in float32 between Casts (ops that overflow or lose too much
// in fp16: Pow, Exp, Sqrt, reductions, the final Sigmoid, …; the list follows onnxconverter-common's
// float16.convert_float_to_float16 DEFAULT_OP_BLOCK_LIST (2024) plus those). Casts are shared: a value
// converted once serves every consumer. Thread-safe: no shared state.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tagmetry/quantize.h"
#include "tagmetry/status.h"

namespace tagmetry {

struct Float16Params {
  // Op types computed in float32 (their float inputs cast up, their outputs kept float32 until an fp16 op
  // needs them). Empty: default_fp32_ops().
  std::vector<std::string> keep_fp32_ops;
};

// The default keep-in-float32 list (see the file comment and docs/gpu.md).
const std::vector<std::string>& default_fp32_ops();

struct Float16Report {
  int64_t converted_initializers = 0;  // float32 weights now stored as float16
  int64_t fp16_nodes = 0;              // nodes computing in float16
  int64_t fp32_nodes = 0;              // nodes kept in float32 (keep_fp32_ops)
  int64_t casts = 0;                   // Cast nodes inserted (boundary and around fp32 nodes)
  uint64_t input_bytes = 0;            // size of the fp32 model file (and its external weights)
  uint64_t output_bytes = 0;           // size of the written fp16 model file
};

// Reads `input` (an fp32 ONNX model with its weights inside the file), converts it and writes `output`
// atomically. Errors (naming the file): unreadable or non-ONNX input (kModel); a model this conversion does
// not handle (subgraphs, ops outside the default ONNX domain, already float16: kUnsupported). Never
// overwrites `input`.
Result<Float16Report> convert_to_float16(const std::filesystem::path& input, const std::filesystem::path& output,
                                         const Float16Params& params = {});

// IEEE 754 binary16 bits of `f`, rounded to nearest even; magnitudes beyond 65504 saturate to ±65504
// (weights never become infinite); NaN stays NaN.
uint16_t float_to_half_bits(float f);

struct CheckedFloat16Report {
  Float16Report convert;
  std::optional<AgreementReport> agreement;  // absent when unchecked
  bool synthetic_sample = false;             // the check used synthetic images
  bool below_min_f1 = false;                 // agreement under min_f1 (kept only with force)
  bool refused = false;                      // below min_f1 without force: `output` was not written
};

// convert_to_float16() into `output` + ".partial", the agreement check against `input` (same rules and
// threshold as int8: quantize.h), then the rename into place, unless refused.
Result<CheckedFloat16Report> float16_and_check(const std::filesystem::path& input, const std::filesystem::path& output,
                                               const Float16Params& params = {},
                                               const AgreementCheckParams& check = {});

// One line, e.g. "model.fp16.onnx: 200 weights in fp16 (6 nodes kept in fp32, 14 casts), 378.4 MB ->
// 189.3 MB; tag-set F1 0.998 against fp32 on 8 images (max |dp| 0.0021)".
std::string describe(const CheckedFloat16Report& report, const std::filesystem::path& model);

// The cached fp16 model beside an fp32 one: ".../model.onnx" → ".../model.fp16.onnx", built and checked
// like quantized_model_path() (same freshness, same refusal below kMinQuantizedF1).
Result<std::filesystem::path> float16_model_path(const std::filesystem::path& fp32_model, bool create,
                                                 const std::filesystem::path& sample = {},
                                                 std::optional<CheckedFloat16Report>* built = nullptr);

}  // namespace tagmetry
