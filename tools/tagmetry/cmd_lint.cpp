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

void decode_images_for_lint(DatasetCorpus& corpus, const LintCommandParams& p, bool quiet) {
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
  auto bound = std::make_shared<BoundOptions<LintCommandParams>>(sub, lint_operation());
  return [bound]() {
    LintCommandParams p;
    if (Status s = bound->apply(p); !s.ok()) return print_error(s), kExitUsage;
    p.caption_extension =
        resolve_caption_extension(p.dir, p.recursive, p.caption_extension, bound->given("caption-extension"));
    CorpusOptions co;
    co.recursive = p.recursive;
    co.caption_extension = p.caption_extension;
    co.threads = p.threads;
    LoadedDataset data = load_dataset_for_cli(p.dir, co, !p.no_tags_db, p.tags_db);
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
    auto findings = lint_dataset(*corpus, p, &*tok, db.get());
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

TAGMETRY_OPERATION_COMMAND(lint_operation(), 72, setup_lint);

}  // namespace tagmetry::cli
