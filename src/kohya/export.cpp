// kohya LoRA project export (folder layout N_trigger class, dataset_config.toml, metadata.json,
// train.sh, sample prompts, the A1111 line). Config keys follow sd-scripts library/config_util.py.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "tagmetry/caption.h"
#include "tagmetry/caption_policy.h"
#include "tagmetry/image_check.h"
#include "tagmetry/policy_record.h"
#include "tagmetry/tag_database.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/kohya_config.h"
#include "tagmetry/kohya_export.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const Operation<KohyaExportParams>& kohya_export_operation() {
  static const Operation<KohyaExportParams> op{{"export kohya", "Export a dataset for training (kohya: folders, dataset_config.toml, train.sh)", "", "export.md"}, [] {
    using P = KohyaExportParams;
    OptionSet<P> s;
    s.group("kohya export");
    s.add("trigger", &P::trigger, "Trigger word (folder N_<trigger> <class>)");
    s.add("class", &P::class_token, "Class token (e.g. woman, 1girl)");
    s.add("name", &P::name, "LoRA output name (default: the trigger); ASCII letters, digits, _ - .");
    s.add("repeats", &P::repeats, "Repeats of each training image per epoch");
    s.add("target-steps", &P::target_steps, "Compute --repeats so training runs about this many steps");
    s.add("reg-dir", &P::reg_dir, "Folder of regularisation images");
    s.add("reg-repeats", &P::reg_repeats, "Repeats of each regularisation image");
    s.add("preset", &P::preset, "Training preset", {"sd15", "sdxl"});
    s.add("caption-extension", &P::caption_extension, "Extension of the source captions (kept in the export)");
    s.add("model", &P::model, "Base model path written into train.sh");
    s.add("force", &P::force, "Write into a non-empty output folder");
    s.add("add-trigger", &P::add_trigger,
          "Prepend the trigger to exported caption lines that lack it (without it such captions are an error)");
    s.add("recursive", &P::recursive, "Include images in subfolders (flattened: sub/a.png becomes sub_a.png)");
    s.add("policy", &P::policy,
          "Caption policy (preset name or TOML file) whose kohya settings go into dataset_config.toml "
          "(default: the one `tagmetry policy apply` recorded)");
    return s;
  }()};
  return op;
}

const OptionSet<KohyaExportParams>& kohya_export_options() { return kohya_export_operation().options; }

Result<KohyaPreset> kohya_preset(const std::string& name) {
  KohyaPreset p;
  if (name == "sd15") {
    p.script = "train_network.py";
    return p;
  }
  if (name == "sdxl") {
    p.script = "sdxl_train_network.py";
    p.resolution = 1024;
    p.network_dim = 32;
    p.network_alpha = 16;
    p.mixed_precision = "bf16";
    p.clip_skip = 0;
    p.extra_args = {"--no_half_vae", "--network_train_unet_only"};
    return p;
  }
  return invalid_argument("unknown preset '" + name + "' (sd15, sdxl)");
}

long long kohya_total_steps(size_t images, int repeats, bool with_reg, const KohyaPreset& p) {
  const long long samples = static_cast<long long>(images) * repeats * (with_reg ? 2 : 1);
  const long long batches = (samples + p.train_batch_size - 1) / p.train_batch_size;
  return (batches + p.gradient_accumulation_steps - 1) / p.gradient_accumulation_steps * p.max_train_epochs;
}

int kohya_repeats_for_steps(size_t images, long long target, bool with_reg, const KohyaPreset& p) {
  int r = 1;
  while (r < 10000 && kohya_total_steps(images, r, with_reg, p) < target) ++r;
  return r;
}

Status kohya_check_names(const KohyaExportParams& p) {
  auto check_folder_part = [](const std::string& what, const std::string& v) -> Status {
    if (v.find_first_of("/\\<>:\"|?*") != std::string::npos || v.find('\n') != std::string::npos)
      return invalid_argument(what + " '" + v + "' contains a character not allowed in folder names (/\\<>:\"|?*)");
    if (!v.empty() && (v.front() == ' ' || v.back() == ' ' || v.back() == '.'))
      return invalid_argument(what + " '" + v + "' starts or ends with a space or ends with '.'");
    if (v.find(',') != std::string::npos) return invalid_argument(what + " '" + v + "' contains a comma (it is a tag)");
    return {};
  };
  if (python_strip(p.trigger).empty()) return invalid_argument("--trigger is required");
  TM_RETURN_IF_ERROR(check_folder_part("--trigger", p.trigger));
  TM_RETURN_IF_ERROR(check_folder_part("--class", p.class_token));
  const std::string name = p.name.empty() ? p.trigger : p.name;
  for (unsigned char c : name)
    if (!(std::isalnum(c) && c < 0x80) && c != '_' && c != '-' && c != '.')
      return invalid_argument("LoRA name '" + name +
                              "' must use only ASCII letters, digits, '_', '-' and '.' (A1111's <lora:NAME> and "
                              "kohya's --output_name); pass --name");
  if (p.repeats < 1 || p.reg_repeats < 1) return invalid_argument("--repeats and --reg-repeats must be at least 1");
  if (p.caption_extension.empty() || p.caption_extension[0] != '.')
    return invalid_argument("--caption-extension must start with '.'");
  return {};
}

std::string escape_prompt_parentheses(std::string_view tag) {
  std::string out;
  for (size_t i = 0; i < tag.size(); ++i) {
    char c = tag[i];
    if (c == '\\' && i + 1 < tag.size() && (tag[i + 1] == '(' || tag[i + 1] == ')')) {
      out += c;
      out += tag[++i];
      continue;
    }
    if (c == '(' || c == ')') out += '\\';
    out += c;
  }
  return out;
}

std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

namespace {

std::string sh_quote(const std::string& s) { return "'" + replace_all(s, "'", "'\\''") + "'"; }

// A TOML float ("0.1", "0.0").
std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Hard-links `from` to `to`, copying when linking fails (other filesystem). Counts which happened.
Status link_or_copy(const fs::path& from, const fs::path& to, KohyaExportResult& r) {
  std::error_code ec;
  fs::create_hard_link(from, to, ec);
  if (!ec) {
    ++r.hard_links;
    return {};
  }
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return io_error(to.string() + ": cannot link or copy from " + from.string() + ": " + ec.message());
  ++r.copies;
  return {};
}

}  // namespace

namespace {

// An exported image: where it comes from, its name in the training folder, its caption lines.
struct ExportItem {
  DatasetItem source;
  std::string out_name;
  bool has_caption = false;
  CaptionText caption;
  bool caption_changed = false;  // the trigger was prepended: written, not linked
};

bool line_has_trigger(const std::string& line, const std::string& trigger_norm) {
  for (const std::string& t : parse_tags(line))
    if (normalize_tag_name(t) == trigger_norm) return true;
  return false;
}

bool line_starts_with_trigger(const std::string& line, const std::string& trigger_norm) {
  auto tags = parse_tags(line);
  return !tags.empty() && normalize_tag_name(tags[0]) == trigger_norm;
}

// The caption settings written into dataset_config.toml: the policy's when one applies, else what the
// captions need (enable_wildcard for multi-line captions).
struct CaptionSettings {
  KohyaTrainRecommendation kohya;
  bool from_policy = false;
};

Result<std::optional<CaptionPolicy>> export_policy(const fs::path& dataset_dir, const std::string& policy) {
  if (policy.empty()) return read_applied_policy(dataset_dir);
  for (const std::string& preset : policy_preset_names())
    if (policy == preset) {
      TM_ASSIGN_OR_RETURN(CaptionPolicy p, load_policy_preset(policy));
      return std::optional<CaptionPolicy>(std::move(p));
    }
  TM_ASSIGN_OR_RETURN(CaptionPolicy p, load_caption_policy(policy));
  return std::optional<CaptionPolicy>(std::move(p));
}

std::string list_some(const std::vector<std::string>& files) {
  std::string out;
  for (size_t i = 0; i < files.size() && i < 5; ++i) out += (i ? ", " : "") + files[i];
  if (files.size() > 5) out += ", … (" + std::to_string(files.size() - 5) + " more)";
  return out;
}

// The images of a source folder kohya can train on: images kohya loads, that decode, that have a caption
// of their own and a free name in the training folder. Everything else goes to `skipped`.
Result<std::vector<DatasetItem>> exportable_items(const fs::path& dir, const ScanOptions& scan,
                                                  std::vector<std::string>& skipped,
                                                  std::vector<std::string>& warnings) {
  TM_ASSIGN_OR_RETURN(Dataset ds, scan_dataset(dir, scan));
  if (!scan.recursive) {
    ScanOptions deep = scan;
    deep.recursive = true;
    auto all = scan_dataset(dir, deep);
    std::vector<std::string> nested;
    if (all.ok())
      for (auto& it : all->items)
        if (it.relpath.find('/') != std::string::npos) nested.push_back(it.relpath);
    if (!nested.empty())
      warnings.push_back(std::to_string(nested.size()) + " image(s) in subfolders not exported (" + list_some(nested) +
                         "); pass --recursive to include them");
  }
  std::vector<DatasetItem> loadable;
  for (auto& it : ds.items) {
    if (kohya_is_image(it.image)) loadable.push_back(std::move(it));
    else skipped.push_back(it.relpath + ": kohya does not load " + it.image.extension().string() + " files");
  }
  // A full decode of each image (cached in the dataset when it is writable).
  std::vector<fs::path> paths;
  std::vector<std::string> keys;
  for (auto& it : loadable) paths.push_back(it.image), keys.push_back(it.relpath);
  ImageCheckOptions check;
  check.cache_file = image_check_cache_path(dir);
  ImageCheckResult decoded = check_images_decode(paths, keys, check);
  std::vector<DatasetItem> ok;
  for (size_t i = 0; i < loadable.size(); ++i) {
    if (!decoded.errors[i].empty()) skipped.push_back(loadable[i].relpath + ": kohya cannot load it (" + decoded.errors[i] + ")");
    else ok.push_back(std::move(loadable[i]));
  }
  // One caption per image: a.png and a.jpg would both train with a.txt.
  std::vector<std::string> rel;
  for (auto& it : ok) rel.push_back(it.relpath);
  std::vector<char> drop(ok.size(), 0);
  for (auto& group : caption_collisions(rel)) {
    const std::string why = caption_collision_message(rel, group, scan.caption_extension);
    for (size_t k = 1; k < group.size(); ++k) {
      drop[group[k]] = 1;
      skipped.push_back(rel[group[k]] + ": not exported: " + why + " (rename it to give it its own caption)");
    }
  }
  std::vector<DatasetItem> out;
  for (size_t i = 0; i < ok.size(); ++i)
    if (!drop[i]) out.push_back(std::move(ok[i]));
  return out;
}

}  // namespace

Result<KohyaExportResult> kohya_export(const fs::path& dataset_dir, const fs::path& out_arg,
                                       const KohyaExportParams& p) {
  TM_RETURN_IF_ERROR(kohya_check_names(p));
  TM_ASSIGN_OR_RETURN(KohyaPreset preset, kohya_preset(p.preset));
  TM_ASSIGN_OR_RETURN(std::optional<CaptionPolicy> policy, export_policy(dataset_dir, p.policy));
  ScanOptions scan;
  scan.caption_extension = p.caption_extension;
  scan.recursive = p.recursive;
  KohyaExportResult r;
  TM_ASSIGN_OR_RETURN(std::vector<DatasetItem> sources, exportable_items(dataset_dir, scan, r.skipped, r.warnings));
  if (sources.empty())
    return not_found(dataset_dir.string() + ": no images kohya can load" +
                     (r.skipped.empty() ? std::string() : " (" + list_some(r.skipped) + ")"));
  std::vector<DatasetItem> reg_items;
  if (!p.reg_dir.empty()) {
    ScanOptions reg_scan = scan;
    reg_scan.recursive = false;
    std::vector<std::string> reg_skipped, reg_warnings;
    TM_ASSIGN_OR_RETURN(reg_items, exportable_items(p.reg_dir, reg_scan, reg_skipped, reg_warnings));
    for (auto& s : reg_skipped) r.skipped.push_back("reg: " + s);
    if (reg_items.empty()) return not_found(p.reg_dir + ": no regularisation images");
  }

  // Names in the training folder (subfolders flattened) and captions, checked before anything is written.
  const std::string trigger_norm = normalize_tag_name(p.trigger);
  std::vector<ExportItem> items;
  std::set<std::string> taken;
  std::vector<std::string> lacking;
  size_t multi_line = 0, not_first = 0;
  for (auto& src : sources) {
    ExportItem e;
    e.out_name = replace_all(src.relpath, "/", "_");
    if (!taken.insert(e.out_name).second) {
      r.skipped.push_back(src.relpath + ": not exported: another image is already exported as " + e.out_name);
      continue;
    }
    e.has_caption = src.has_caption;
    if (src.has_caption) {
      auto cap = read_caption(src.caption);
      if (!cap.ok()) {
        r.warnings.push_back(cap.status().message() + " (exported without its caption)");
        e.has_caption = false;
      } else {
        e.caption = std::move(cap).value();
        size_t lines = 0;
        bool lacks = false, first = true;
        for (auto& line : e.caption.lines) {
          if (python_strip(line).empty()) continue;
          ++lines;
          if (!line_has_trigger(line, trigger_norm)) lacks = true;
          else if (!line_starts_with_trigger(line, trigger_norm)) first = false;
        }
        if (lines > 1) ++multi_line;
        if (lacks) {
          lacking.push_back(src.caption.filename().string());
          if (p.add_trigger) {
            for (auto& line : e.caption.lines)
              if (!python_strip(line).empty() && !line_has_trigger(line, trigger_norm))
                line = p.trigger + ", " + std::string(python_strip(line));
            e.caption_changed = true;
            ++r.triggers_added;
          }
        } else if (!first) {
          ++not_first;
        }
      }
    }
    e.source = std::move(src);
    items.push_back(std::move(e));
  }
  if (!lacking.empty() && !p.add_trigger)
    return invalid_argument(std::to_string(lacking.size()) + " caption(s) lack the trigger '" + p.trigger + "' (" +
                            list_some(lacking) +
                            "): kohya trains a captioned image with its caption only, never with the folder's "
                            "class tokens, so the trigger would never be learned. Add it with `tagmetry edit DIR add " +
                            p.trigger + "`, or pass --add-trigger to prepend it to the exported copies");

  std::error_code ec;
  fs::path out = fs::absolute(out_arg, ec).lexically_normal();
  if (fs::exists(out, ec) && !fs::is_empty(out, ec) && !p.force)
    return already_exists(out.string() + ": output folder is not empty (use --force)");

  r.out = out;
  r.repeats = p.target_steps ? kohya_repeats_for_steps(items.size(), *p.target_steps, !reg_items.empty(), preset)
                             : p.repeats;
  r.total_steps = kohya_total_steps(items.size(), r.repeats, !reg_items.empty(), preset);
  const std::string name = p.name.empty() ? p.trigger : p.name;
  const std::string class_tokens = p.class_token.empty() ? p.trigger : p.trigger + " " + p.class_token;
  const fs::path img_dir = out / "img" / (std::to_string(r.repeats) + "_" + class_tokens);
  fs::create_directories(img_dir, ec);
  if (ec) return io_error(img_dir.string() + ": " + ec.message());

  nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
  std::map<std::string, int> tag_counts;
  for (auto& e : items) {
    fs::path dst = img_dir / e.out_name;
    if (Status s = link_or_copy(e.source.image, dst, r); !s.ok()) {
      r.warnings.push_back(s.message());
      continue;
    }
    ++r.images;
    if (!e.has_caption) {
      if (!e.source.has_caption)
        r.warnings.push_back(e.source.relpath + ": no " + p.caption_extension + " caption (kohya trains it with '" +
                             class_tokens + "')");
      continue;
    }
    fs::path cap_dst = dst;
    cap_dst.replace_extension(p.caption_extension);
    Status written = e.caption_changed ? write_caption(cap_dst, e.caption) : link_or_copy(e.source.caption, cap_dst, r);
    if (!written.ok()) {
      r.warnings.push_back(written.message());
      continue;
    }
    ++r.captions;
    auto tags = e.caption.tags();
    for (auto& t : tags)
      if (normalize_tag_name(t) != trigger_norm && t != p.class_token) tag_counts[t]++;
    // kohya's fine-tuning loader trains `caption + ", " + tags` (or `tags` alone): the trigger once,
    // first, in the caption when there is one.
    nlohmann::ordered_json md;
    const std::string tag_line = e.caption.lines.empty() ? "" : e.caption.lines[0];
    std::string sentence;
    for (size_t k = 1; k < e.caption.lines.size() && sentence.empty(); ++k)
      sentence = std::string(python_strip(e.caption.lines[k]));
    if (sentence.empty()) {
      md["tags"] = tag_line;
    } else {
      std::vector<std::string> rest;
      for (auto& t : tags)
        if (normalize_tag_name(t) != trigger_norm) rest.push_back(t);
      std::vector<std::string> sentence_items = parse_tags(sentence);
      std::vector<std::string> caption_items = {p.trigger};
      for (auto& t : sentence_items)
        if (normalize_tag_name(t) != trigger_norm) caption_items.push_back(t);
      md["caption"] = join(caption_items, ", ");
      md["tags"] = join(rest, ", ");
    }
    metadata[dst.string()] = md;
  }
  if (not_first > 0)
    r.warnings.push_back(std::to_string(not_first) + " caption(s) do not start with the trigger '" + p.trigger +
                         "': keep_tokens is 0, so shuffling may move it (put it first with tagmetry edit/policy)");
  CaptionSettings settings;
  settings.kohya.caption_tag_dropout_rate = 0.0;
  settings.kohya.keep_tokens = 1;
  settings.kohya.enable_wildcard = multi_line > 0;
  if (policy) {
    settings.kohya = policy->kohya;
    settings.from_policy = true;
    r.policy = policy->name;
    if (multi_line > 0 && !settings.kohya.enable_wildcard)
      r.warnings.push_back(std::to_string(multi_line) + " caption(s) have several lines but policy '" + policy->name +
                           "' sets enable_wildcard = false: kohya reads only their first line");
  }
  if (not_first > 0 || r.captions == 0) settings.kohya.keep_tokens = 0;

  fs::path reg_out;
  if (!reg_items.empty()) {
    reg_out = out / "reg" / (std::to_string(p.reg_repeats) + "_" + (p.class_token.empty() ? p.trigger : p.class_token));
    fs::create_directories(reg_out, ec);
    for (auto& it : reg_items) {
      if (Status s = link_or_copy(it.image, reg_out / it.image.filename(), r); !s.ok()) r.warnings.push_back(s.message());
      else ++r.reg_images;
    }
  }

  // dataset_config.toml: [general] caption settings, one dataset, DreamBooth subsets.
  std::string toml = "# Written by tagmetry export kohya. Keys follow sd-scripts library/config_util.py.\n";
  toml += "[general]\n";
  if (settings.from_policy) toml += "# Caption settings of policy " + toml_quote(r.policy) + ".\n";
  toml += "shuffle_caption = " + std::string(settings.kohya.shuffle_caption ? "true" : "false") + "\n";
  toml += "keep_tokens = " + std::to_string(settings.kohya.keep_tokens) + "\n";
  toml += "caption_extension = " + toml_quote(p.caption_extension) + "\n";
  if (settings.kohya.enable_wildcard) {
    if (multi_line > 0) toml += "# Multi-line captions: kohya picks one line at random each time.\n";
    toml += "enable_wildcard = true\n";
  }
  if (settings.from_policy || settings.kohya.caption_tag_dropout_rate > 0)
    toml += "caption_tag_dropout_rate = " + number_text(settings.kohya.caption_tag_dropout_rate) + "\n";
  if (settings.from_policy || settings.kohya.caption_dropout_rate > 0)
    toml += "caption_dropout_rate = " + number_text(settings.kohya.caption_dropout_rate) + "\n";
  toml += "\n";
  toml += "[[datasets]]\n";
  toml += "resolution = " + std::to_string(preset.resolution) + "\n";
  toml += "batch_size = " + std::to_string(preset.train_batch_size) + "\n";
  toml += "enable_bucket = true\n";
  toml += "min_bucket_reso = " + std::to_string(preset.resolution / 2) + "\n";
  toml += "max_bucket_reso = " + std::to_string(preset.resolution * 2) + "\n";
  toml += "bucket_reso_steps = 64\n\n";
  toml += "  [[datasets.subsets]]\n";
  toml += "  image_dir = " + toml_quote(img_dir.string()) + "\n";
  toml += "  class_tokens = " + toml_quote(class_tokens) + "\n";
  toml += "  num_repeats = " + std::to_string(r.repeats) + "\n";
  if (!reg_out.empty()) {
    toml += "\n  [[datasets.subsets]]\n";
    toml += "  is_reg = true\n";
    toml += "  image_dir = " + toml_quote(reg_out.string()) + "\n";
    toml += "  class_tokens = " + toml_quote(p.class_token.empty() ? p.trigger : p.class_token) + "\n";
    toml += "  num_repeats = " + std::to_string(p.reg_repeats) + "\n";
  }
  TM_RETURN_IF_ERROR(write_file_atomic(out / "dataset_config.toml", toml));
  TM_RETURN_IF_ERROR(write_file_atomic(out / "metadata.json", metadata.dump(2) + "\n"));

  // Prompts: trigger, class and the most frequent tags.
  std::vector<std::pair<std::string, int>> top(tag_counts.begin(), tag_counts.end());
  std::stable_sort(top.begin(), top.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::vector<std::string> prompt_tags = {escape_prompt_parentheses(p.trigger)};
  if (!p.class_token.empty()) prompt_tags.push_back(escape_prompt_parentheses(p.class_token));
  for (size_t i = 0; i < top.size() && i < 8; ++i) prompt_tags.push_back(escape_prompt_parentheses(top[i].first));
  const std::string prompt = join(prompt_tags, ", ");
  r.a1111_prompt = "<lora:" + name + ":0.8>, " + prompt;
  const std::string size = std::to_string(preset.resolution);
  TM_RETURN_IF_ERROR(write_file_atomic(out / "sample_prompts.txt",
                                       prompt + " --n lowres, bad anatomy, worst quality --w " + size + " --h " + size +
                                           " --l 7 --s 28 --d 1\n"));
  TM_RETURN_IF_ERROR(write_file_atomic(out / "a1111_prompt.txt", r.a1111_prompt + "\n"));

  std::string sh = "#!/bin/sh\n# Written by tagmetry export kohya (preset " + p.preset + "). Run it from your\n";
  sh += "# sd-scripts folder with its virtual environment active. Steps: " + std::to_string(r.total_steps) + ".\n";
  sh += "# AUTOMATIC1111 prompt: " + r.a1111_prompt + "\n";
  sh += "MODEL=${MODEL:-" + sh_quote(p.model) + "}\n";
  sh += "accelerate launch --num_cpu_threads_per_process 1 " + preset.script + " \\\n";
  sh += "  --pretrained_model_name_or_path \"$MODEL\" \\\n";
  sh += "  --dataset_config " + sh_quote((out / "dataset_config.toml").string()) + " \\\n";
  sh += "  --output_dir " + sh_quote((out / "output").string()) + " --output_name " + sh_quote(name) + " \\\n";
  sh += "  --save_model_as safetensors --save_precision fp16 \\\n";
  sh += "  --network_module networks.lora --network_dim " + std::to_string(preset.network_dim) +
        " --network_alpha " + std::to_string(preset.network_alpha) + " \\\n";
  sh += "  --max_train_epochs " + std::to_string(preset.max_train_epochs) + " --learning_rate " + preset.learning_rate +
        " --train_batch_size " + std::to_string(preset.train_batch_size) + " --gradient_accumulation_steps " +
        std::to_string(preset.gradient_accumulation_steps) + " \\\n";
  sh += "  --resolution " + size + "," + size + " --mixed_precision " + preset.mixed_precision + " \\\n";
  sh += "  --optimizer_type " + preset.optimizer_type + " --lr_scheduler " + preset.lr_scheduler + " \\\n";
  if (preset.clip_skip > 0) sh += "  --clip_skip " + std::to_string(preset.clip_skip) + " \\\n";
  for (auto& a : preset.extra_args) sh += "  " + a + " \\\n";
  sh += "  --cache_latents --sample_prompts " + sh_quote((out / "sample_prompts.txt").string()) +
        " --sample_every_n_epochs 1 \\\n";
  sh += "  --save_every_n_epochs 1 --seed 42 --gradient_checkpointing --sdpa \"$@\"\n";
  TM_RETURN_IF_ERROR(write_file_atomic(out / "train.sh", sh));
  fs::permissions(out / "train.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  return r;
}

}  // namespace tagmetry
