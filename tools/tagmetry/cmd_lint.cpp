// tagmetry lint DIR [--trigger T] [--resolution N] [--config dataset_config.toml] [--json]: problems that
// spoil a LoRA training run, with severity and the files concerned. Exit 1 when any finding is an error.
#include <cstdio>
#include <future>
#include <iostream>
#include <memory>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "lint_cli.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/image_check.h"
#include "tagmetry/lint.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::cli {

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
        .add("threads", &LintCliParams::threads, "Reader threads (0: one per core)")
        .add("no-decode", &LintCliParams::no_decode,
             "Read image headers only (skip the full decode that finds truncated or corrupt images)")
        .add("no-cache", &LintCliParams::no_cache,
             "Decode every image again (ignore and do not write DATASET/.tagmetry/decode-check.tsv)");
    return s;
  }();
  return set;
}

const OptionSet<LintCliParams>& lint_rule_cli_options() {
  static const OptionSet<LintCliParams> set = [] {
    OptionSet<LintCliParams> s;
    s.group("Lint (with --lint)");
    for (const char* name : {"trigger", "resolution", "config", "max-tokens", "no-decode", "no-cache"}) {
      const auto* o = lint_cli_options().find(name);
      s.add(o->info.name, o->field, o->info.help, o->info.choices, o->info.env);
    }
    return s;
  }();
  return set;
}

LintParams lint_params_from(const LintCliParams& p) {
  LintParams lp;
  lp.trigger = p.trigger;
  lp.resolution = p.resolution;
  lp.config = p.config;
  lp.caption_extension = p.caption_extension;
  lp.max_tokens = p.max_tokens;
  return lp;
}

void print_lint_text(const std::vector<LintFinding>& findings, size_t images) {
  size_t counts[3] = {0, 0, 0};
  for (auto& f : findings) {
    ++counts[int(f.severity)];
    std::printf("%-7s %-20s %s\n", lint_severity_name(f.severity), f.rule.c_str(), f.message.c_str());
    for (size_t i = 0; i < f.files.size() && i < 5; ++i) std::printf("          %s\n", f.files[i].c_str());
    if (f.files.size() > 5) std::printf("          … and %zu more\n", f.files.size() - 5);
  }
  std::printf("%zu errors, %zu warnings, %zu notes in %zu images\n", counts[0], counts[1], counts[2], images);
}

void decode_images_for_lint(DatasetCorpus& corpus, const LintCliParams& p, bool quiet) {
  if (p.no_decode) return;
  ImageCheckResult r = check_corpus_images(corpus, !p.no_cache, p.threads);
  if (!r.cache_note.empty() && !quiet) print_warning(r.cache_note);
}

LoadedDataset load_dataset_for_cli(const std::string& dir, CorpusOptions options, bool load_tags,
                                   const std::string& tags_db) {
  LoadedDataset data;
  auto tok_loading = std::async(std::launch::async, [] { return ClipTokenizer::load_default(); });
  std::future<Result<TagDatabase>> db_loading;
  if (load_tags)
    db_loading = std::async(std::launch::async, [tags_db] {
      return tags_db.empty() ? TagDatabase::load_default() : TagDatabase::load(tags_db);
    });
  options.tokenizer_source = [&]() -> const ClipTokenizer* {
    data.tokenizer = tok_loading.get();
    return data.tokenizer.ok() ? &*data.tokenizer : nullptr;
  };
  data.corpus = load_corpus(dir, options, nullptr);
  if (tok_loading.valid()) data.tokenizer = tok_loading.get();  // the folder could not be listed
  if (db_loading.valid()) {
    auto loaded = db_loading.get();
    if (loaded.ok()) data.tags = std::make_unique<TagDatabase>(std::move(loaded).value());
    else data.tags_status = loaded.status();
  }
  return data;
}

namespace {

RunFunction setup_lint(CLI::App& sub) {
  auto dir = std::make_shared<std::string>();
  sub.add_option("DIR", *dir, "Dataset folder (images with caption files beside them)")->required();
  auto bound = std::make_shared<BoundOptions<LintCliParams>>(sub, lint_cli_options());
  return [dir, bound]() {
    LintCliParams p;
    if (Status s = bound->apply(p); !s.ok()) return print_error(s), kExitUsage;
    p.caption_extension =
        resolve_caption_extension(*dir, p.recursive, p.caption_extension, bound->given("caption-extension"));
    CorpusOptions co;
    co.recursive = p.recursive;
    co.caption_extension = p.caption_extension;
    co.threads = p.threads;
    LoadedDataset data = load_dataset_for_cli(*dir, co, !p.no_tags_db, p.tags_db);
    if (!data.tokenizer.ok()) return print_error(data.tokenizer.status()), exit_code_for(data.tokenizer.status());
    if (!data.tags_status.ok()) {
      if (!p.tags_db.empty()) return print_error(data.tags_status), kExitUsage;
      print_warning("tag list not loaded (" + data.tags_status.message() + "); unknown-tag rule skipped");
    }
    auto& corpus = data.corpus;
    auto& tok = data.tokenizer;
    auto& db = data.tags;
    if (!corpus.ok()) return print_error(corpus.status()), exit_code_for(corpus.status());
    decode_images_for_lint(*corpus, p, p.json);
    auto findings = lint_dataset(*corpus, lint_params_from(p), &*tok, db.get());
    if (!findings.ok()) return print_error(findings.status()), kExitUsage;
    if (p.json) std::cout << lint_to_json(*findings) << "\n";
    else print_lint_text(*findings, corpus->items.size());
    const int code = lint_has_errors(*findings) ? kExitSomeFailed : kExitOk;
    keep_until_exit(std::move(corpus).value());
    keep_until_exit(std::move(db));
    keep_until_exit(std::move(tok).value());
    return code;
  };
}

}  // namespace

TAGMETRY_COMMAND("lint", "Check a dataset for training problems (captions, trigger, typos, sizes, duplicates)", 72,
                 setup_lint);

}  // namespace tagmetry::cli
