// The fp16 copy with its agreement check (the int8 flow of quantize_checked.cpp), cached beside the model.
#include <cstdio>

#include "checked_build.h"
#include "tagmetry/float16_model.h"

namespace tagmetry {
namespace fs = std::filesystem;

Result<CheckedFloat16Report> float16_and_check(const fs::path& input, const fs::path& output,
                                               const Float16Params& params, const AgreementCheckParams& check) {
  CheckedFloat16Report result;
  auto build = [&](const fs::path& partial) -> Result<bool> {
    TM_ASSIGN_OR_RETURN(result.convert, convert_to_float16(input, partial, params));
    return true;
  };
  TM_ASSIGN_OR_RETURN(AgreementOutcome outcome, build_and_check(input, output, build, check));
  result.agreement = std::move(outcome.agreement);
  result.synthetic_sample = outcome.synthetic_sample;
  result.below_min_f1 = outcome.below_min_f1;
  result.refused = outcome.refused;
  return result;
}

std::string describe(const CheckedFloat16Report& r, const fs::path& model) {
  char buf[256];
  std::snprintf(buf, sizeof buf, ": %lld weights in fp16 (%lld nodes kept in fp32, %lld casts), %.1f MB -> %.1f MB",
                static_cast<long long>(r.convert.converted_initializers), static_cast<long long>(r.convert.fp32_nodes),
                static_cast<long long>(r.convert.casts), r.convert.input_bytes / 1e6, r.convert.output_bytes / 1e6);
  std::string out = model.filename().string() + buf + describe_agreement(r.agreement, r.synthetic_sample);
  if (!r.agreement) out += "; agreement not checked";
  return out;
}

Result<fs::path> float16_model_path(const fs::path& fp32_model, bool create, const fs::path& sample,
                                    std::optional<CheckedFloat16Report>* built) {
  fs::path out = sibling_model_path(fp32_model, "fp16");
  if (fresh_copy(out, fp32_model)) return out;
  if (!create) return not_found(out.string() + ": no fp16 model yet");
  AgreementCheckParams check;
  check.sample = sample;
  TM_ASSIGN_OR_RETURN(CheckedFloat16Report report, float16_and_check(fp32_model, out, {}, check));
  if (built) *built = report;
  if (report.refused)
    return refused_copy_error(fp32_model, "fp16", *report.agreement, check.min_f1,
                              "use --precision fp32 (docs/gpu.md)");
  return out;
}

}  // namespace tagmetry
