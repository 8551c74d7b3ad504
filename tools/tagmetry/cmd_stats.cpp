// tagmetry stats DIR [--json] [--html report.html] [--lint …]: tag frequencies (per category),
// co-occurrence with lift, near-constant tags, tags and CLIP tokens per caption, ratings, rare tags,
// image sizes; with --lint, also `tagmetry lint`'s findings from the same reading of the folder.
#include <cstdio>
#include <future>
#include <iostream>
#include <memory>
#include <thread>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "lint_cli.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/files.h"
#include "tagmetry/lint.h"
#include "tagmetry/tag_database.h"
#include "tagmetry/tag_thresholds.h"

namespace tagmetry::cli {
namespace {

// The stats summary printed without --json.
void print_stats_text(const DatasetStats& st, const StatsParams& sp, const StatsCommandParams& p) {
  std::printf("%zu images, %zu captions (%zu empty), %zu orphan captions\n", st.images, st.captions,
              st.empty_captions, st.orphan_captions);
  std::printf("%zu distinct tags, %zu uses; tags per caption: mean %.1f, median %.1f, max %zu\n", st.unique_tags,
              st.tag_occurrences, st.tags_per_caption.mean, st.tags_per_caption.median, st.tags_per_caption.max);
  std::printf("CLIP tokens per caption: mean %.1f, max %zu; over 75: %zu (%.1f%%)\n", st.tokens_per_caption.mean,
              st.tokens_per_caption.max, st.over_75_tokens, 100.0 * st.over_75_share);
  std::printf("\ntop tags:\n");
  for (size_t i = 0; i < st.tags.size() && i < size_t(std::max(0, p.top)); ++i)
    std::printf("  %6zu  %5.1f%%  %-10s %s\n", st.tags[i].count,
                st.captions ? 100.0 * double(st.tags[i].count) / double(st.captions) : 0.0,
                st.tags[i].category.c_str(), st.tags[i].tag.c_str());
  if (!st.near_constant.empty()) {
    std::printf("\nnear-constant tags (in >= %.0f%% of captions; the trigger will absorb them):\n",
                100.0 * sp.near_constant_share);
    for (auto& t : st.near_constant) std::printf("  %s (%zu)\n", t.tag.c_str(), t.count);
  }
  std::printf("\ntop pairs (count, lift):\n");
  for (auto& pr : st.top_pairs) std::printf("  %6zu  %5.2f  %s + %s\n", pr.count, pr.lift, pr.a.c_str(), pr.b.c_str());
  std::printf("\nratings:");
  for (auto& r : st.ratings) std::printf(" %s %zu", r.label.c_str(), r.count);
  std::printf("\nrare tags (one caption): %zu\n", st.rare_tag_count);
  std::printf("image short side: min %zu, median %.0f, max %zu\n", st.short_side.min, st.short_side.median,
              st.short_side.max);
  if (!p.html.empty()) std::printf("report: %s\n", p.html.c_str());
}

// The per-tag thresholds learned from review decisions that differ most from the global ones (review.md).
void print_learned_thresholds(const std::string& dir) {
  auto learned = most_different_thresholds(dir, 10);
  if (learned.empty()) return;
  std::printf("\nlearned thresholds (tagmetry thresholds; differing most from the global):\n");
  for (auto& t : learned)
    std::printf("  %-32s %.3f (global %.2f, %zu decisions)\n", t.label.c_str(), t.threshold, t.fallback, t.decisions);
}

// `json` pretty-printed one level deeper (as the value of a key at the top of an object). Raw newlines
// occur only between tokens in JSON text (inside strings they are escaped).
std::string indent_json(const std::string& json) {
  std::string out;
  out.reserve(json.size() + json.size() / 8);
  for (char c : json) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

RunFunction setup_stats(CLI::App& sub) {
  auto bound = std::make_shared<BoundOptions<StatsCommandParams>>(sub, stats_operation());
  return [bound]() {
    StatsCommandParams p;
    if (Status s = bound->apply(p); !s.ok()) return print_error(s), kExitUsage;
    const LintCommandParams& lp = p;  // the lint rules' options (with --lint)
    p.caption_extension =
        resolve_caption_extension(p.dir, p.recursive, p.caption_extension, bound->given("caption-extension"));
    CorpusOptions co;
    co.recursive = p.recursive;
    co.caption_extension = p.caption_extension;
    co.separator = p.separator;
    co.read_image_sizes = !p.no_image_sizes;
    co.threads = p.threads;
    LoadedDataset data = load_dataset_for_cli(p.dir, co, !p.no_tags_db, p.tags_db);
    if (!data.tokenizer.ok()) return print_error(data.tokenizer.status()), exit_code_for(data.tokenizer.status());
    if (!data.tags_status.ok()) {
      if (!p.tags_db.empty()) return print_error(data.tags_status), kExitUsage;
      if (p.lint) print_warning("tag list not loaded (" + data.tags_status.message() + "); unknown-tag rule skipped");
    }
    auto& corpus = data.corpus;
    auto& tok = data.tokenizer;
    auto& db = data.tags;
    if (!corpus.ok()) return print_error(corpus.status()), exit_code_for(corpus.status());
    const StatsParams sp = p.stats_params();
    // With --lint, the rules run beside the figures.
    Result<std::vector<LintFinding>> findings = std::vector<LintFinding>{};
    if (p.lint) decode_images_for_lint(*corpus, lp, p.json);  // before the threads that read the corpus
    std::jthread linting;  // joined on every way out
    if (p.lint)
      linting = std::jthread([&] {
        try {
          findings = lint_dataset(*corpus, lp, &*tok, db.get());
        } catch (const std::exception& e) {  // reported as main() reports the command's own
          findings = internal_error(std::string("internal error: ") + e.what());
        }
      });
    DatasetStats st = compute_stats(*corpus, sp, db.get());
    if (linting.joinable()) linting.join();
    if (!findings.ok())
      return print_error(findings.status()), findings.status().code() == ErrorCode::kInternal ? kExitSomeFailed : kExitUsage;
    if (!p.html.empty()) {
      std::string title = "Dataset report: " + std::filesystem::path(p.dir).lexically_normal().filename().string();
      if (Status s = write_file_atomic(p.html, stats_to_html(st, title, lp.trigger, p.lint ? &*findings : nullptr)); !s.ok()) return print_error(s), kExitSomeFailed;
    }
    if (p.json && p.lint) {
      std::cout << "{\n  \"stats\": " << indent_json(stats_to_json(st)) << ",\n  \"lint\": "
                << indent_json(lint_to_json(*findings)) << "\n}\n";
    } else if (p.json) {
      std::cout << stats_to_json(st) << "\n";
    } else {
      print_stats_text(st, sp, p);
      print_learned_thresholds(p.dir);
      if (p.lint) {
        std::printf("\n");
        print_lint_text(*findings, corpus->items.size());
      }
    }
    const int code = p.lint && lint_has_errors(*findings) ? kExitSomeFailed : kExitOk;
    keep_until_exit(std::move(corpus).value());
    keep_until_exit(std::move(db));
    keep_until_exit(std::move(tok).value());
    return code;
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(stats_operation(), 71, setup_stats);

}  // namespace tagmetry::cli
