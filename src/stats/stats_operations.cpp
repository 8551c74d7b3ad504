// The declarations of `tagmetry stats` and `tagmetry lint` (include/tagmetry/operation.h): their options,
// HTTP routes and docs pages.
#include "tagmetry/dataset_stats.h"
#include "tagmetry/lint.h"

#include <algorithm>

namespace tagmetry {

const Operation<LintCommandParams>& lint_operation() {
  static const Operation<LintCommandParams> op = [] {
    using P = LintCommandParams;
    Operation<P> o;
    o.info = {"lint", "Check a dataset for training problems (captions, trigger, typos, sizes, duplicates)",
                    "GET /api/lint", "lint.md"};
    o.options.positional("dir", &P::dir, "Dataset folder (images with caption files beside them)")
        .add("trigger", &P::trigger, "Trigger word every caption should start with")
        .add("resolution", &P::resolution, "Training resolution; smaller images are flagged (0: off)")
        .range(0, std::nullopt)
        .add("config", &P::config, "kohya dataset_config.toml to check caption_extension against")
        .add("json", &P::json, "Print {\"findings\": [{rule, severity, message, files}]}")
        .add("recursive", &P::recursive, "Include subfolders")
        .add("caption-extension", &P::caption_extension,
             "Caption file extension (not given: .txt, or .caption when only those exist, with a note)")
        .add("max-tokens", &P::max_tokens, "CLIP token limit per caption (kohya's max_token_length)")
        .add("tags-db", &P::tags_db, "Tag list (tagcomplete CSV) for unknown-tag; default: shipped list")
        .add("no-tags-db", &P::no_tags_db, "Skip the unknown-tag rule")
        .add("threads", &P::threads, "Reader threads (0: one per core)")
        .add("no-decode", &P::no_decode,
             "Read image headers only (skip the full decode that finds truncated or corrupt images)")
        .add("no-cache", &P::no_cache,
             "Decode every image again (ignore and do not write DATASET/.tagmetry/decode-check.tsv)");
    return o;
  }();
  return op;
}

const OptionSet<LintCommandParams>& lint_rule_options() {
  static const OptionSet<LintCommandParams> set = [] {
    OptionSet<LintCommandParams> s;
    s.group("Lint (with --lint)");
    for (const char* name : {"trigger", "resolution", "config", "max-tokens", "no-decode", "no-cache"}) {
      const auto* o = lint_operation().options.find(name);
      s.add(o->info.name, o->field, o->info.help, o->info.choices, o->info.env).range(o->info.min, o->info.max);
    }
    return s;
  }();
  return set;
}

StatsParams StatsCommandParams::stats_params() const {
  StatsParams sp;
  sp.near_constant_share = near_constant_share;
  sp.top_pairs = size_t(std::max(0, top_pairs));
  sp.threads = threads;
  return sp;
}

const Operation<StatsCommandParams>& stats_operation() {
  static const Operation<StatsCommandParams> op = [] {
    using P = StatsCommandParams;
    Operation<P> o;
    o.info = {"stats", "Measure a dataset: tag frequencies, co-occurrence, token lengths, sizes (--json, --html)",
                    "GET /api/stats", "stats.md"};
    o.options.positional("dir", &P::dir, "Dataset folder (images with caption files beside them)")
        .add("json", &P::json, "Print every figure as JSON")
        .add("html", &P::html, "Write a self-contained HTML report with charts to this file")
        .add("recursive", &P::recursive, "Include subfolders")
        .add("caption-extension", &P::caption_extension,
             "Caption file extension (not given: .txt, or .caption when only those exist, with a note)")
        .add("separator", &P::separator, "Tag separator of the caption's first line")
        .add("near-constant-share", &P::near_constant_share,
             "Tags in at least this share of captions are reported as near-constant")
        .add("top-pairs", &P::top_pairs, "Co-occurring pairs listed (by count and by lift)")
        .add("top", &P::top, "Tags listed in the text summary")
        .add("tags-db", &P::tags_db, "Tag list (tagcomplete CSV) for categories; default: shipped list")
        .add("no-tags-db", &P::no_tags_db, "Do not load a tag list (categories 'unknown')")
        .add("no-image-sizes", &P::no_image_sizes, "Skip reading image headers")
        .add("threads", &P::threads, "Reader threads (0: one per core)")
        .add("lint", &P::lint,
             "Also run `tagmetry lint` on the same reading of the folder: its output follows (with --json one "
             "object {\"stats\": …, \"lint\": …}); exit 1 when a finding is an error")
        .include(lint_rule_options());
    return o;
  }();
  return op;
}

}  // namespace tagmetry
