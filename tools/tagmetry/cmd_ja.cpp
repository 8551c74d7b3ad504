// tagmetry ja DIR: <stem>_jp.txt Japanese reading copies of captions; ja --lookup 青髪: the reverse.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/files.h"
#include "tagmetry/ja_captions.h"
#include "tagmetry/ja_dictionary.h"
#include "tagmetry/strings.h"

namespace tagmetry::cli {
namespace {

int run_lookup(const JaDictionary& dict, const JaParams& p) {
  std::vector<std::string> exact = dict.lookup(p.lookup);
  auto partial = dict.search(p.lookup, 20);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  std::vector<std::string> seen;
  for (auto& tag : exact) {
    out.push_back({{"tag", tag}, {"japanese", *dict.find(tag)}, {"exact", true}});
    seen.push_back(tag);
  }
  for (auto& [tag, ja] : partial) {
    if (std::find(seen.begin(), seen.end(), tag) != seen.end()) continue;
    out.push_back({{"tag", tag}, {"japanese", ja}, {"exact", false}});
  }
  if (p.json) {
    std::cout << out.dump() << "\n";
  } else {
    for (auto& e : out) std::cout << e["tag"].get<std::string>() << "\t" << e["japanese"].get<std::string>() << "\n";
  }
  if (out.empty()) {
    print_error("no tag for '" + p.lookup + "'");
    return kExitSomeFailed;
  }
  return kExitOk;
}

int run_ja(const JaParams& p) {
  const std::string& dir = p.dir;
  auto dict = JaDictionary::load_default();
  if (dict.ok() && !p.dict.empty()) {
    Status s = dict->add_file(p.dict);
    if (!s.ok()) dict = s;
  }
  if (!dict.ok()) {
    print_error(dict.status());
    return kExitUsage;
  }
  if (!p.lookup.empty()) return run_lookup(dict.value(), p);
  if (dir.empty()) {
    print_error("give a dataset folder (tagmetry ja DIR) or --lookup TEXT");
    return kExitUsage;
  }
  JaCaptionOptions options = p;
  if (!options.caption_extension.starts_with(".")) options.caption_extension.insert(0, ".");
  options.command_line = command_line("tagmetry ja");
  ProgressReporter progress("ja", 0, show_progress(p.json), "file");
  auto report = write_japanese_captions(dir, dict.value(), options, &progress);
  progress.finish();
  if (!report.ok()) {
    print_error(report.status());
    return exit_code_for(report.status());
  }
  const JaCaptionReport& r = report.value();
  std::vector<std::pair<std::string, int64_t>> untranslated(r.untranslated.begin(), r.untranslated.end());
  std::stable_sort(untranslated.begin(), untranslated.end(), [](auto& a, auto& b) { return a.second > b.second; });
  if (p.json) {
    nlohmann::ordered_json out;
    out["captions"] = r.captions;
    out["written"] = r.written;
    out["unchanged"] = r.unchanged;
    out["kept"] = nlohmann::ordered_json::array();
    for (auto& k : r.kept) out["kept"].push_back(relative_generic(k, dir));
    out["failed"] = nlohmann::ordered_json::array();
    for (auto& [f, why] : r.failed) out["failed"].push_back({{"file", relative_generic(f, dir)}, {"error", why}});
    out["untranslated"] = nlohmann::ordered_json::object();
    for (auto& [tag, n] : untranslated) out["untranslated"][tag] = n;
    out["dry_run"] = p.dry_run;
    std::cout << out.dump() << "\n";
  } else {
    for (auto& [f, why] : r.failed) print_error(why);
    for (auto& k : r.kept) print_warning(relative_generic(k, dir) + ": exists with other content, kept (use --overwrite)");
    std::cout << "ja: " << r.captions << " captions, " << r.written << (p.dry_run ? " would be written, " : " written, ")
              << r.unchanged << " unchanged, " << r.kept.size() << " kept, " << r.failed.size() << " failed\n";
    if (!untranslated.empty()) {
      std::vector<std::string> top;
      for (size_t i = 0; i < untranslated.size() && i < 10; ++i)
        top.push_back(untranslated[i].first + " (" + std::to_string(untranslated[i].second) + ")");
      std::cout << "kept in English (no translation): " << join(top, ", ")
                << (untranslated.size() > 10 ? ", …" : "") << "\n";
    }
  }
  return r.failed.empty() ? kExitOk : kExitSomeFailed;
}

RunFunction setup_ja(CLI::App& sub) {
  auto params = std::make_shared<JaParams>();
  auto bound = std::make_shared<BoundOptions<JaParams>>(sub, ja_operation());
  sub.footer("Examples: tagmetry ja ./dataset   |   tagmetry ja --lookup 青髪");
  return [params, bound]() {
    Status s = bound->apply(*params);
    if (!s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    return run_ja(*params);
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(ja_operation(), 60, setup_ja);

}  // namespace tagmetry::cli
