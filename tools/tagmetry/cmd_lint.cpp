// tagmetry lint DIR [--trigger T] [--resolution N] [--config dataset_config.toml] [--json]: problems that
// spoil a LoRA training run, with severity and the files concerned. Exit 1 when any finding is an error.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/lint.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::cli {
namespace {

struct LintCliParams {
  std::string trigger;
  int resolution = 512;
  std::string config;
  bool json = false;
  bool recursive = false;
  std::string caption_extension = ".txt";
  int max_tokens = 75;
  std::string tags_db;
  bool no_tags_db = false;
  int threads = 0;
};

const OptionSet<LintCliParams>& lint_cli_options() {
  static const OptionSet<LintCliParams> set = [] {
    OptionSet<LintCliParams> s;
    s.add("trigger", &LintCliParams::trigger, "Trigger word every caption should start with")
        .add("resolution", &LintCliParams::resolution, "Training resolution; smaller images are flagged (0: off)")
        .add("config", &LintCliParams::config, "kohya dataset_config.toml to check caption_extension against")
        .add("json", &LintCliParams::json, "Print {\"findings\": [{rule, severity, message, files}]}")
        .add("recursive", &LintCliParams::recursive, "Include subfolders")
        .add("caption-extension", &LintCliParams::caption_extension, "Caption file extension")
        .add("max-tokens", &LintCliParams::max_tokens, "CLIP token limit per caption (kohya's max_token_length)")
        .add("tags-db", &LintCliParams::tags_db, "Tag list (tagcomplete CSV) for unknown-tag; default: shipped list")
        .add("no-tags-db", &LintCliParams::no_tags_db, "Skip the unknown-tag rule")
        .add("threads", &LintCliParams::threads, "Reader threads (0: one per core)");
    return s;
  }();
  return set;
}

RunFunction setup_lint(CLI::App& sub) {
  auto dir = std::make_shared<std::string>();
  sub.add_option("DIR", *dir, "Dataset folder (images with caption files beside them)")->required();
  auto bound = std::make_shared<BoundOptions<LintCliParams>>(sub, lint_cli_options());
  return [dir, bound]() {
    LintCliParams p;
    if (Status s = bound->apply(p); !s.ok()) return print_error(s), kExitUsage;
    auto tok = ClipTokenizer::load_default();
    if (!tok.ok()) return print_error(tok.status()), exit_code_for(tok.status());
    std::unique_ptr<TagDatabase> db;
    if (!p.no_tags_db) {
      auto loaded = p.tags_db.empty() ? TagDatabase::load_default() : TagDatabase::load(p.tags_db);
      if (loaded.ok()) db = std::make_unique<TagDatabase>(std::move(loaded).value());
      else if (!p.tags_db.empty()) return print_error(loaded.status()), kExitUsage;
      else print_warning("tag list not loaded (" + loaded.status().message() + "); unknown-tag rule skipped");
    }
    CorpusOptions co;
    co.recursive = p.recursive;
    co.caption_extension = p.caption_extension;
    co.threads = p.threads;
    auto corpus = load_corpus(*dir, co, &*tok);
    if (!corpus.ok()) return print_error(corpus.status()), exit_code_for(corpus.status());
    LintParams lp;
    lp.trigger = p.trigger;
    lp.resolution = p.resolution;
    lp.config = p.config;
    lp.caption_extension = p.caption_extension;
    lp.max_tokens = p.max_tokens;
    auto findings = lint_dataset(*corpus, lp, &*tok, db.get());
    if (!findings.ok()) return print_error(findings.status()), kExitUsage;
    if (p.json) {
      std::cout << lint_to_json(*findings) << "\n";
    } else {
      size_t counts[3] = {0, 0, 0};
      for (auto& f : *findings) {
        ++counts[int(f.severity)];
        std::printf("%-7s %-20s %s\n", lint_severity_name(f.severity), f.rule.c_str(), f.message.c_str());
        for (size_t i = 0; i < f.files.size() && i < 5; ++i) std::printf("          %s\n", f.files[i].c_str());
        if (f.files.size() > 5) std::printf("          … and %zu more\n", f.files.size() - 5);
      }
      std::printf("%zu errors, %zu warnings, %zu notes in %zu images\n", counts[0], counts[1], counts[2],
                  corpus->items.size());
    }
    return lint_has_errors(*findings) ? kExitSomeFailed : kExitOk;
  };
}

}  // namespace

TAGMETRY_COMMAND("lint", "Check a dataset for training problems (captions, trigger, typos, sizes, duplicates)", 72,
                 setup_lint);

}  // namespace tagmetry::cli
