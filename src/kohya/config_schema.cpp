// sd-scripts' dataset_config schema (library/config_util.py ConfigSanitizer, sd-scripts 48d368f,
// 2026-02) as train_network.py builds it: ConfigSanitizer(True, True, args.masked_loss, True).
// voluptuous' type checks are isinstance checks: `int` accepts true/false too, `float` rejects 1.
#include <toml.hpp>

#include <algorithm>
#include <sstream>

#include "tagmetry/files.h"
#include "tagmetry/kohya_preflight.h"
#include "tagmetry/strings.h"

namespace tagmetry {

namespace {

enum class T { kBool, kInt, kFloat, kNumber, kStr, kDict, kFloatPair, kIntOrPair };
using Schema = std::vector<std::pair<std::string, T>>;

const Schema kSubsetAscendable = {
    {"color_aug", T::kBool},          {"face_crop_aug_range", T::kFloatPair}, {"flip_aug", T::kBool},
    {"num_repeats", T::kInt},         {"random_crop", T::kBool},              {"shuffle_caption", T::kBool},
    {"keep_tokens", T::kInt},         {"keep_tokens_separator", T::kStr},     {"secondary_separator", T::kStr},
    {"caption_separator", T::kStr},   {"enable_wildcard", T::kBool},          {"token_warmup_min", T::kInt},
    {"token_warmup_step", T::kNumber}, {"caption_prefix", T::kStr},           {"caption_suffix", T::kStr},
    {"custom_attributes", T::kDict},  {"resize_interpolation", T::kStr}};
const Schema kDropout = {{"caption_dropout_every_n_epochs", T::kInt},
                         {"caption_dropout_rate", T::kNumber},
                         {"caption_tag_dropout_rate", T::kNumber}};
const Schema kDbAscendable = {{"caption_extension", T::kStr}, {"class_tokens", T::kStr}, {"cache_info", T::kBool}};
const Schema kDbDistinct = {{"image_dir", T::kStr}, {"is_reg", T::kBool}, {"alpha_mask", T::kBool}};
const Schema kFtDistinct = {{"metadata_file", T::kStr}, {"image_dir", T::kStr}, {"alpha_mask", T::kBool}};
const Schema kCnAscendable = {{"caption_extension", T::kStr}, {"cache_info", T::kBool}};
const Schema kCnDistinct = {{"image_dir", T::kStr}, {"conditioning_data_dir", T::kStr}};
const Schema kDatasetAscendable = {
    {"batch_size", T::kInt},      {"bucket_no_upscale", T::kBool}, {"bucket_reso_steps", T::kInt},
    {"enable_bucket", T::kBool},  {"max_bucket_reso", T::kInt},    {"min_bucket_reso", T::kInt},
    {"validation_seed", T::kInt}, {"validation_split", T::kFloat}, {"resolution", T::kIntOrPair},
    {"network_multiplier", T::kFloat}, {"resize_interpolation", T::kStr}};

Schema merge(std::initializer_list<const Schema*> parts) {
  Schema out;
  for (auto* p : parts)
    for (auto& kv : *p) {
      auto it = std::find_if(out.begin(), out.end(), [&](auto& o) { return o.first == kv.first; });
      if (it == out.end()) out.push_back(kv);
      else it->second = kv.second;
    }
  return out;
}

const char* type_name(T t) {
  switch (t) {
    case T::kBool: return "true or false";
    case T::kInt: return "an integer";
    case T::kFloat: return "a float (write 1.0, not 1)";
    case T::kNumber: return "a number";
    case T::kStr: return "a string";
    case T::kDict: return "a table";
    case T::kFloatPair: return "two floats [a, b]";
    default: return "an integer or [width, height]";
  }
}

bool type_ok(const toml::value& v, T t) {
  switch (t) {
    case T::kBool: return v.is_boolean();
    case T::kInt: return v.is_integer() || v.is_boolean();  // isinstance(True, int)
    case T::kFloat: return v.is_floating();
    case T::kNumber: return v.is_floating() || v.is_integer() || v.is_boolean();
    case T::kStr: return v.is_string();
    case T::kDict: return v.is_table();
    case T::kFloatPair:
      return v.is_array() && v.as_array().size() == 2 && v.as_array()[0].is_floating() && v.as_array()[1].is_floating();
    default:
      if (v.is_integer() || v.is_boolean()) return true;
      return v.is_array() && v.as_array().size() == 2 &&
             std::all_of(v.as_array().begin(), v.as_array().end(), [](auto& e) { return e.is_integer() || e.is_boolean(); });
  }
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Where else the key would be accepted, or the closest accepted key.
std::string key_fix(const std::string& key, const Schema& here, const std::vector<std::pair<std::string, const Schema*>>& other) {
  for (auto& [where, schema] : other)
    for (auto& kv : *schema)
      if (kv.first == key) return "move '" + key + "' to " + where;
  std::string best;
  size_t best_d = 4;
  for (auto& kv : here) {
    size_t d = edit_distance(key, kv.first);
    if (d < best_d) best = kv.first, best_d = d;
  }
  if (!best.empty()) return "did you mean '" + best + "'?";
  return "remove '" + key + "' (kohya aborts on keys it does not know)";
}

void check_table(const toml::value& t, const Schema& schema, const std::string& where,
                 const std::vector<std::pair<std::string, const Schema*>>& other, const std::vector<std::string>& required,
                 std::vector<KohyaSchemaProblem>& out, const std::string& skip = "") {
  std::vector<std::string> names;  // toml11 tables are unordered: report in key order
  for (auto& kv : t.as_table()) names.push_back(kv.first);
  std::sort(names.begin(), names.end());
  for (auto& key : names) {
    const toml::value& v = t.at(key);
    if (key == skip) continue;
    auto it = std::find_if(schema.begin(), schema.end(), [&](auto& kv) { return kv.first == key; });
    if (it == schema.end()) {
      out.push_back({where, key, "extra keys not allowed", key_fix(key, schema, other)});
    } else if (!type_ok(v, it->second)) {
      out.push_back({where, key, std::string("expected ") + type_name(it->second), "write " + key + " as " + type_name(it->second)});
    }
  }
  for (auto& r : required)
    if (!t.contains(r)) out.push_back({where, r, "required key not provided", "add " + r + " = \"…\""});
}

}  // namespace

Result<std::vector<KohyaSchemaProblem>> kohya_check_config_schema(const std::filesystem::path& toml_path, bool controlnet) {
  TM_ASSIGN_OR_RETURN(std::string text, read_file(toml_path));
  toml::value root;
  try {
    std::istringstream in(text);
    root = toml::parse(in, toml_path.string());
  } catch (const std::exception& e) {
    return corrupt(toml_path.string() + ": " + std::string(trim(e.what())));
  }
  const Schema db_subset = merge({&kSubsetAscendable, &kDbDistinct, &kDbAscendable, &kDropout});
  const Schema ft_subset = merge({&kSubsetAscendable, &kFtDistinct, &kDropout});
  const Schema cn_subset = merge({&kSubsetAscendable, &kCnDistinct, &kCnAscendable, &kDropout});
  const Schema db_dataset = merge({&kDatasetAscendable, &kSubsetAscendable, &kDbAscendable, &kDropout});
  const Schema ft_dataset = merge({&kDatasetAscendable, &kSubsetAscendable, &kDropout});
  const Schema cn_dataset = merge({&kDatasetAscendable, &kSubsetAscendable, &kCnAscendable, &kDropout});
  const Schema general = controlnet ? merge({&kDatasetAscendable, &kSubsetAscendable, &kDbAscendable, &kCnAscendable, &kDropout})
                                    : merge({&kDatasetAscendable, &kSubsetAscendable, &kDbAscendable, &kDropout});
  std::vector<KohyaSchemaProblem> out;
  std::vector<std::string> top;
  for (auto& kv : root.as_table()) top.push_back(kv.first);
  std::sort(top.begin(), top.end());
  for (auto& key : top) {
    const toml::value& v = root.at(key);
    if (key == "general") {
      if (!v.is_table()) out.push_back({"top level", key, "expected a table", "write [general]"});
      else check_table(v, general, "[general]", {{"[[datasets.subsets]]", &db_subset}}, {}, out);
    } else if (key != "datasets") {
      out.push_back({"top level", key, "extra keys not allowed",
                     "only [general] and [[datasets]] may stand at the top; put '" + key + "' under one of them"});
    }
  }
  if (!root.contains("datasets")) return out;
  const toml::value& datasets = root.at("datasets");
  if (!datasets.is_array()) {
    out.push_back({"top level", "datasets", "expected a list", "write [[datasets]]"});
    return out;
  }
  size_t di = 0;
  for (auto& d : datasets.as_array()) {
    const std::string where = "[[datasets]] #" + std::to_string(++di);
    if (!d.is_table()) continue;
    std::vector<const toml::value*> subsets;
    if (d.contains("subsets") && d.at("subsets").is_array())
      for (auto& s : d.at("subsets").as_array())
        if (s.is_table()) subsets.push_back(&s);
    auto all = [&](const char* k) { return std::all_of(subsets.begin(), subsets.end(), [&](auto* s) { return s->contains(k); }); };
    auto none = [&](const char* k) { return std::none_of(subsets.begin(), subsets.end(), [&](auto* s) { return s->contains(k); }); };
    const Schema* ds_schema = &db_dataset;
    const Schema* sub_schema = &db_subset;
    std::vector<std::string> required = {"image_dir"};
    std::string kind = "DreamBooth";
    if (controlnet && all("conditioning_data_dir")) {
      ds_schema = &cn_dataset, sub_schema = &cn_subset, required = {"image_dir", "conditioning_data_dir"}, kind = "ControlNet";
    } else if (all("metadata_file")) {
      ds_schema = &ft_dataset, sub_schema = &ft_subset, required = {"metadata_file"}, kind = "fine-tuning";
    } else if (!none("metadata_file")) {
      out.push_back({where, "metadata_file",
                     "DreamBooth subset and fine tuning subset cannot be mixed in the same dataset",
                     "split the subsets with metadata_file into a [[datasets]] of their own"});
      continue;
    }
    check_table(d, *ds_schema, where + " (" + kind + ")", {{"[[datasets.subsets]]", sub_schema}}, {}, out, "subsets");
    if (d.contains("subsets") && !d.at("subsets").is_array())
      out.push_back({where, "subsets", "expected a list", "write [[datasets.subsets]]"});
    size_t si = 0;
    for (auto* s : subsets)
      check_table(*s, *sub_schema, where + " subset #" + std::to_string(++si) + " (" + kind + ")",
                  {{"[[datasets]]", ds_schema}, {"[general]", &general}}, required, out);
  }
  return out;
}

}  // namespace tagmetry
