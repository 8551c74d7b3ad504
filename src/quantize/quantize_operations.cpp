// The declarations of `tagmetry quantize` and `tagmetry compare` (include/tagmetry/operation.h).
#include "tagmetry/quantize.h"
#include "tagmetry/strings.h"

namespace tagmetry {

QuantizeParams QuantizeCommandParams::quantize_params() const {
  QuantizeParams qp;
  qp.format = format;
  qp.weight_bits = weight_bits;
  qp.min_weight_elements = min_weights;
  qp.exclude_nodes = split_trimmed(exclude, ",");
  return qp;
}

AgreementCheckParams QuantizeCommandParams::check_params() const {
  AgreementCheckParams check;
  check.enabled = !no_check;
  check.sample = sample;
  check.sample_size = sample_size;
  check.min_f1 = min_f1;
  check.force = force;
  check.threads = threads;
  return check;
}

const Operation<QuantizeCommandParams>& quantize_operation() {
  static const Operation<QuantizeCommandParams> op = [] {
    using P = QuantizeCommandParams;
    Operation<P> o;
    o.info = {"quantize", "Quantize a tagger model to int8 (dynamic, per-channel) and check its agreement", "",
                    "quantize.md"};
    auto& s = o.options;
    s.positional("input", &P::input, "fp32 ONNX model").positional("output", &P::output, "int8 ONNX model to write");
    s.group("Quantization");
    s.add("format", &P::format,
          "fused: com.microsoft DynamicQuantizeMatMul (ONNX Runtime); onnx: standard DynamicQuantizeLinear + "
          "MatMulInteger ops",
          {"fused", "onnx"});
    s.add("weight-bits", &P::weight_bits,
          "7 avoids 16-bit saturation in AVX2 kernels without VNNI (ORT's reduce_range); 8 = full int8");
    s.add("min-weights", &P::min_weights, "Weight matrices with fewer elements stay fp32");
    s.add("exclude", &P::exclude, "Comma-separated node (or output) names to keep in fp32");
    s.group("Agreement check");
    s.add("sample", &P::sample, "Folder of images to check agreement on (default: synthetic images)");
    s.add("sample-size", &P::sample_size, "Images of the sample to use");
    s.add("min-f1", &P::min_f1, "Refuse the int8 model when its tag-set F1 against fp32 is lower");
    s.add("no-check", &P::no_check, "Skip the agreement check (not recommended)");
    s.add("force", &P::force, "Keep the int8 model even when agreement is below --min-f1 (warns)");
    s.group("Output");
    s.add("overwrite", &P::overwrite, "Replace OUT when it exists");
    s.add("threads", &P::threads, "ONNX Runtime threads for the check (0 = one per core)");
    s.add("json", &P::json, "Print the report as JSON");
    return o;
  }();
  return op;
}

CompareParams CompareCommandParams::compare_params() const {
  CompareParams cp;
  cp.general_threshold = general_threshold;
  cp.character_threshold = character_threshold;
  cp.max_images = max_images;
  cp.labels = labels;
  cp.threads = threads;
  return cp;
}

const Operation<CompareCommandParams>& compare_operation() {
  static const Operation<CompareCommandParams> op = [] {
    using P = CompareCommandParams;
    Operation<P> o;
    o.info = {"compare", "Agreement of two tagger models over a folder: probability and tag-set differences", "",
                    "quantize.md"};
    auto& s = o.options;
    s.positional("a", &P::a, "Reference model (fp32)")
        .positional("b", &P::b, "Model to check (int8)")
        .positional("dir", &P::dir, "Folder of images (default: 8 synthetic images)", /*required=*/false);
    s.add("general-threshold", &P::general_threshold, "Threshold for general tags (both models)");
    s.add("character-threshold", &P::character_threshold, "Threshold for character tags");
    s.add("max-images", &P::max_images, "Compare at most this many images (0 = all)");
    s.add("labels", &P::labels, "selected_tags.csv giving categories (default: beside model A)");
    s.add("threads", &P::threads, "ONNX Runtime threads (0 = one per core)");
    s.add("json", &P::json, "Print the report as JSON");
    return o;
  }();
  return op;
}

}  // namespace tagmetry
