// tagmetry ja2tags TEXT: a Japanese (or English, or mixed) request → Danbooru tags, offline.
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <filesystem>
#include <iterator>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/complete.h"
#include "tagmetry/ja_completion.h"
#include "tagmetry/ja_dictionary.h"
#include "tagmetry/ja_to_tags.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::cli {
namespace {

int run_ja2tags(const Ja2TagsParams& p) {
  const std::vector<std::string>& words = p.text;
  std::string text = join(words, " ");
  if (words.empty()) {
    if (::isatty(0)) {
      print_error("give the request as text (tagmetry ja2tags 青い髪の女の子) or on standard input");
      return kExitUsage;
    }
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (trim(text).empty()) {
    print_error("empty request: give the request as text (tagmetry ja2tags 青い髪の女の子) or on standard input");
    return kExitUsage;
  }
  if (p.complete > 0 && p.corpus.empty()) {
    print_error("--complete needs --corpus DIR (a folder of caption files)");
    return kExitUsage;
  }
  auto db = p.tags_db.empty() ? TagDatabase::load_default() : TagDatabase::load(p.tags_db);
  if (!db.ok()) {
    print_error(db.status());
    return kExitUsage;
  }
  auto dict = JaDictionary::load_default();
  if (dict.ok() && !p.dict.empty()) {
    Status s = dict->add_file(p.dict);
    if (!s.ok()) dict = s;
  }
  if (!dict.ok()) {
    print_error(dict.status());
    return kExitUsage;
  }
  auto matcher = JaToTags::create(db.value(), dict.value(), p.mecab_dicdir);
  if (!matcher.ok()) {
    print_error(matcher.status());
    return kExitUsage;
  }
  const JaToTagsOptions& options = p;
  auto result = matcher.value()->convert(text, options);
  if (!result.ok()) {
    print_error(result.status());
    return kExitUsage;
  }
  std::vector<TagCooccurrence::Suggestion> suggested;
  if (p.complete > 0) {
    std::vector<std::string> skipped;
    auto co = TagCooccurrence::from_corpus(p.corpus, &skipped);
    if (!co.ok()) {
      print_error(co.status());
      return kExitUsage;
    }
    for (auto& s : skipped) print_warning("skipped " + s);
    std::vector<std::string> chosen;
    for (auto& t : result->tags) chosen.push_back(t.tag);
    for (auto& t : result->negative) chosen.push_back(t.tag);
    // The dataset's trigger is in every caption; suggesting it would be noise.
    std::string trigger = co->trigger([&](const std::string& tag) { return db->find(tag) != nullptr; });
    std::vector<std::string> excluded;
    if (!trigger.empty()) excluded.push_back(trigger);
    suggested = co->complete(chosen, static_cast<size_t>(p.complete), excluded);
  }

  // Model-based completion (docs/complete.md) of the tags found, with `complete`'s defaults.
  std::optional<CompleteReport> completed;
  if (!p.complete_model.empty()) {
    CompleteParams cp;
    if (Status env = complete_options().apply_env(cp); !env.ok()) {  // TAGMETRY_THREADS, ...
      print_error(env);
      return kExitUsage;
    }
    std::error_code ec;
    if (std::filesystem::exists(p.complete_model, ec))
      cp.model_file = p.complete_model;
    else
      cp.model = p.complete_model;
    cp.tags_db = p.tags_db;
    std::vector<std::string> found;
    for (auto& t : result->tags) found.push_back(t.tag);
    auto r = complete_tags({join(found, ", ")}, cp);
    if (!r.ok()) {
      print_error(r.status());
      return exit_code_for(r.status());
    }
    completed = std::move(r).value();
  }

  if (p.json) {
    nlohmann::ordered_json out = to_json(*result);
    if (p.complete > 0) {
      out["suggested"] = nlohmann::ordered_json::array();
      for (auto& s : suggested) out["suggested"].push_back({{"tag", s.tag}, {"score", std::round(s.score * 100) / 100}});
    }
    if (completed) out["completed"] = nlohmann::ordered_json::parse(completed->to_json());
    std::cout << out.dump() << "\n";
    return kExitOk;
  }
  std::cout << format_prompt(result->tags) << "\n";
  if (completed) std::cout << "completed: " << join(completed->tags, ", ") << "\n";
  if (!result->negative.empty()) std::cout << "negative: " << format_prompt(result->negative) << "\n";
  if (!suggested.empty()) {
    std::vector<std::string> names;
    for (auto& s : suggested) names.push_back(s.tag);
    std::cout << "suggested: " << join(names, ", ") << "\n";
  }
  if (!result->unmatched.empty()) std::cerr << "unmatched: " << join(result->unmatched, ", ") << "\n";
  return kExitOk;
}

RunFunction setup_ja2tags(CLI::App& sub) {
  auto params = std::make_shared<Ja2TagsParams>();
  auto bound = std::make_shared<BoundOptions<Ja2TagsParams>>(sub, ja2tags_operation());
  sub.footer("Example: tagmetry ja2tags 青い髪の女の子が桜の下で笑っている --json");
  return [params, bound]() {
    Status s = bound->apply(*params);
    if (!s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    return run_ja2tags(*params);
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(ja2tags_operation(), 61, setup_ja2tags);

}  // namespace tagmetry::cli
