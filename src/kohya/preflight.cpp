// The checks of `tagmetry preflight` (kohya_preflight.h). kohya's caption reading is
// train_util.DreamBoothDataset.read_caption (sd-scripts 48d368f, 2026-02): open(..., encoding="utf-8")
// in text mode (universal newlines: "\r\n" and a lone "\r" end lines too; a BOM is kept), readlines(),
// an assert on an empty file, the first line stripped unless enable_wildcard.
#include <nlohmann/json.hpp>
#include <toml.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "tagmetry/caption_file.h"
#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/files.h"
#include "tagmetry/image.h"
#include "tagmetry/kohya_caption.h"
#include "tagmetry/kohya_preflight.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const Operation<KohyaPreflightParams>& kohya_preflight_operation() {
  static const Operation<KohyaPreflightParams> op{
      {"preflight",
       "Check a kohya training set-up before training: config keys, captions kohya misreads, rotated images, "
       "trigger, steps",
       "", "preflight.md"},
      [] {
        using P = KohyaPreflightParams;
        OptionSet<P> s;
        s.group("Set-up");
        s.add("trigger", &P::trigger, "Trigger word (default: the first word of the training folder's class tokens)");
        s.add("max-token-length", &P::max_token_length, "kohya max_token_length (75, 150, 225; default: the script's, else 75)");
        add_kohya_buckets_options(s);
        s.group("Output");
        s.add("all-files", &P::all_files, "List every file of a finding (default: the first 5)");
        return s;
      }()};
  return op;
}

const OptionSet<KohyaPreflightParams>& kohya_preflight_options() { return kohya_preflight_operation().options; }

const std::vector<std::string>& kohya_preflight_rules() {
  static const std::vector<std::string> rules = {
      "config-key",        "config-dataset",  "bucketing-off",       "bucket-reso-steps",       "caption-extension", "empty-caption",
      "non-utf8",          "byte-order-mark", "line-breaks",         "multiline-no-wildcard", "missing-caption",
      "underscore-caption", "extension-case", "exif-orientation",    "image-size",        "trigger-missing",
      "trigger-unprotected", "weighted-captions", "weight-syntax",   "token-length",      "steps"};
  return rules;
}

bool KohyaPreflightReport::has_findings() const {
  return std::any_of(findings.begin(), findings.end(), [](auto& f) { return f.severity != "info"; });
}

std::string KohyaPreflightReport::to_json(int indent) const {
  using nlohmann::json;
  json j;
  j["images"] = images;
  j["config"] = config;
  j["train_script"] = train_script;
  j["steps"] = {{"batches_per_epoch", steps.batches_per_epoch},
                {"steps_per_epoch", steps.steps_per_epoch},
                {"max_train_steps", steps.max_train_steps},
                {"epochs", steps.epochs}};
  j["findings"] = json::array();
  for (auto& f : findings)
    j["findings"].push_back({{"rule", f.rule}, {"severity", f.severity}, {"message", f.message}, {"fix", f.fix}, {"files", f.files}});
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

namespace {

// The caption settings of one subset after kohya's fallbacks (config → command line → defaults).
struct CaptionSettings {
  std::string caption_extension = ".caption";
  bool enable_wildcard = false;
  bool shuffle_caption = false;
  int keep_tokens = 0;
  std::string keep_tokens_separator;
  std::string caption_separator = ",";
  std::string caption_prefix;
  double caption_tag_dropout_rate = 0;
};

// Keys present for each DreamBooth subset of a config (subset, dataset or [general]), in the order
// read_kohya_dataset_config lists the subsets.
std::vector<std::set<std::string>> config_keys(const fs::path& path) {
  std::vector<std::set<std::string>> out;
  auto text = read_file(path);
  if (!text.ok()) return out;
  try {
    std::istringstream in(*text);
    toml::value root = toml::parse(in, path.string());
    std::set<std::string> general;
    if (root.contains("general") && root.at("general").is_table())
      for (auto& [k, v] : root.at("general").as_table()) general.insert(k);
    if (!root.contains("datasets") || !root.at("datasets").is_array()) return out;
    for (auto& d : root.at("datasets").as_array()) {
      if (!d.is_table() || !d.contains("subsets") || !d.at("subsets").is_array()) continue;
      std::set<std::string> dk = general;
      for (auto& [k, v] : d.as_table()) dk.insert(k);
      for (auto& s : d.at("subsets").as_array()) {
        if (!s.is_table() || s.contains("metadata_file")) continue;
        std::set<std::string> sk = dk;
        for (auto& [k, v] : s.as_table()) sk.insert(k);
        out.push_back(std::move(sk));
      }
    }
  } catch (const std::exception&) {
  }
  return out;
}

bool is_weight_syntax(std::string_view t) {
  if (t.empty()) return false;
  if (t.front() == '[' || t.back() == ']' || t.front() == '(') return true;
  if (t.back() == ')') {
    size_t colon = t.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < t.size() - 1) {
      std::string_view w = t.substr(colon + 1, t.size() - colon - 2);
      return !w.empty() && w.find_first_not_of("0123456789.") == std::string_view::npos;
    }
  }
  return false;
}

std::vector<std::string> tags_of(std::string_view caption, const std::string& sep) {
  std::vector<std::string> out;
  for (auto& t : split(caption, sep.empty() ? "," : sep)) out.emplace_back(trim(t));
  return out;
}

class Findings {
 public:
  void add(const std::string& rule, const std::string& severity, const std::string& message, const std::string& fix,
           const std::string& file) {
    auto& f = get(rule, severity, message, fix);
    if (!file.empty() && (f.files.empty() || f.files.back() != file)) f.files.push_back(file);
  }
  KohyaPreflightFinding& get(const std::string& rule, const std::string& severity, const std::string& message,
                             const std::string& fix) {
    for (auto& f : list_)
      if (f.rule == rule && f.message == message) return f;
    list_.push_back({rule, severity, message, fix, {}});
    return list_.back();
  }
  std::vector<KohyaPreflightFinding> sorted() const {
    std::vector<KohyaPreflightFinding> out = list_;
    const auto& rules = kohya_preflight_rules();
    std::stable_sort(out.begin(), out.end(), [&](auto& a, auto& b) {
      return std::find(rules.begin(), rules.end(), a.rule) < std::find(rules.begin(), rules.end(), b.rule);
    });
    return out;
  }

 private:
  std::vector<KohyaPreflightFinding> list_;
};

std::string to_upper_ascii(std::string s) {
  for (auto& ch : s)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return s;
}

fs::path resolve_against(const std::string& p, const fs::path& base) {
  fs::path path(p);
  std::error_code ec;
  if (path.is_relative() && !fs::exists(path, ec) && fs::exists(base / path, ec)) return base / path;
  return path;
}

}  // namespace

Result<KohyaPreflightReport> kohya_preflight(const fs::path& dir_in, const KohyaPreflightParams& params) {
  KohyaPreflightReport report;
  Findings findings;
  std::error_code ec;
  const fs::path dir = fs::absolute(dir_in, ec);
  auto rel = [&](const fs::path& p) {
    fs::path r = p.lexically_relative(dir);
    return !r.empty() && r.native().rfind("..", 0) != 0 ? r.generic_string() : p.generic_string();
  };

  // The training command: what kohya receives besides the config.
  KohyaBucketsParams b = params;
  TM_ASSIGN_OR_RETURN(std::string script_text, apply_kohya_train_script(dir, b));
  const KohyaTrainScript script = parse_kohya_train_script(script_text);
  if (!script_text.empty()) report.train_script = b.train_script.empty() ? (dir / "train.sh").string() : b.train_script;
  const fs::path script_dir = report.train_script.empty() ? dir : fs::path(report.train_script).parent_path();
  auto int_arg = [&](const char* name, int& out) -> Status {
    if (auto v = script.value(name)) {
      char* end = nullptr;
      long n = std::strtol(v->c_str(), &end, 10);
      if (v->empty() || *end) return invalid_argument(report.train_script + ": --" + name + " '" + *v + "' is not an integer");
      out = static_cast<int>(n);
    }
    return {};
  };
  if (b.config.empty() && fs::is_regular_file(dir / "dataset_config.toml", ec)) b.config = (dir / "dataset_config.toml").string();
  fs::path data_dir = dir;
  if (b.config.empty() && script.value("train_data_dir")) data_dir = resolve_against(*script.value("train_data_dir"), script_dir);
  report.config = b.config;
  int max_token_length = params.max_token_length.value_or(kClipChunkTokens);
  if (!params.max_token_length) TM_RETURN_IF_ERROR(int_arg("max_token_length", max_token_length));

  // The config against sd-scripts' schema: kohya stops on any of these before training.
  std::vector<std::set<std::string>> keys;
  if (!b.config.empty()) {
    TM_ASSIGN_OR_RETURN(auto problems, kohya_check_config_schema(b.config, script.has("masked_loss")));
    const std::string name = fs::path(b.config).filename().string();
    for (auto& p : problems)
      findings.add("config-key", "error", p.where + ": '" + p.key + "': " + p.message, p.fix, name);
    keys = config_keys(b.config);
  }

  TM_ASSIGN_OR_RETURN(KohyaTrainingSet set, kohya_training_set(data_dir, b));
  for (auto& w : set.warnings)
    if (w.find("kohya ignores") != std::string::npos || w.find("regularisation") != std::string::npos)
      findings.add("config-dataset", "warning", w, "check image_dir and num_repeats", "");
  bool any_bucketed = false;
  for (auto& ds : set.datasets) any_bucketed = any_bucketed || ds.buckets.enable_bucket;
  if (!any_bucketed)
    findings.add("bucketing-off", "warning",
                 "aspect-ratio buckets are off (kohya's default without --enable_bucket or enable_bucket = true): every "
                 "image is resized to cover " + b.resolution + " and its overflow cut away",
                 "add enable_bucket = true to [general] (or --enable_bucket to the command)", "");
  else if (script_text.empty() && !keys.empty() &&
           std::any_of(keys.begin(), keys.end(), [](auto& k) { return !k.count("enable_bucket"); }))
    findings.add("bucketing-off", "warning",
                 "the config does not set enable_bucket and no training command was given: kohya buckets only "
                 "with --enable_bucket on its command line (this check assumed it)",
                 "add enable_bucket = true to [general], or pass --train-script train.sh",
                 fs::path(b.config).filename().string());

  // The training script's verify_bucket_reso_steps: 64 for train_network.py (SD 1/2), 32 for SDXL, SD3, FLUX.
  const int steps_multiple = script.script == "train_network.py" ? 64
                             : (script.script.find("sdxl") != std::string::npos || script.script.find("sd3") != std::string::npos ||
                                script.script.find("flux") != std::string::npos)
                                 ? 32
                                 : 0;
  for (auto& ds : set.datasets)
    if (steps_multiple > 0 && ds.buckets.enable_bucket && ds.buckets.bucket_reso_steps % steps_multiple != 0)
      findings.add("bucket-reso-steps", "error",
                   "bucket_reso_steps " + std::to_string(ds.buckets.bucket_reso_steps) + " is not a multiple of " +
                       std::to_string(steps_multiple) + ": " + script.script + " stops (verify_bucket_reso_steps)",
                   "bucket_reso_steps = " + std::to_string(steps_multiple), "");

  // Caption settings per subset: config keys, else the command line, else kohya's defaults.
  std::vector<CaptionSettings> caps(set.subsets.size());
  for (size_t si = 0; si < set.subsets.size(); ++si) {
    const KohyaSubset& s = set.subsets[si];
    CaptionSettings& c = caps[si];
    const std::set<std::string>* k = si < keys.size() ? &keys[si] : nullptr;
    auto from_config = [&](const char* key) { return k && k->count(key); };
    c.caption_extension = from_config("caption_extension") ? s.caption_extension
                                                           : script.value("caption_extension").value_or(".caption");
    if (!from_config("caption_extension") && script.value("caption_extention")) c.caption_extension = *script.value("caption_extention");
    c.enable_wildcard = from_config("enable_wildcard") ? s.caption.enable_wildcard : script.has("enable_wildcard");
    c.shuffle_caption = from_config("shuffle_caption") ? s.caption.shuffle_caption : script.has("shuffle_caption");
    c.keep_tokens = s.caption.keep_tokens;
    if (!from_config("keep_tokens")) TM_RETURN_IF_ERROR(int_arg("keep_tokens", c.keep_tokens));
    c.keep_tokens_separator = from_config("keep_tokens_separator") ? s.caption.keep_tokens_separator
                                                                   : script.value("keep_tokens_separator").value_or("");
    c.caption_prefix = from_config("caption_prefix") ? s.caption.caption_prefix : script.value("caption_prefix").value_or("");
    c.caption_separator = s.caption.caption_separator;
    c.caption_tag_dropout_rate = s.caption.caption_tag_dropout_rate;
  }

  std::string trigger = params.trigger;
  if (trigger.empty())
    for (auto& s : set.subsets)
      if (!s.is_reg && !s.class_tokens.empty()) {
        trigger = std::string(trim(s.class_tokens.substr(0, s.class_tokens.find(' '))));
        break;
      }

  // A subset whose caption_extension matches no file while captions with another extension are there.
  std::vector<bool> wrong_extension(set.subsets.size(), false);
  for (size_t si = 0; si < set.subsets.size(); ++si) {
    const KohyaSubset& s = set.subsets[si];
    if (!fs::is_directory(s.image_dir, ec)) continue;
    const auto images = kohya_glob_images(s.image_dir);
    size_t with = 0;
    std::map<std::string, size_t> other;
    for (auto& img : images) {
      fs::path p = img;
      if (fs::is_regular_file(p.replace_extension(caps[si].caption_extension), ec)) ++with;
      for (const char* e : {".txt", ".caption", ".tags"})
        if (e != caps[si].caption_extension && fs::is_regular_file(fs::path(img).replace_extension(e), ec)) ++other[e];
    }
    if (with == 0 && !images.empty()) {
      std::string best;
      for (auto& [e, n] : other)
        if (best.empty() || n > other[best]) best = e;
      wrong_extension[si] = !best.empty();
      if (!best.empty())
        findings.add("caption-extension", "error",
                     "caption_extension \"" + caps[si].caption_extension + "\" matches no caption file, but " +
                         std::to_string(other[best]) + " \"" + best + "\" files are there: kohya trains every image on \"" +
                         s.class_tokens + "\"",
                     "caption_extension = \"" + best + "\" (in the config) or --caption_extension " + best,
                     rel(s.image_dir));
    }
    // Files kohya's case-sensitive glob skips: ".Jpg", ".Png".
    for (auto& e : fs::directory_iterator(s.image_dir, ec)) {
      std::string ext = e.path().extension().string();
      std::string low = to_lower_ascii(ext);
      if (ext != low && ext != to_upper_ascii(low) && kohya_is_image(e.path()))
        findings.add("extension-case", "warning", "images with a mixed-case extension: kohya's glob does not load them",
                     "rename them with a lower-case extension", rel(e.path()));
    }
  }

  std::optional<ClipTokenizer> tokenizer;
  if (auto t = ClipTokenizer::load_default(); t.ok()) tokenizer = std::move(*t);
  const bool weighted = script.has("weighted_captions");

  for (auto& ds : set.datasets) {
    for (auto& img : ds.images) {
      ++report.images;
      const KohyaSubset& s = set.subsets[img.subset];
      const CaptionSettings& c = caps[img.subset];
      const std::string name = rel(img.path);
      // read_caption's candidates: the image's own, then the "face detection" name with the last four
      // "_" parts of the whole path removed.
      const std::string base = (img.path.parent_path() / img.path.stem()).string();
      std::vector<std::string> tokens = split(base, "_");
      std::vector<std::string> candidates = {base + c.caption_extension};
      if (tokens.size() >= 5)
        candidates.push_back(join(std::vector<std::string>(tokens.begin(), tokens.end() - 4), "_") + c.caption_extension);
      std::string cap_path;
      for (auto& cand : candidates)
        if (fs::is_regular_file(cand, ec)) {
          cap_path = cand;
          break;
        }
      if (cap_path.empty()) {
        if (wrong_extension[img.subset]) continue;  // named once, by caption-extension
        findings.add("missing-caption", "warning",
                     s.class_tokens.empty() ? "images without a caption file: kohya trains them on an empty caption"
                                            : "images without a caption file: kohya trains them on the class tokens \"" +
                                                  s.class_tokens + "\"",
                     "write a " + c.caption_extension + " caption for each (tagmetry tag)", name);
        continue;
      }
      if (cap_path != candidates[0])
        findings.add("underscore-caption", "warning",
                     "images with 5 or more '_'-separated parts and no caption of their own: kohya reads another "
                     "file's caption (" + rel(cap_path) + ")",
                     "give each image its own caption, or rename it with fewer '_'", name);
      auto bytes = read_file(cap_path);
      if (!bytes.ok()) {
        findings.add("non-utf8", "error", "unreadable caption files: kohya stops", "fix the file's permissions", rel(cap_path));
        continue;
      }
      const std::string cap_name = rel(cap_path);
      if (bytes->empty()) {
        findings.add("empty-caption", "error", "empty caption files: kohya stops (\"caption file is empty\")",
                     "write the caption, or delete the file to train on the class tokens", cap_name);
        continue;
      }
      if (!is_valid_utf8(*bytes)) {
        std::string enc = guess_non_utf8_encoding(*bytes);
        findings.add("non-utf8", "error",
                     "caption files that are not UTF-8" + (enc.empty() ? "" : " (" + enc + ")") + ": kohya stops (UnicodeDecodeError)",
                     "tagmetry edit DIR to-utf8", cap_name);
        continue;
      }
      if (bytes->rfind("\xEF\xBB\xBF", 0) == 0)
        findings.add("byte-order-mark", "warning",
                     "caption files that start with a byte-order mark: kohya keeps it glued to the first tag",
                     "save the file as UTF-8 without a BOM", cap_name);
      std::string text = replace_all(*bytes, "\r\n", "\n");
      if (text.find('\r') != std::string::npos) {
        findings.add("line-breaks", "warning",
                     "caption files with old Mac line breaks (a lone CR): kohya reads each part as a line of its own",
                     "use \\n line breaks", cap_name);
        text = replace_all(text, "\r", "\n");
      } else if (text.size() != bytes->size()) {
        findings.add("line-breaks", "info", "caption files with CRLF line breaks (kohya reads them like \\n)", "", cap_name);
      }
      std::vector<std::string> lines = split(text, "\n");
      size_t non_blank = 0;
      for (auto& l : lines) non_blank += python_strip(l).empty() ? 0 : 1;
      if (!c.enable_wildcard && non_blank > 1)
        findings.add("multiline-no-wildcard", "warning",
                     "multi-line captions without enable_wildcard: kohya trains only the first line",
                     "enable_wildcard = true (a random line each step), or join the lines", cap_name);
      const std::string caption = kohya_caption_from_file_text(text, c.enable_wildcard);
      if (caption.empty() && non_blank > 0)
        findings.add("empty-caption", "warning", "captions whose first line is blank: kohya trains an empty caption",
                     "remove the blank first line", cap_name);
      std::string full = c.caption_prefix.empty() ? caption : c.caption_prefix + " " + caption;
      for (auto& line : split(full, "\n")) {
        const std::vector<std::string> tags = tags_of(line, c.caption_separator);
        if (!trigger.empty() && !s.is_reg) {
          auto it = std::find(tags.begin(), tags.end(), trigger);
          if (it == tags.end()) {
            findings.add("trigger-missing", "warning", "captions without the trigger \"" + trigger + "\"",
                         "tagmetry edit DIR add " + trigger + " --first", cap_name);
          } else if (c.shuffle_caption || c.caption_tag_dropout_rate > 0) {
            const size_t index = static_cast<size_t>(it - tags.begin());
            bool fixed = false;
            if (!c.keep_tokens_separator.empty()) {
              size_t sep = line.find(c.keep_tokens_separator);
              fixed = sep != std::string::npos && line.find(trigger) < sep;
            } else {
              fixed = index < static_cast<size_t>(std::max(c.keep_tokens, 0));
            }
            if (!fixed)
              findings.add("trigger-unprotected", "warning",
                           "the trigger \"" + trigger + "\" is shuffled" +
                               (c.caption_tag_dropout_rate > 0 ? " and dropped" : "") +
                               " with the other tags: keep_tokens = " + std::to_string(c.keep_tokens) + " does not cover it",
                           "put the trigger first and set keep_tokens = 1 (or more)", cap_name);
          }
        }
        for (auto& t : tags) {
          if (weighted && (t.find('(') != std::string::npos || t.find(')') != std::string::npos) && !is_weight_syntax(t))
            findings.add("weighted-captions", "warning",
                         "--weighted_captions reads parentheses in tags as weights (first: '" + t + "')",
                         "escape them as \\( \\) or drop --weighted_captions", cap_name);
          else if (!weighted && is_weight_syntax(t))
            findings.add("weight-syntax", "warning",
                         "weight syntax without --weighted_captions is trained literally (first: '" + t + "')",
                         "write the plain tag, or add --weighted_captions", cap_name);
        }
        if (tokenizer) {
          const size_t n = tokenizer->count(line);
          if (n > static_cast<size_t>(max_token_length))
            findings.add("token-length", "warning",
                         "captions longer than max_token_length " + std::to_string(max_token_length) +
                             " tokens: kohya cuts the rest",
                         max_token_length < 3 * kClipChunkTokens ? "--max_token_length " + std::to_string(max_token_length + kClipChunkTokens) +
                                                      ", or shorten the captions (tagmetry simulate --truncation-risk)"
                                                : "shorten the captions",
                         cap_name);
        }
      }
    }
  }

  // EXIF orientation: kohya's imagesize and PIL loading both ignore it.
  for (auto& ds : set.datasets)
    for (auto& img : ds.images) {
      auto info = probe_image(img.path);
      if (info.ok() && info->orientation > 1)
        findings.add("exif-orientation", "warning",
                     "images with an EXIF orientation that kohya ignores: they are trained rotated or mirrored",
                     "tagmetry prepare (applies the orientation)", rel(img.path));
    }

  const KohyaBucketsReport br = simulate_kohya_buckets(set, b, data_dir);
  for (auto& s : br.skipped)
    findings.add("image-size", "error", "images kohya cannot size or bucket: kohya stops", "replace or remove them", s);
  report.steps = br.steps;
  findings.add("steps", "info",
               std::to_string(br.steps.batches_per_epoch) + " batches an epoch, " + std::to_string(br.steps.steps_per_epoch) +
                   " steps an epoch, " + std::to_string(br.steps.max_train_steps) + " steps in " +
                   std::to_string(br.steps.epochs) + " epochs" +
                   (b.epochs ? "" : " (--max_train_steps " + std::to_string(b.max_train_steps) + ")"),
               "", "");
  report.findings = findings.sorted();
  return report;
}

}  // namespace tagmetry
