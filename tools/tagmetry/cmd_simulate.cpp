// tagmetry simulate: what kohya-ss sd-scripts feeds the text encoder after process_caption, for one
// caption (--caption) or a dataset (--config dataset_config.toml, or a folder), with CLIP token counts
// and per-tag truncation risk.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/kohya_caption.h"
#include "tagmetry/kohya_config.h"
#include "tagmetry/strings.h"

namespace tagmetry::cli {
namespace {

std::string percent(double f) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%5.1f%%", f * 100.0);
  return buf;
}

// Seeds seed, seed+1, … for `samples` samples.
std::vector<uint64_t> sample_seeds(const SimulateParams& s) {
  std::vector<uint64_t> seeds;
  for (int i = 0; i < s.samples; ++i) seeds.push_back(static_cast<uint64_t>(s.seed) + static_cast<uint64_t>(i));
  return seeds;
}

int run_caption(const SimulateParams& s, bool json, const std::vector<KohyaReplacement>& rep,
                const ClipTokenizer& tok) {
  const KohyaCaptionParams& p = s;
  const KohyaTrainingState state{s.epoch, s.step, s.max_train_steps};
  const size_t limit = static_cast<size_t>(s.max_token_length);
  const std::vector<KohyaCaptionSample> samples =
      kohya_sample_captions(tok, p, state, s.caption, sample_seeds(s), 1, limit, false, rep);
  TruncationReport report;
  if (s.truncation_risk || json)
    report = kohya_truncation_risk(tok, p, state, s.caption, static_cast<size_t>(std::max(s.samples, 1)),
                                   static_cast<uint64_t>(s.seed), s.max_token_length, rep);
  if (json) {
    nlohmann::json j;
    j["max_token_length"] = s.max_token_length;
    j["samples"] = nlohmann::json::array();
    for (auto& sample : samples) j["samples"].push_back(to_json(sample));
    nlohmann::json risk = nlohmann::json::array();
    for (auto& t : report.tags) risk.push_back({{"tag", t.tag}, {"present", t.present}, {"cut", t.cut}});
    j["truncation_risk"] = risk;
    j["tokens"] = {{"min", report.min_tokens}, {"mean", report.mean_tokens}, {"max", report.max_tokens}};
    j["truncated_fraction"] = report.truncated_fraction;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  if (s.truncation_risk) {
    std::printf("tokens min %zu, mean %.1f, max %zu; over %d: %s of %zu samples\n", report.min_tokens,
                report.mean_tokens, report.max_tokens, s.max_token_length, percent(report.truncated_fraction).c_str(),
                report.samples);
    std::printf("   cut  present  tag\n");
    for (auto& t : report.tags)
      std::printf("%s  %s  %s\n", percent(t.cut).c_str(), percent(t.present).c_str(), t.tag.c_str());
    return kExitOk;
  }
  for (auto& sample : samples) std::printf("%s\n", sample.caption.c_str());
  return kExitOk;
}

int run_dataset(const SimulateParams& s, bool json, const BoundOptions<SimulateParams>& bound,
                const std::vector<KohyaReplacement>& rep, const ClipTokenizer& tok) {
  std::vector<KohyaSubset> subsets;
  std::vector<std::string> warnings;
  if (!s.config.empty()) {
    auto config = read_kohya_dataset_config(s.config);
    if (!config.ok()) {
      print_error(config.status());
      return kExitUsage;
    }
    subsets = config->subsets;
    warnings = config->warnings;
  } else {
    KohyaSubset sub;
    sub.image_dir = s.dir;
    sub.caption_extension = s.caption_extension;
    subsets.push_back(sub);
  }
  const KohyaTrainingState state{s.epoch, s.step, s.max_train_steps};
  const size_t limit = static_cast<size_t>(s.max_token_length);
  const std::vector<uint64_t> seeds = sample_seeds(s);
  nlohmann::json images = nlohmann::json::array();
  int failures = 0;
  for (size_t si = 0; si < subsets.size(); ++si) {
    KohyaSubset& sub = subsets[si];
    SimulateParams merged = s;  // caption flags given on the command line win over the subset's
    static_cast<KohyaCaptionParams&>(merged) = sub.caption;
    if (Status st = bound.apply(merged); !st.ok()) {
      print_error(st);
      return kExitUsage;
    }
    sub.caption = merged;
    auto items = kohya_subset_images(sub, &warnings);
    if (!items.ok()) {
      warnings.push_back(items.status().message());
      ++failures;
      continue;
    }
    size_t without = 0;
    for (auto& item : *items) {
      without += !item.has_caption_file;
      nlohmann::json ji{{"image", item.image.string()}, {"subset", si}, {"has_caption_file", item.has_caption_file}};
      nlohmann::json samples = nlohmann::json::array();
      for (auto& sample : kohya_sample_captions(tok, sub.caption, state, item.caption, seeds, 1, limit, false, rep)) {
        if (json) samples.push_back(to_json(sample));
        else std::printf("%s\t%s\n", item.image.string().c_str(), sample.caption.c_str());
      }
      ji["samples"] = samples;
      images.push_back(ji);
    }
    if (without > 0)
      warnings.push_back(sub.image_dir.string() + ": " + std::to_string(without) + " of " +
                         std::to_string(items->size()) + " images have no " + sub.caption_extension +
                         " caption (kohya uses class_tokens '" + sub.class_tokens + "')");
  }
  if (json) {
    std::cout << nlohmann::json{{"images", images}, {"warnings", warnings}}.dump(
                     2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    for (auto& w : warnings) print_warning(w);
  }
  return failures ? kExitSomeFailed : kExitOk;
}

RunFunction setup_simulate(CLI::App& sub) {
  auto json = std::make_shared<bool>(false);
  auto bound = std::make_shared<BoundOptions<SimulateParams>>(sub, simulate_operation());
  sub.get_option("dir")->check(CLI::ExistingDirectory);
  sub.add_flag("--json", *json, "JSON output")->group("Output");
  return [json, bound]() {
    SimulateParams s;
    Status st = bound->apply(s);
    if (st.ok()) st = s.validate();
    auto rep = s.replacements();
    if (st.ok() && !rep.ok()) st = rep.status();
    if (!st.ok()) {
      print_error(st);
      return kExitUsage;
    }
    auto tok = ClipTokenizer::load_default();
    if (!tok.ok()) {
      print_error(tok.status());
      return exit_code_for(tok.status());
    }
    if (!s.caption.empty()) return run_caption(s, *json, *rep, *tok);
    if (s.config.empty())
      s.caption_extension = resolve_caption_extension(s.dir, false, s.caption_extension, bound->given("caption-extension"));
    return run_dataset(s, *json, *bound, *rep, *tok);
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(simulate_operation(), 40, setup_simulate);

}  // namespace tagmetry::cli
