// tagmetry policy apply DIR (--preset NAME | --policy FILE.toml) [--trigger T]: rewrite captions by a
// caption policy (tags kept/dropped/ordered, trigger first, hybrid sentence lines).
// tagmetry policy show PRESET: print a preset's TOML as a starting file.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/caption_policy.h"
#include "tagmetry/policy_record.h"
#include "tagmetry/ja_dictionary.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::cli {
namespace {

struct PolicyState {
  std::string show_name;
  CLI::App* apply = nullptr;
  CLI::App* show = nullptr;
};

int run_show(const PolicyState& st) {
  auto text = policy_preset_text(st.show_name);
  if (!text.ok()) {
    print_error(text.status());
    return kExitUsage;
  }
  std::fputs(text->c_str(), stdout);
  if (!text->empty() && text->back() != '\n') std::fputs("\n", stdout);
  return kExitOk;
}

int run_apply(const BoundOptions<PolicyApplyCommandParams>& bound) {
  PolicyApplyCommandParams p;
  if (Status s = bound.apply(p); !s.ok()) {
    print_error(s);
    return kExitUsage;
  }
  if (p.preset.empty() == p.policy.empty()) {
    print_error("policy apply: give exactly one of --preset NAME or --policy FILE.toml");
    return kExitUsage;
  }
  Result<CaptionPolicy> policy = p.preset.empty() ? load_caption_policy(p.policy) : load_policy_preset(p.preset);
  if (!policy.ok()) {
    print_error(policy.status());
    return kExitUsage;
  }
  if (!p.trigger.empty()) policy->trigger_token = p.trigger;

  PolicyResources res;
  std::unique_ptr<TagDatabase> db;
  std::unique_ptr<JaDictionary> ja;
  std::unique_ptr<TagImplications> implications;
  if (!p.no_tags_db && policy->merge_aliases) {
    auto loaded = p.tags_db.empty() ? TagDatabase::load_default() : TagDatabase::load(p.tags_db);
    if (loaded.ok()) db = std::make_unique<TagDatabase>(std::move(loaded).value());
    else if (!p.tags_db.empty()) return print_error(loaded.status()), kExitUsage;
    else print_warning("tag list not loaded (" + loaded.status().message() + "); aliases only normalise spelling");
  }
  res.tags = db.get();
  bool wants_ja = false;
  for (auto& l : policy->lines) wants_ja = wants_ja || l.find("{JA_SENTENCE}") != std::string::npos;
  if (wants_ja) {
    auto loaded = JaDictionary::load_default();
    if (loaded.ok()) ja = std::make_unique<JaDictionary>(std::move(loaded).value());
    else print_warning("Japanese dictionary not loaded (" + loaded.status().message() + "); built-in words only");
  }
  res.ja = ja.get();
  if (policy->remove_implied) {
    auto loaded = TagImplications::load_default();
    if (!loaded.ok()) return print_error(loaded.status()), kExitUsage;
    implications = std::make_unique<TagImplications>(std::move(loaded).value());
  }
  res.implications = implications.get();

  PolicyApplyParams ap = p;
  ap.command_line = command_line("tagmetry policy apply");
  auto report = apply_caption_policy(p.dir, *policy, res, ap);
  if (!report.ok()) {
    print_error(report.status());
    return exit_code_for(report.status());
  }
  const PolicyApplyReport& r = *report;
  // Remembered for `export kohya` (enable_wildcard, keep_tokens, dropout of these captions).
  if (!p.dry_run && r.captions > r.skipped.size())
    if (Status s = record_applied_policy(p.dir, *policy); !s.ok())
      print_warning("policy not recorded for export kohya (" + s.message() + ")");
  if (p.json) {
    nlohmann::json j{{"policy", policy->name},      {"trigger", r.trigger},       {"dry_run", p.dry_run},
                     {"images", r.images},          {"captions", r.captions},    {"changed", r.changed},
                     {"skipped_count", r.skipped.size()}, {"trigger_detected", r.trigger_detected},
                     {"refreshed", r.refreshed},    {"replaced_lines", r.replaced_lines},
                     {"constant_tags", r.constant_tags}};
    nlohmann::json changes = nlohmann::json::array(), skipped = nlohmann::json::array();
    for (auto& c : r.changes) changes.push_back({{"file", c.file}, {"before", c.before}, {"after", c.after}});
    for (auto& [f, why] : r.skipped) skipped.push_back({{"file", f}, {"error", why}});
    j["changes"] = changes;
    j["skipped"] = skipped;
    j["kohya"] = {{"shuffle_caption", policy->kohya.shuffle_caption},
                  {"keep_tokens", policy->kohya.keep_tokens},
                  {"caption_tag_dropout_rate", policy->kohya.caption_tag_dropout_rate},
                  {"caption_dropout_rate", policy->kohya.caption_dropout_rate},
                  {"enable_wildcard", policy->kohya.enable_wildcard}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    if (p.dry_run)
      for (auto& c : r.changes) std::printf("--- %s\n%s\n+++ %s\n%s\n", c.file.c_str(), c.before.c_str(), c.file.c_str(), c.after.c_str());
    for (auto& [f, why] : r.skipped) print_warning(f + ": " + why);
    if (r.trigger_detected)
      print_warning("no --trigger given: using '" + r.trigger +
                    "', the first tag of most captions, on every line (pass --trigger to choose another)");
    auto some = [](const std::vector<std::string>& files) {
      std::vector<std::string> head(files.begin(), files.begin() + static_cast<long>(std::min<size_t>(files.size(), 3)));
      return join(head, ", ") + (files.size() > 3 ? ", …" : "");
    };
    if (!r.refreshed.empty())
      print_warning(std::to_string(r.refreshed.size()) + " caption(s) changed since the policy last wrote them (" +
                    some(r.refreshed) + "): their current text is the new source (.tagmetry/originals refreshed; "
                    "`tagmetry undo` reverts this run)");
    if (!r.replaced_lines.empty())
      print_warning(std::to_string(r.replaced_lines.size()) + " caption(s) had hand-written lines that the policy's lines " +
                    (p.dry_run ? "would replace" : "replaced") + " (" + some(r.replaced_lines) +
                    "); the originals are in .tagmetry/originals and `tagmetry undo` reverts this run");
    std::printf("policy %s: %zu captions, %zu %s%s%s\n", policy->name.c_str(), r.captions, r.changed,
                p.dry_run ? "would change" : "changed",
                r.skipped.empty() ? "" : (", " + std::to_string(r.skipped.size()) + " skipped").c_str(),
                r.constant_tags.empty() ? "" : (", constant tags dropped: " + join(r.constant_tags, " ")).c_str());
    std::printf("kohya subset settings for these captions:\n%s", policy->kohya.to_toml().c_str());
  }
  return r.skipped.empty() ? kExitOk : kExitSomeFailed;
}

RunFunction setup_policy(CLI::App& sub) {
  auto st = std::make_shared<PolicyState>();
  sub.require_subcommand(1);
  st->apply = sub.add_subcommand("apply", "Apply a caption policy to the captions of DIR");
  auto bound = std::make_shared<BoundOptions<PolicyApplyCommandParams>>(*st->apply, policy_apply_operation());
  st->show = sub.add_subcommand("show", "Print a preset policy as TOML (a starting file to edit)");
  st->show->add_option("PRESET", st->show_name, "default, sd15 or sdxl")->required();
  return [st, bound]() {
    if (st->show->parsed()) return run_show(*st);
    return run_apply(*bound);
  };
}

}  // namespace

TAGMETRY_COMMAND("policy", "Caption policies: apply a preset or TOML policy (trigger, tag rules, hybrid sentence lines)",
                 70, setup_policy);

}  // namespace tagmetry::cli
