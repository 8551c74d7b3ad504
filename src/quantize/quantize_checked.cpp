// Quantization with its agreement check, and the int8 model cached beside an fp32 one; the flow the fp16
// copy shares (checked_build.h).
#include <cstdio>
#include <system_error>

#include "checked_build.h"
#include "tagmetry/quantize.h"

namespace tagmetry {
namespace fs = std::filesystem;

Result<AgreementOutcome> build_and_check(const fs::path& input, const fs::path& output,
                                         const std::function<Result<bool>(const fs::path&)>& build,
                                         const AgreementCheckParams& check) {
  AgreementOutcome result;
  // Written beside `output` first, so a refused model never replaces anything.
  fs::path partial = output;
  partial += ".partial";
  std::error_code ec;
  auto drop_partial = [&] { fs::remove(partial, ec); };
  Result<bool> changed = build(partial);
  if (!changed.ok()) {
    drop_partial();
    return changed.status();
  }
  if (check.enabled && *changed) {
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

fs::path sibling_model_path(const fs::path& fp32_model, const std::string& suffix) {
  return fp32_model.parent_path() / (fp32_model.stem().string() + "." + suffix + fp32_model.extension().string());
}

bool fresh_copy(const fs::path& copy, const fs::path& fp32_model) {
  std::error_code ec;
  return fs::exists(copy, ec) && fs::last_write_time(copy, ec) >= fs::last_write_time(fp32_model, ec);
}

Status refused_copy_error(const fs::path& fp32_model, const std::string& what, const AgreementReport& a, double min_f1,
                          const std::string& alternative) {
  char f1[96];
  std::snprintf(f1, sizeof f1, "%.3f on %d image(s), below %.2f", a.f1, a.images, min_f1);
  return model_error(fp32_model.string() + ": the " + what + " model changes too many tags (tag-set F1 against fp32 " +
                     f1 + "), so it was not built; " + alternative);
}

std::string describe_agreement(const std::optional<AgreementReport>& a, bool synthetic) {
  if (!a) return {};
  char buf[160];
  std::snprintf(buf, sizeof buf, "; tag-set F1 %.3f against fp32 on %d %simage(s) (max |dp| %.4f)", a->f1, a->images,
                synthetic ? "synthetic " : "", a->max_abs_diff);
  return buf;
}

Result<CheckedQuantizeReport> quantize_and_check(const fs::path& input, const fs::path& output,
                                                 const QuantizeParams& params, const AgreementCheckParams& check) {
  CheckedQuantizeReport result;
  auto build = [&](const fs::path& partial) -> Result<bool> {
    TM_ASSIGN_OR_RETURN(result.quantize, quantize_model(input, partial, params));
    return !result.quantize.quantized_nodes.empty();
  };
  TM_ASSIGN_OR_RETURN(AgreementOutcome outcome, build_and_check(input, output, build, check));
  result.agreement = std::move(outcome.agreement);
  result.synthetic_sample = outcome.synthetic_sample;
  result.below_min_f1 = outcome.below_min_f1;
  result.refused = outcome.refused;
  return result;
}

std::string describe(const CheckedQuantizeReport& r, const fs::path& model) {
  char buf[256];
  std::snprintf(buf, sizeof buf, ": %zu MatMul/Gemm in int8, %.1f MB -> %.1f MB", r.quantize.quantized_nodes.size(),
                r.quantize.input_bytes / 1e6, r.quantize.output_bytes / 1e6);
  std::string out = model.filename().string() + buf + describe_agreement(r.agreement, r.synthetic_sample);
  if (!r.agreement && !r.quantize.quantized_nodes.empty()) out += "; agreement not checked";
  return out;
}

Result<fs::path> quantized_model_path(const fs::path& fp32_model, bool create, const fs::path& sample,
                                      std::optional<CheckedQuantizeReport>* built) {
  fs::path out = sibling_model_path(fp32_model, "int8");
  if (fresh_copy(out, fp32_model)) return out;
  if (!create) return not_found(out.string() + ": no int8 model yet (run tagmetry models quantize)");
  AgreementCheckParams check;
  check.sample = sample;
  TM_ASSIGN_OR_RETURN(CheckedQuantizeReport report, quantize_and_check(fp32_model, out, {}, check));
  if (built) *built = report;
  if (report.refused)
    return refused_copy_error(fp32_model, "int8", *report.agreement, check.min_f1,
                              "use --precision fp32, or build it anyway with `tagmetry quantize --force` "
                              "(docs/quantize.md)");
  return out;
}

}  // namespace tagmetry
