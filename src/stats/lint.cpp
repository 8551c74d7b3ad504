// Dataset lint rules over a loaded corpus (see lint.h for the rule list).
#include "tagmetry/lint.h"
#include "lint_buckets.h"
#include "parallel.h"
#include "read_all.h"

#include <nlohmann/json.hpp>
#include <toml.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>
#include <cctype>
#include <sstream>
#include <map>
#include <set>
#include <unordered_map>

#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/dataset.h"
#include "tagmetry/dataset_stats.h"
#include "tagmetry/caption.h"
#include "tagmetry/files.h"
#include "tagmetry/kohya_config.h"
#include "tagmetry/sha256.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace fs = std::filesystem;

const char* lint_severity_name(LintSeverity s) {
  switch (s) {
    case LintSeverity::kError: return "error";
    case LintSeverity::kWarning: return "warning";
    default: return "info";
  }
}

const std::vector<std::string>& lint_rules() {
  static const std::vector<std::string> rules = {
      "missing-caption", "orphan-caption",      "unreadable-caption", "empty-caption",     "duplicate-tag",
      "empty-tag",       "weight-syntax",       "escaped-parenthesis", "multiline-no-wildcard",
      "caption-too-long", "trigger-missing",    "trigger-not-first",  "trigger-many-tokens", "trigger-common-word",
      "unknown-tag",     "mixed-underscores",   "caption-extension",  "shared-caption",    "unreadable-image",
      "image-too-small", "bucket-crop", "bucket-upscale", "bucket-single", "duplicate-image"};
  return rules;
}

namespace {

std::string plural(size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

constexpr uint64_t kWholeContentKey = 64 * 1024;

// Reads a whole file with one open (by name from the folder descriptor `dir` when it is open: no path
// walk; `name` relative to it, or absolute); false on any failure.
bool read_whole_file(int dir, const fs::path& path, const std::string& name, std::string& out) {
  int fd = dir >= 0 ? ::openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  return stats_internal::read_all_and_close(fd, out);
}

bool is_rating_tag(const std::string& t) {
  std::string l = to_lower_ascii(t);
  return l.starts_with("rating:") || l.starts_with("rating_") || l == "general" || l == "sensitive" ||
         l == "questionable" || l == "explicit";
}

// The caption_extension of each subset of a kohya dataset_config.toml (subset → dataset → general,
// default ".caption", as sd-scripts' config_util resolves it).
Result<std::vector<std::string>> config_caption_extensions(const fs::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  std::vector<std::string> out;
  try {
    std::istringstream in(text);
    toml::value root = toml::parse(in, path.filename().string());
    auto ext_of = [](const toml::value& t, std::string& ext) {
      if (t.is_table() && t.contains("caption_extension") && t.at("caption_extension").is_string())
        ext = t.at("caption_extension").as_string().str;
    };
    std::string general = ".caption";
    if (root.contains("general")) ext_of(root.at("general"), general);
    if (root.contains("datasets") && root.at("datasets").is_array()) {
      for (auto& ds : root.at("datasets").as_array()) {
        std::string dext = general;
        ext_of(ds, dext);
        if (ds.is_table() && ds.contains("subsets") && ds.at("subsets").is_array())
          for (auto& sub : ds.at("subsets").as_array()) {
            std::string sext = dext;
            ext_of(sub, sext);
            out.push_back(sext);
          }
      }
    }
    if (out.empty()) out.push_back(general);
  } catch (const std::exception& e) {
    return invalid_argument(path.string() + ": " + std::string(trim(e.what())));
  }
  return out;
}

// What a caption that is not UTF-8 probably is, from its bytes: "UTF-16" (a UTF-16 BOM or many NUL
// bytes), "Shift-JIS" (mostly valid Shift-JIS double-byte pairs), or "" when unsure.
std::string guess_encoding(std::string_view b) {
  if (b.size() >= 2 && ((uint8_t(b[0]) == 0xFF && uint8_t(b[1]) == 0xFE) || (uint8_t(b[0]) == 0xFE && uint8_t(b[1]) == 0xFF)))
    return "UTF-16";
  size_t nul = std::count(b.begin(), b.end(), '\0');
  if (b.size() >= 4 && nul * 4 >= b.size()) return "UTF-16";
  size_t pairs = 0, bad = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    uint8_t c = uint8_t(b[i]);
    if (c < 0x80 || (c >= 0xA1 && c <= 0xDF)) continue;  // ASCII, half-width katakana
    if (((c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC)) && i + 1 < b.size()) {
      uint8_t d = uint8_t(b[i + 1]);
      if (d >= 0x40 && d <= 0xFC && d != 0x7F) {
        ++pairs, ++i;
        continue;
      }
    }
    ++bad;
  }
  return pairs > 0 && bad == 0 ? "Shift-JIS" : "";
}

// A1111 prompt weighting that kohya trains literally: "(blue hair:1.2)", "[smile]", "((x))".
bool is_weight_syntax(std::string_view t) {
  if (t.empty()) return false;
  if (t.front() == '[' || t.back() == ']') return true;
  if (t.front() == '(') return true;  // "hatsune miku (vocaloid)" starts with a letter
  if (t.back() == ')') {
    size_t colon = t.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < t.size() - 1) {
      std::string_view w = t.substr(colon + 1, t.size() - colon - 2);
      return !w.empty() && w.find_first_not_of("0123456789.") == std::string_view::npos;
    }
  }
  return false;
}

// A common English word is a whole-word CLIP token among the most frequent merges.
bool is_common_word(const ClipTokenizer& tok, const std::string& trigger) {
  if (trigger.size() < 2) return false;
  for (char c : trigger)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  std::vector<int> ids = tok.encode(trigger);
  // ids 0..511 are bytes; merges follow roughly in corpus-frequency order.
  return ids.size() == 1 && ids[0] < 20000;
}

}  // namespace

Result<std::vector<LintFinding>> lint_dataset(const DatasetCorpus& corpus, const LintParams& params,
                                              const ClipTokenizer* tok, const TagDatabase* db) {
  std::vector<LintFinding> out;
  auto add = [&](const char* rule, LintSeverity sev, std::string message, std::vector<std::string> files = {}) {
    out.push_back({rule, sev, std::move(message), std::move(files)});
  };
  const std::string& trigger = params.trigger;
  const std::string trigger_norm = normalize_tag_name(trigger);

  std::vector<std::string> missing, empty, too_long, trig_missing, trig_not_first;
  std::vector<std::string> dup_files, empty_tag_files, weight_files, escaped_files, multiline_files, line_trig_missing;
  std::string dup_example, weight_example, escaped_example;
  std::vector<uint32_t> space_items, under_items;  // captions with spaced / underscored tags (item index)
  size_t longest = 0;
  std::string longest_file;
  std::map<std::string, std::vector<std::string>> unknown;  // normalised tag → files
  std::map<std::string, std::string> unknown_spelling;
  // Per distinct tag (corpus-wide ids), computed once: its normalised name ("long hair" and "long_hair"
  // are the same tag) with an id per distinct normalised name, whether the tag list knows it, and its
  // writing style.
  const stats_internal::TagIndex index(corpus);
  const std::vector<std::string>& names = index.names();
  std::vector<std::string> norm_names;
  std::vector<uint32_t> norm_of(names.size());
  std::vector<char> known(names.size(), 1), spaced(names.size(), 0), underscored(names.size(), 0);
  {
    std::unordered_map<std::string, uint32_t> norm_ids;
    std::vector<signed char> norm_known;  // -1: not looked up yet
    for (size_t id = 0; id < names.size(); ++id) {
      const std::string& t = names[id];
      std::string n = normalize_tag_name(t);
      auto [pos, inserted] = norm_ids.try_emplace(n, uint32_t(norm_names.size()));
      if (inserted) norm_names.push_back(n), norm_known.push_back(-1);
      const uint32_t nid = pos->second;
      norm_of[id] = nid;
      if (t.size() > 3) {
        if (t.find(' ') != std::string::npos) spaced[id] = 1;
        else if (t.find('_') != std::string::npos) underscored[id] = 1;
      }
      if (!db) continue;
      if (norm_known[nid] < 0) {
        bool skip = n.empty() || n == trigger_norm || is_rating_tag(n) ||
                    std::count(n.begin(), n.end(), '_') >= 4;  // a phrase, not a tag
        norm_known[nid] = skip || db->find(n) != nullptr ? 1 : 0;
      }
      known[id] = norm_known[nid];
    }
  }
  uint32_t trigger_nid = ~0u;
  for (uint32_t nid = 0; nid < norm_names.size(); ++nid)
    if (norm_names[nid] == trigger_norm) trigger_nid = nid;
  std::vector<uint32_t> seen_in(norm_names.size(), ~0u);  // the caption a name was last seen in
  std::vector<uint32_t> seen_count(norm_names.size(), 0);  // and how often there
  size_t captions = 0;
  for (size_t i = 0; i < corpus.items.size(); ++i) {
    const CorpusItem& it = corpus.items[i];
    if (!it.has_caption) {
      missing.push_back(it.image);
      continue;
    }
    if (!it.caption_error.empty()) {
      std::string message = it.caption_error;
      if (message.find("UTF-8") != std::string::npos) {
        auto bytes = read_file(corpus.root / it.caption);
        std::string enc = bytes.ok() ? guess_encoding(*bytes) : "";
        if (!enc.empty())
          message += "; it looks like " + enc + ": convert it to UTF-8 (kohya reads captions as UTF-8)";
      }
      add("unreadable-caption", LintSeverity::kError, message, {it.caption});
      continue;
    }
    ++captions;
    const std::vector<uint32_t>& ids = index.ids(i);
    if (ids.empty()) {
      empty.push_back(it.caption);
      continue;
    }
    // Duplicates (after normalising spelling): the second use of a name is reported.
    std::vector<std::string> dups;
    bool has_space = false, has_under = false, found = false;
    for (size_t k = 0; k < ids.size(); ++k) {
      const uint32_t nid = norm_of[ids[k]];
      if (seen_in[nid] != uint32_t(i)) seen_in[nid] = uint32_t(i), seen_count[nid] = 0;
      if (seen_count[nid]++ == 1) dups.push_back(it.tags[k]);
      has_space = has_space || spaced[ids[k]];
      has_under = has_under || underscored[ids[k]];
      found = found || nid == trigger_nid;
    }
    if (!dups.empty()) {
      if (dup_files.empty()) dup_example = it.caption + ": " + join(dups, ", ");
      dup_files.push_back(it.caption);
    }
    // Separators with nothing between them ("1girl,,  ,"): kohya keeps an empty token and shuffles it.
    {
      std::string_view line = it.tag_line;
      bool empty_piece = false;
      size_t start = 0;
      while (true) {
        size_t comma = line.find(',', start);
        std::string_view piece = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (trim(piece).empty() && (comma != std::string_view::npos || start > 0)) empty_piece = true;
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      if (empty_piece) empty_tag_files.push_back(it.caption);
    }
    for (const std::string& t : it.tags) {
      if (is_weight_syntax(t)) {
        if (weight_files.empty() || weight_files.back() != it.caption) weight_files.push_back(it.caption);
        if (weight_example.empty()) weight_example = t;
      }
      if (t.find("\\(") != std::string::npos || t.find("\\)") != std::string::npos) {
        if (escaped_files.empty() || escaped_files.back() != it.caption) escaped_files.push_back(it.caption);
        if (escaped_example.empty()) escaped_example = t;
      }
    }
    if (it.lines > 1) {
      multiline_files.push_back(it.caption);
      // kohya's enable_wildcard trains a random line: the trigger belongs on every one.
      if (!trigger.empty()) {
        auto text = read_text_file(corpus.root / it.caption);
        if (text.ok()) {
          for (const std::string& line : split(*text, "\n")) {
            if (trim(line).empty()) continue;
            bool has = false;
            for (const std::string& t : parse_tags(line)) has = has || normalize_tag_name(t) == trigger_norm;
            if (!has) {
              line_trig_missing.push_back(it.caption);
              break;
            }
          }
        }
      }
    }
    if (has_space) space_items.push_back(uint32_t(i));
    if (has_under) under_items.push_back(uint32_t(i));
    if (tok && it.tokens > size_t(params.max_tokens)) {
      too_long.push_back(it.caption);
      if (it.tokens > longest) longest = it.tokens, longest_file = it.caption;
    }
    if (!trigger.empty()) {
      if (!found) trig_missing.push_back(it.caption);
      else if (norm_of[ids[0]] != trigger_nid) trig_not_first.push_back(it.caption);
    }
    if (db) {
      for (size_t k = 0; k < ids.size(); ++k) {
        if (known[ids[k]]) continue;
        const std::string& n = norm_names[norm_of[ids[k]]];
        auto& files = unknown[n];
        if (files.empty() || files.back() != it.caption) files.push_back(it.caption);
        unknown_spelling.try_emplace(n, it.tags[k]);
      }
    }
  }
  if (!missing.empty())
    add("missing-caption", LintSeverity::kWarning,
        plural(missing.size(), "image has", "images have") + " no " + params.caption_extension +
            " caption (kohya trains them with the class token only)",
        missing);
  if (!corpus.orphan_captions.empty())
    add("orphan-caption", LintSeverity::kWarning,
        plural(corpus.orphan_captions.size(), "caption file has", "caption files have") + " no image beside it",
        corpus.orphan_captions);
  if (!empty.empty())
    add("empty-caption", LintSeverity::kError, plural(empty.size(), "caption is", "captions are") + " empty", empty);
  if (!dup_files.empty())
    add("duplicate-tag", LintSeverity::kWarning,
        plural(dup_files.size(), "caption repeats", "captions repeat") + " a tag (first: " + dup_example +
            "); kohya trains the repeat as extra weight and shuffles both copies",
        dup_files);
  if (!empty_tag_files.empty())
    add("empty-tag", LintSeverity::kWarning,
        plural(empty_tag_files.size(), "caption has", "captions have") +
            " empty tags (\"1girl,, ,\"): kohya keeps each as an empty token and shuffles it in (clean with "
            "tagmetry edit)",
        empty_tag_files);
  if (!weight_files.empty())
    add("weight-syntax", LintSeverity::kWarning,
        plural(weight_files.size(), "caption uses", "captions use") + " A1111 weight syntax (first: '" + weight_example +
            "'): kohya trains the brackets and numbers literally; write the plain tag",
        weight_files);
  if (!escaped_files.empty())
    add("escaped-parenthesis", LintSeverity::kWarning,
        plural(escaped_files.size(), "caption escapes", "captions escape") + " parentheses (first: '" + escaped_example +
            "'): kohya trains the backslashes literally; escape only in prompts, write 'hatsune miku (vocaloid)' "
            "in captions",
        escaped_files);
  if (!too_long.empty())
    add("caption-too-long", LintSeverity::kWarning,
        plural(too_long.size(), "caption exceeds", "captions exceed") + " " + std::to_string(params.max_tokens) +
            " CLIP tokens (longest: " + std::to_string(longest) + " in " + longest_file +
            "); kohya cuts the rest unless --max_token_length is 150 or 225",
        too_long);
  if (!trigger.empty()) {
    if (!trig_missing.empty())
      add("trigger-missing", LintSeverity::kError,
          plural(trig_missing.size(), "caption lacks", "captions lack") + " the trigger '" + trigger + "'", trig_missing);
    if (!line_trig_missing.empty())
      add("trigger-missing", LintSeverity::kError,
          plural(line_trig_missing.size(), "multi-line caption lacks", "multi-line captions lack") + " the trigger '" +
              trigger + "' on some line (with enable_wildcard kohya trains one random line)",
          line_trig_missing);
    if (!trig_not_first.empty())
      add("trigger-not-first", LintSeverity::kWarning,
          plural(trig_not_first.size(), "caption does", "captions do") + " not start with the trigger '" + trigger +
              "' (with shuffle_caption it is kept only within keep_tokens)",
          trig_not_first);
    if (tok) {
      size_t n = tok->count(trigger);
      if (n > size_t(params.trigger_max_tokens))
        add("trigger-many-tokens", LintSeverity::kWarning,
            "trigger '" + trigger + "' is " + std::to_string(n) +
                " CLIP tokens; a short rare word (1-3 tokens) binds the concept better");
      if (to_lower_ascii(trigger) == "sks")
        add("trigger-common-word", LintSeverity::kWarning,
            "trigger 'sks' is a known token (the SKS rifle): images of rifles leak into the LoRA — use a rare "
            "token of your own");
      else if (is_common_word(*tok, trigger))
        add("trigger-common-word", LintSeverity::kWarning,
            "trigger '" + trigger + "' is a common English word; the model already means something by it — use a rare token");
      else if (db)
        if (const TagInfo* info = db->find(trigger_norm); info && info->count >= 1000)
          add("trigger-common-word", LintSeverity::kWarning,
              "trigger '" + trigger + "' is the Danbooru tag '" + info->name + "' (" + std::to_string(info->count) +
                  " posts); the model already means something by it — use a rare token");
    }
  }
  size_t suggested = 0;
  for (auto& [n, files] : unknown) {
    std::string msg = "'" + unknown_spelling[n] + "' is not in the tag list";
    LintSeverity sev = LintSeverity::kInfo;
    if (suggested++ < params.max_suggestions) {
      auto s = db->suggest(n, 1);
      if (!s.empty() && s[0].tag) {
        msg += "; did you mean '" + s[0].tag->name + "'" +
               (s[0].alias.empty() ? std::string() : " (also written '" + s[0].alias + "')") + "?";
        sev = LintSeverity::kWarning;
      }
    }
    add("unknown-tag", sev, msg, files);
  }
  if (!space_items.empty() && !under_items.empty()) {
    bool spaces_minor = space_items.size() <= under_items.size();
    std::vector<std::string> files;
    for (uint32_t i : spaces_minor ? space_items : under_items) files.push_back(corpus.items[i].caption);
    add("mixed-underscores", LintSeverity::kWarning,
        "tags are written with spaces in " + plural(space_items.size(), "caption", "captions") + " and with underscores in " +
            plural(under_items.size(), "caption", "captions") + " (\"long hair\" and \"long_hair\" are different text to "
            "the trainer); files listed use the less common style",
        std::move(files));
  }
  // Multi-line captions need enable_wildcard, else kohya reads only the first line.
  if (!multiline_files.empty() && !params.config.empty()) {
    auto config = read_kohya_dataset_config(params.config);
    bool wildcard = config.ok() && !config->subsets.empty();
    if (config.ok())
      for (auto& sub : config->subsets) wildcard = wildcard && sub.caption.enable_wildcard;
    if (config.ok() && !wildcard)
      add("multiline-no-wildcard", LintSeverity::kWarning,
          plural(multiline_files.size(), "caption has", "captions have") + " several lines but " +
              fs::path(params.config).filename().string() +
              " does not set enable_wildcard = true: kohya trains only the first line",
          multiline_files);
  }
  // .txt vs .caption.
  size_t with_caption = corpus.items.size() - missing.size();
  if (!params.config.empty()) {
    TM_ASSIGN_OR_RETURN(auto exts, config_caption_extensions(params.config));
    std::set<std::string> distinct(exts.begin(), exts.end());
    for (const std::string& ext : distinct) {
      if (ext == params.caption_extension) continue;
      size_t present = 0;
      for (auto& it : corpus.items) {
        std::error_code ec;
        if (fs::is_regular_file(caption_path_for(corpus.root / it.image, ext), ec)) ++present;
      }
      if (present == 0 && with_caption > 0)
        add("caption-extension", LintSeverity::kError,
            fs::path(params.config).filename().string() + " makes kohya read '" + ext + "' captions but the captions are '" +
                params.caption_extension + "' files: training would ignore every caption (set caption_extension = \"" +
                params.caption_extension + "\")");
      else if (present < corpus.items.size())
        add("caption-extension", LintSeverity::kWarning,
            fs::path(params.config).filename().string() + " reads '" + ext + "' captions but only " +
                std::to_string(present) + " of " + std::to_string(corpus.items.size()) + " images have one");
    }
  } else if (!corpus.other_caption_files.empty() && with_caption > 0) {
    add("caption-extension", LintSeverity::kWarning,
        "captions exist as both '" + params.caption_extension + "' and the other extension; kohya reads only its "
        "caption_extension (default '.caption'); listed files are the ones it may read instead",
        corpus.other_caption_files);
  } else if (with_caption > 0 && params.caption_extension != ".caption") {
    add("caption-extension", LintSeverity::kInfo,
        "captions are '" + params.caption_extension + "' files; kohya's default caption_extension is '.caption', so "
        "set caption_extension = \"" + params.caption_extension + "\" in dataset_config.toml (tagmetry export does)");
  }
  // One caption per image: a.png and a.jpg both pair with a.txt.
  {
    std::vector<std::string> rel;
    rel.reserve(corpus.items.size());
    for (const CorpusItem& it : corpus.items) rel.push_back(it.image);
    for (auto& group : caption_collisions(rel)) {
      std::vector<std::string> files;
      for (size_t i : group) files.push_back(rel[i]);
      add("shared-caption", LintSeverity::kError,
          caption_collision_message(rel, group, params.caption_extension) +
              ": kohya trains every one of them with it and `tagmetry tag` would caption only the first; rename "
              "all but one",
          std::move(files));
    }
  }
  // Images.
  std::vector<std::string> small;
  std::string smallest;
  long long smallest_area = -1;
  std::map<uint64_t, std::vector<const CorpusItem*>> by_size;
  for (const CorpusItem& it : corpus.items) {
    if (!it.image_error.empty()) {
      add("unreadable-image", LintSeverity::kError, it.image_error, {it.image});
      continue;
    }
    if (it.file_size > 0) by_size[it.file_size].push_back(&it);
    if (params.resolution <= 0 || it.width <= 0) continue;
    long long area = 1LL * it.width * it.height;
    if (area < 1LL * params.resolution * params.resolution) {
      small.push_back(it.image);
      if (smallest_area < 0 || area < smallest_area)
        smallest_area = area, smallest = it.image + " " + std::to_string(it.width) + "x" + std::to_string(it.height);
    }
  }
  if (!small.empty())
    add("image-too-small", LintSeverity::kWarning,
        plural(small.size(), "image is", "images are") + " smaller than the training resolution " +
            std::to_string(params.resolution) + "x" + std::to_string(params.resolution) + " (smallest: " + smallest +
            "); kohya upscales them, which trains blur",
        small);
  stats_internal::lint_bucket_rules(corpus, params, out);
  // Duplicates: only files whose byte size collides are read, in parallel, once each. Files up to
  // 64 KiB are compared by their whole content, larger ones by SHA-256.
  // The hash of each image's first block (from load_corpus) rules out most of them unread: a file whose
  // hash no other file of its size shares cannot be a duplicate.
  std::vector<const CorpusItem*> candidates;
  std::vector<uint64_t> hashes;
  for (auto& [size, group] : by_size) {
    if (group.size() < 2) continue;
    hashes.clear();
    for (const CorpusItem* it : group) hashes.push_back(it->head_hash);
    std::sort(hashes.begin(), hashes.end());
    for (const CorpusItem* it : group) {
      auto [lo, hi] = std::equal_range(hashes.begin(), hashes.end(), it->head_hash);
      if (it->head_hash == 0 || hi - lo >= 2) candidates.push_back(it);
    }
  }
  std::vector<std::string> keys(candidates.size());
  std::vector<char> readable(candidates.size(), 0);
  const int root_fd = candidates.empty() ? -1 : ::open(corpus.root.empty() ? "." : corpus.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  {
    std::atomic<size_t> next{0};
    auto work = [&] {
      std::string bytes;
      for (size_t i; (i = next.fetch_add(16)) < candidates.size();) {
        for (size_t end = std::min(candidates.size(), i + 16); i < end; ++i) {
          const fs::path path = corpus.root / candidates[i]->image;
          if (candidates[i]->file_size <= kWholeContentKey) {
            if (!read_whole_file(root_fd, path, candidates[i]->image, bytes)) continue;
            keys[i] = "=" + bytes;
          } else {
            auto read = read_file(path);
            if (!read.ok()) continue;
            Sha256 h;
            h.update(*read);
            keys[i] = "#" + h.finish_hex();
          }
          readable[i] = 1;
        }
      }
    };
    unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 16u);
    if (candidates.size() < 256) n = 1;
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  }
  if (root_fd >= 0) ::close(root_fd);
  for (size_t g = 0; g < candidates.size();) {
    size_t ge = g;
    while (ge < candidates.size() && candidates[ge]->file_size == candidates[g]->file_size) ++ge;
    std::unordered_map<std::string_view, std::vector<std::string>> by_key;
    std::vector<std::string_view> key_order;
    for (size_t i = g; i < ge; ++i) {
      if (!readable[i]) continue;
      auto& files = by_key[keys[i]];
      if (files.empty()) key_order.push_back(keys[i]);
      files.push_back(candidates[i]->image);
    }
    for (auto key : key_order) {
      auto& files = by_key[key];
      if (files.size() > 1)
        add("duplicate-image", LintSeverity::kWarning,
            plural(files.size(), "file is", "files are") + " the same image (" + files[0] + "); duplicates weigh it " +
                std::to_string(files.size()) + "x in training",
            files);
    }
    g = ge;
  }
  // Rule order, then message.
  const auto& rules = lint_rules();
  std::stable_sort(out.begin(), out.end(), [&](const LintFinding& a, const LintFinding& b) {
    auto ra = std::find(rules.begin(), rules.end(), a.rule), rb = std::find(rules.begin(), rules.end(), b.rule);
    if (ra != rb) return ra < rb;
    return a.message < b.message;
  });
  return out;
}

bool lint_has_errors(const std::vector<LintFinding>& findings) {
  for (auto& f : findings)
    if (f.severity == LintSeverity::kError) return true;
  return false;
}

nlohmann::json to_json(const std::vector<LintFinding>& findings) {
  nlohmann::json a = nlohmann::json::array();
  for (auto& f : findings)
    a.push_back({{"rule", f.rule}, {"severity", lint_severity_name(f.severity)}, {"message", f.message}, {"files", f.files}});
  nlohmann::json j;
  j["findings"] = a;
  return j;
}

std::string lint_to_json(const std::vector<LintFinding>& findings, int indent) {
  return to_json(findings).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tagmetry
