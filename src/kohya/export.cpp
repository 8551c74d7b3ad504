// kohya LoRA project export (folder layout N_trigger class, dataset_config.toml, metadata.json,
// train.sh, sample prompts, the A1111 line). Config keys follow sd-scripts library/config_util.py.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "tagmetry/caption.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/kohya_config.h"
#include "tagmetry/kohya_export.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

const OptionSet<KohyaExportParams>& kohya_export_options() {
  static const OptionSet<KohyaExportParams> set = [] {
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
    return s;
  }();
  return set;
}

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

Result<KohyaExportResult> kohya_export(const fs::path& dataset_dir, const fs::path& out_arg,
                                       const KohyaExportParams& p) {
  TM_RETURN_IF_ERROR(kohya_check_names(p));
  TM_ASSIGN_OR_RETURN(KohyaPreset preset, kohya_preset(p.preset));
  ScanOptions scan;
  scan.caption_extension = p.caption_extension;
  TM_ASSIGN_OR_RETURN(Dataset ds, scan_dataset(dataset_dir, scan));
  std::vector<DatasetItem> items;
  for (auto& it : ds.items)
    if (kohya_is_image(it.image)) items.push_back(it);
  if (items.empty()) return not_found(dataset_dir.string() + ": no images kohya can load");
  std::vector<DatasetItem> reg_items;
  if (!p.reg_dir.empty()) {
    TM_ASSIGN_OR_RETURN(Dataset reg, scan_dataset(p.reg_dir, scan));
    for (auto& it : reg.items)
      if (kohya_is_image(it.image)) reg_items.push_back(it);
    if (reg_items.empty()) return not_found(p.reg_dir + ": no regularisation images");
  }
  std::error_code ec;
  fs::path out = fs::absolute(out_arg, ec).lexically_normal();
  if (fs::exists(out, ec) && !fs::is_empty(out, ec) && !p.force)
    return already_exists(out.string() + ": output folder is not empty (use --force)");

  KohyaExportResult r;
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
  size_t not_first = 0;
  for (auto& it : items) {
    fs::path dst = img_dir / it.image.filename();
    if (Status s = link_or_copy(it.image, dst, r); !s.ok()) {
      r.warnings.push_back(s.message());
      continue;
    }
    ++r.images;
    if (!it.has_caption) {
      r.warnings.push_back(it.relpath + ": no " + p.caption_extension + " caption (kohya trains it with '" +
                           class_tokens + "')");
      continue;
    }
    auto cap = read_caption(it.caption);
    if (!cap.ok()) {
      r.warnings.push_back(cap.status().message());
      continue;
    }
    fs::path cap_dst = dst;
    cap_dst.replace_extension(p.caption_extension);
    if (Status s = link_or_copy(it.caption, cap_dst, r); !s.ok()) {
      r.warnings.push_back(s.message());
      continue;
    }
    ++r.captions;
    auto tags = cap->tags();
    if (tags.empty() || tags[0] != p.trigger) ++not_first;
    for (auto& t : tags)
      if (t != p.trigger && t != p.class_token) tag_counts[t]++;
    nlohmann::ordered_json md;
    md["tags"] = cap->lines.empty() ? "" : cap->lines[0];
    if (cap->lines.size() > 1) md["caption"] = cap->lines[1];
    metadata[dst.string()] = md;
  }
  const bool keep_trigger = not_first == 0 && r.captions > 0;
  if (not_first > 0)
    r.warnings.push_back(std::to_string(not_first) + " caption(s) do not start with the trigger '" + p.trigger +
                         "': keep_tokens is 0, so shuffling may move it (put it first with tagmetry edit/policy)");

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
  toml += "shuffle_caption = true\n";
  toml += "keep_tokens = " + std::string(keep_trigger ? "1" : "0") + "\n";
  toml += "caption_extension = " + toml_quote(p.caption_extension) + "\n\n";
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
  std::vector<std::string> prompt_tags = {p.trigger};
  if (!p.class_token.empty()) prompt_tags.push_back(p.class_token);
  for (size_t i = 0; i < top.size() && i < 8; ++i) prompt_tags.push_back(top[i].first);
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
        " --sample_every_n_epochs 1 \"$@\"\n";
  TM_RETURN_IF_ERROR(write_file_atomic(out / "train.sh", sh));
  fs::permissions(out / "train.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  return r;
}

}  // namespace tagmetry
