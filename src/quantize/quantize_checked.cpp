// Quantization with its agreement check, and the int8 model cached beside an fp32 one.
#include <cstdio>
#include <system_error>

#include "tagmetry/quantize.h"

namespace tagmetry {
namespace fs = std::filesystem;

Result<CheckedQuantizeReport> quantize_and_check(const fs::path& input, const fs::path& output,
                                                 const QuantizeParams& params, const AgreementCheckParams& check) {
  CheckedQuantizeReport result;
  // Written beside `output` first, so a refused model never replaces anything.
  fs::path partial = output;
  partial += ".partial";
  std::error_code ec;
  auto drop_partial = [&] { fs::remove(partial, ec); };
  TM_ASSIGN_OR_RETURN(result.quantize, quantize_model(input, partial, params));
  if (check.enabled && !result.quantize.quantized_nodes.empty()) {
    CompareParams cp;
    cp.max_images = check.sample_size;
    cp.threads = check.threads;
    Result<AgreementReport> agreement = not_found("no sample");
    if (!check.sample.empty()) agreement = compare_models(input, partial, check.sample, cp);
    // No sample, or none of its images readable: the synthetic images still catch gross failures.
    if (!agreement.ok() &&
        (agreement.status().code() == ErrorCode::kNotFound || agreement.status().code() == ErrorCode::kCorrupt)) {
      result.synthetic_sample = true;
      agreement = compare_models(input, partial, fs::path(), cp);
    }
    if (!agreement.ok()) {
      drop_partial();
      return agreement.status().with_context("agreement check");
    }
    result.agreement = std::move(*agreement);
    result.below_min_f1 = result.agreement->f1 < check.min_f1;
    result.refused = result.below_min_f1 && !check.force;
  }
  if (result.refused) {
    drop_partial();
    return result;
  }
  fs::rename(partial, output, ec);
  if (ec) {
    const std::string why = ec.message();
    drop_partial();
    return io_error(output.string() + ": cannot write (" + why + ")");
  }
  return result;
}

std::string describe(const CheckedQuantizeReport& r, const fs::path& model) {
  char buf[256];
  std::snprintf(buf, sizeof buf, ": %zu MatMul/Gemm in int8, %.1f MB -> %.1f MB", r.quantize.quantized_nodes.size(),
                r.quantize.input_bytes / 1e6, r.quantize.output_bytes / 1e6);
  std::string out = model.filename().string() + buf;
  if (r.agreement) {
    std::snprintf(buf, sizeof buf, "; tag-set F1 %.3f against fp32 on %d %simage(s) (max |dp| %.4f)", r.agreement->f1,
                  r.agreement->images, r.synthetic_sample ? "synthetic " : "", r.agreement->max_abs_diff);
    out += buf;
  } else if (!r.quantize.quantized_nodes.empty()) {
    out += "; agreement not checked";
  }
  return out;
}

Result<fs::path> quantized_model_path(const fs::path& fp32_model, bool create, const fs::path& sample,
                                      std::optional<CheckedQuantizeReport>* built) {
  fs::path out = fp32_model.parent_path() / (fp32_model.stem().string() + ".int8" + fp32_model.extension().string());
  std::error_code ec;
  bool fresh = fs::exists(out, ec) && fs::last_write_time(out, ec) >= fs::last_write_time(fp32_model, ec);
  if (fresh) return out;
  if (!create) return not_found(out.string() + ": no int8 model yet (run tagmetry models quantize)");
  AgreementCheckParams check;
  check.sample = sample;
  TM_ASSIGN_OR_RETURN(CheckedQuantizeReport report, quantize_and_check(fp32_model, out, {}, check));
  if (built) *built = report;
  if (report.refused) {
    char f1[96];
    std::snprintf(f1, sizeof f1, "%.3f on %d image(s), below %.2f", report.agreement->f1, report.agreement->images,
                  check.min_f1);
    return model_error(fp32_model.string() + ": the int8 model changes too many tags (tag-set F1 against fp32 " + f1 +
                       "), so it was not built; use --precision fp32, or build it anyway with `tagmetry quantize "
                       "--force` (docs/quantize.md)");
  }
  return out;
}

}  // namespace tagmetry
