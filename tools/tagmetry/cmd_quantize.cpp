// tagmetry quantize IN.onnx OUT.onnx: dynamic int8 quantization with an agreement check against the fp32
// model (refused below kMinQuantizedF1 unless --force). tagmetry compare A.onnx B.onnx [DIR]: the
// agreement report itself. Both are also reachable as `tagmetry models quantize|compare`.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/quantize.h"
#include "tagmetry/strings.h"

namespace tagmetry::cli {
namespace {

namespace fs = std::filesystem;

nlohmann::json agreement_json(const AgreementReport& r) {
  return {{"images", r.images},           {"failed", r.failed},
          {"max_abs_diff", r.max_abs_diff}, {"mean_abs_diff", r.mean_abs_diff},
          {"tags_a", r.tags_a},           {"tags_b", r.tags_b},
          {"tags_both", r.tags_both},     {"precision", r.precision},
          {"recall", r.recall},           {"f1", r.f1},
          {"min_image_f1", r.min_image_f1}, {"worst_image", r.worst_image},
          {"seconds_per_image_a", r.seconds_a}, {"seconds_per_image_b", r.seconds_b}};
}

void print_agreement(const AgreementReport& r, const char* a_name, const char* b_name) {
  std::printf("agreement over %d image(s)%s:\n", r.images,
              r.failed.empty() ? "" : (" (" + std::to_string(r.failed.size()) + " unreadable)").c_str());
  std::printf("  probability |%s-%s|: max %.4f, mean %.6f\n", a_name, b_name, r.max_abs_diff, r.mean_abs_diff);
  std::printf("  tags: %s %lld, %s %lld, both %lld; precision %.4f, recall %.4f, F1 %.4f (worst image %.4f: %s)\n",
              a_name, static_cast<long long>(r.tags_a), b_name, static_cast<long long>(r.tags_b),
              static_cast<long long>(r.tags_both), r.precision, r.recall, r.f1, r.min_image_f1,
              r.worst_image.c_str());
  std::printf("  time per image: %s %.3f s, %s %.3f s (%.2fx)\n", a_name, r.seconds_a, b_name, r.seconds_b,
              r.seconds_a > 0 ? r.seconds_b / r.seconds_a : 0.0);
}

RunFunction setup_quantize(CLI::App& sub) {
  auto bound = std::make_shared<BoundOptions<QuantizeCommandParams>>(sub, quantize_operation());
  return [bound]() {
    QuantizeCommandParams p;
    if (Status s = bound->apply(p); !s.ok()) return print_error(s), kExitUsage;
    fs::path output(p.output);
    std::error_code ec;
    if (fs::exists(output, ec) && !p.overwrite) {
      print_error(p.output + ": already exists (use --overwrite to replace it)");
      return kExitUsage;
    }
    auto checked = quantize_and_check(p.input, output, p.quantize_params(), p.check_params());
    if (!checked.ok()) return print_error(checked.status()), exit_code_for(checked.status());
    const QuantizeReport& report = checked->quantize;
    nlohmann::json j = {{"input", p.input},
                        {"output", p.output},
                        {"quantized", report.quantized_nodes},
                        {"quantized_weights", report.quantized_weights},
                        {"input_bytes", report.input_bytes},
                        {"output_bytes", report.output_bytes}};
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& k : report.kept_fp32) kept.push_back({{"node", k.name}, {"op", k.op_type}, {"reason", k.reason}});
    j["kept_fp32"] = kept;
    if (!p.json) {
      std::printf("%s: %zu MatMul/Gemm quantized (%.1f M weights), %zu kept in fp32; %.1f MB -> %.1f MB\n",
                  p.output.c_str(), report.quantized_nodes.size(), report.quantized_weights / 1e6,
                  report.kept_fp32.size(), report.input_bytes / 1e6, report.output_bytes / 1e6);
      for (const auto& k : report.kept_fp32)
        std::printf("  fp32: %s (%s): %s\n", k.name.c_str(), k.op_type.c_str(), k.reason.c_str());
    }
    if (report.quantized_nodes.empty()) print_warning(p.input + ": no MatMul/Gemm could be quantized; OUT is the fp32 model");
    if (const auto& agreement = checked->agreement) {
      if (checked->synthetic_sample && !p.sample.empty())
        print_warning(p.sample + ": no readable image; checked on synthetic images instead");
      for (const auto& f : agreement->failed) print_warning(f);
      j["agreement"] = agreement_json(*agreement);
      j["min_f1"] = p.min_f1;
      if (!p.json) print_agreement(*agreement, "fp32", "int8");
      if (checked->below_min_f1) {
        char f1[64];
        std::snprintf(f1, sizeof f1, "%.4f, below %.4f", agreement->f1, p.min_f1);
        std::string msg = std::string("int8 tag-set F1 against fp32 is ") + f1 + ": the int8 model changes too many tags";
        std::fflush(stdout);
        if (p.force)
          print_warning("!!! " + msg + " — kept because of --force; check it with tagmetry compare on your images");
        else
          print_error("refusing: " + msg + " (--force keeps it anyway; --exclude keeps sensitive layers in fp32)");
      }
    }
    const bool refused = checked->refused;
    j["refused"] = refused;
    if (p.json) std::cout << j.dump(2) << "\n";
    return refused ? kExitSomeFailed : kExitOk;
  };
}

RunFunction setup_compare(CLI::App& sub) {
  auto bound = std::make_shared<BoundOptions<CompareCommandParams>>(sub, compare_operation());
  return [bound]() {
    CompareCommandParams p;
    if (Status s = bound->apply(p); !s.ok()) return print_error(s), kExitUsage;
    auto r = compare_models(p.a, p.b, p.dir, p.compare_params());
    if (!r.ok()) return print_error(r.status()), exit_code_for(r.status());
    for (const auto& f : r->failed) print_warning(f);
    if (p.json) {
      nlohmann::json j = agreement_json(*r);
      j["a"] = p.a;
      j["b"] = p.b;
      j["acceptable"] = r->f1 >= kMinQuantizedF1;
      std::cout << j.dump(2) << "\n";
    } else {
      print_agreement(*r, "A", "B");
      std::printf("  %s\n", r->f1 >= kMinQuantizedF1 ? "acceptable (F1 >= 0.90)"
                                                      : "NOT acceptable: B changes too many tags (F1 < 0.90)");
    }
    return r->failed.empty() ? kExitOk : kExitSomeFailed;
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(quantize_operation(), 25, setup_quantize);
TAGMETRY_OPERATION_COMMAND(compare_operation(), 26, setup_compare);

}  // namespace tagmetry::cli
