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

struct SimulateParams {
  std::string caption;
  std::string config;
  std::string caption_extension = ".txt";
  int samples = 1;
  int seed = 0;
  int epoch = 1;
  int step = 0;
  int max_train_steps = 0;
  int max_token_length = 75;
  bool truncation_risk = false;
  bool json = false;
};

const OptionSet<SimulateParams>& simulate_options() {
  static const OptionSet<SimulateParams> set = [] {
    using P = SimulateParams;
    OptionSet<P> s;
    s.group("Input");
    s.add("caption", &P::caption, "Caption text to process (instead of a dataset)");
    s.add("config", &P::config, "kohya dataset_config.toml: simulate every image of its subsets");
    s.add("caption-extension", &P::caption_extension, "Caption extension for a DIR without --config (default: .txt, or .caption when only those exist)");
    s.group("Training state");
    s.add("epoch", &P::epoch, "Current epoch (kohya counts from 1 while training)");
    s.add("step", &P::step, "Current global step (token warmup)");
    s.add("max-train-steps", &P::max_train_steps, "Total steps (a fractional --token-warmup-step is relative to it)");
    s.add("max-token-length", &P::max_token_length, "kohya's --max_token_length: 75, 150 or 225");
    s.group("Output");
    s.add("samples", &P::samples, "Processed captions per input (seeds seed, seed+1, ...)");
    s.add("seed", &P::seed, "First random seed");
    s.add("truncation-risk", &P::truncation_risk, "Print, per tag, how often it is cut at --max-token-length");
    s.add("json", &P::json, "JSON output");
    return s;
  }();
  return set;
}

Result<std::vector<KohyaReplacement>> parse_replacements(const std::vector<std::string>& specs) {
  std::vector<KohyaReplacement> out;
  for (auto& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos) return invalid_argument("--replace '" + spec + "': expected FROM=TO");
    KohyaReplacement r{spec.substr(0, eq), split(spec.substr(eq + 1), "|")};
    if (!r.from.empty()) r.to = {spec.substr(eq + 1)};
    out.push_back(std::move(r));
  }
  return out;
}

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

int run_caption(const SimulateParams& s, const KohyaCaptionParams& p, const std::vector<KohyaReplacement>& rep,
                const ClipTokenizer& tok) {
  const KohyaTrainingState state{s.epoch, s.step, s.max_train_steps};
  const size_t limit = static_cast<size_t>(s.max_token_length);
  const std::vector<KohyaCaptionSample> samples =
      kohya_sample_captions(tok, p, state, s.caption, sample_seeds(s), 1, limit, false, rep);
  TruncationReport report;
  if (s.truncation_risk || s.json)
    report = kohya_truncation_risk(tok, p, state, s.caption, static_cast<size_t>(std::max(s.samples, 1)),
                                   static_cast<uint64_t>(s.seed), s.max_token_length, rep);
  if (s.json) {
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

int run_dataset(const SimulateParams& s, const std::string& dir, const BoundOptions<KohyaCaptionParams>& bound,
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
    sub.image_dir = dir;
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
    if (Status st = bound.apply(sub.caption); !st.ok()) {  // flags given on the command line win
      print_error(st);
      return kExitUsage;
    }
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
        if (s.json) samples.push_back(to_json(sample));
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
  if (s.json) {
    std::cout << nlohmann::json{{"images", images}, {"warnings", warnings}}.dump(
                     2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    for (auto& w : warnings) print_warning(w);
  }
  return failures ? kExitSomeFailed : kExitOk;
}

RunFunction setup_simulate(CLI::App& sub) {
  auto dir = std::make_shared<std::string>();
  auto replace = std::make_shared<std::vector<std::string>>();
  sub.add_option("dir", *dir, "Dataset folder (captions read as kohya reads them)")->check(CLI::ExistingDirectory);
  sub.add_option("--replace", *replace,
                 "Textual-inversion replacement FROM=TO (repeatable); FROM empty: whole caption, TO may be a|b");
  auto bound = std::make_shared<BoundOptions<SimulateParams>>(sub, simulate_options());
  auto caption_bound = std::make_shared<BoundOptions<KohyaCaptionParams>>(sub, kohya_caption_options());
  return [dir, replace, bound, caption_bound]() {
    SimulateParams s;
    KohyaCaptionParams p;
    Status st = bound->apply(s);
    if (st.ok()) st = caption_bound->apply(p);
    if (st.ok()) st = p.validate();
    if (st.ok() && s.max_token_length != 75 && s.max_token_length != 150 && s.max_token_length != 225)
      st = invalid_argument("--max-token-length must be 75, 150 or 225");
    if (st.ok() && s.samples < 1) st = invalid_argument("--samples must be at least 1");
    if (st.ok() && s.caption.empty() == (dir->empty() && s.config.empty()))
      st = invalid_argument("give either --caption TEXT, or a dataset (--config dataset_config.toml or DIR)");
    auto rep = parse_replacements(*replace);
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
    if (!s.caption.empty()) return run_caption(s, p, *rep, *tok);
    if (s.config.empty())
      s.caption_extension = resolve_caption_extension(*dir, false, s.caption_extension, bound->given("caption-extension"));
    return run_dataset(s, *dir, *caption_bound, *rep, *tok);
  };
}

}  // namespace

TAGMETRY_COMMAND("simulate", "Show what kohya's trainer feeds the text encoder (shuffle, dropout, wildcards, 75-token cut)",
                 40, setup_simulate);

}  // namespace tagmetry::cli
