// tagmetry models list|pull|info: the model registry, the Hugging Face cache, and what a model file says
// about itself.
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/complete.h"
#include "tagmetry/quantize.h"
#include "tagmetry/files.h"
#include "tagmetry/model_cache.h"
#include "tagmetry/model_inspection.h"
#include "tagmetry/model_registry.h"
#include "tagmetry/strings.h"

namespace tagmetry::cli {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::atomic<bool> g_cancel{false};
void on_sigint(int) {
  if (g_cancel.exchange(true)) std::_Exit(130);
}

std::string mb(uint64_t bytes) {
  char buf[32];
  if (bytes >= 1000ull * 1000 * 1000) std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
  else if (bytes >= 1000ull * 1000) std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  else std::snprintf(buf, sizeof buf, "%.1f kB", bytes / 1e3);
  return buf;
}

// Approximate sizes: "~379 MB", "~1.26 GB".
std::string approx(uint64_t bytes) {
  char buf[32];
  if (bytes >= 1000ull * 1000 * 1000) std::snprintf(buf, sizeof buf, "~%.2f GB", bytes / 1e9);
  else std::snprintf(buf, sizeof buf, "~%.0f MB", bytes / 1e6);
  return buf;
}

// "model.onnx  123.4 MB/379.0 MB  12.3 MB/s  ETA 21s" on stderr, at most 8 times a second.
class ByteProgress {
 public:
  explicit ByteProgress(bool enabled) : enabled_(enabled) {}
  ~ByteProgress() { finish(); }
  bool update(const DownloadProgress& p) {
    if (!enabled_) return !g_cancel.load();
    auto now = std::chrono::steady_clock::now();
    if (p.file != file_) {
      file_ = p.file;
      start_ = now;
      start_bytes_ = p.done;
    }
    if (now - last_ < std::chrono::milliseconds(125) && p.done != p.total) return !g_cancel.load();
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? static_cast<double>(p.done - start_bytes_) / secs : 0;
    std::string line = "\r" + p.file + "  " + mb(p.done);
    if (p.total > 0) line += "/" + mb(p.total);
    line += "  " + mb(static_cast<uint64_t>(rate)) + "/s";
    if (p.total > 0 && rate > 0) line += "  ETA " + format_duration(static_cast<double>(p.total - p.done) / rate);
    std::fputs((line + "\x1b[K").c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
    return !g_cancel.load();
  }
  void finish() {
    if (drawn_) std::fputs("\r\x1b[K", stderr);
    drawn_ = false;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  std::string file_;
  uint64_t start_bytes_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

json entry_json(const ModelEntry& e) {
  return {{"name", e.name},
          {"repo", e.repo},
          {"revision", e.revision},
          {"type", model_type_name(e.type)},
          {"family", e.family},
          {"model_file", e.model_file},
          {"labels_file", e.labels_file},
          {"general_threshold", e.general_threshold},
          {"character_threshold", e.character_threshold},
          {"threshold_source", e.threshold_source},
          {"description", e.description},
          {"approx_bytes", e.approx_bytes},
          {"default", e.is_default},
          {"registered", e.registered}};
}

int run_list(const ModelsParams& p) {
  HubConfig hub = HubConfig::from_environment();
  json models = json::array();
  for (auto& e : model_registry()) {
    json j = entry_json(e);
    auto cached = find_cached_model(e, hub);
    j["cached"] = cached.ok();
    if (cached.ok()) j["files"] = {{"model", cached->model.string()}, {"labels", cached->labels.string()}};
    models.push_back(j);
  }
  // The completion models of `tagmetry complete` (docs/complete.md), with their licences.
  json completion = json::array();
  for (auto& m : completion_models())
    completion.push_back({{"name", m.name}, {"repo", m.repo}, {"family", m.family}, {"architecture", m.architecture},
                          {"licence", m.licence}, {"parameters", m.parameters}, {"approx_bytes", m.approx_bytes},
                          {"runnable", true}, {"default", m.is_default}});
  if (p.json) {
    std::cout << json{{"cache_dir", hub.cache_dir.string()}, {"endpoint", hub.endpoint}, {"models", models},
                      {"completion_models", completion}}.dump(2)
              << "\n";
    return kExitOk;
  }
  std::printf("%-22s %-7s %-8s %-9s %-7s %s\n", "NAME", "TYPE", "FAMILY", "SIZE", "CACHED", "REPO");
  for (auto& j : models) {
    std::string name = j["name"].get<std::string>() + (j["default"].get<bool>() ? " *" : "");
    std::printf("%-22s %-7s %-8s %-9s %-7s %s\n", name.c_str(), j["type"].get<std::string>().c_str(),
                j["family"].get<std::string>().c_str(), approx(j["approx_bytes"].get<uint64_t>()).c_str(),
                j["cached"].get<bool>() ? "yes" : "no", j["repo"].get<std::string>().c_str());
  }
  std::printf("\nCompletion models (tagmetry complete):\n%-22s %-10s %-9s %-20s %s\n", "NAME", "FAMILY", "SIZE",
              "LICENCE", "REPO");
  for (auto& j : completion) {
    std::string name = j["name"].get<std::string>() + (j["default"].get<bool>() ? " *" : "");
    std::string family = j["family"].get<std::string>() + (j["runnable"].get<bool>() ? "" : " (listed)");
    std::printf("%-22s %-10s %-9s %-20s %s\n", name.c_str(), family.c_str(),
                approx(j["approx_bytes"].get<uint64_t>()).c_str(), j["licence"].get<std::string>().c_str(),
                j["repo"].get<std::string>().c_str());
  }
  std::printf("\n* default model. Cache: %s\n", hub.cache_dir.string().c_str());
  return kExitOk;
}

Result<ModelEntry> lookup(const std::string& name, const ModelsParams& p) {
  std::optional<ModelType> type;
  if (!p.model_type.empty()) {
    TM_ASSIGN_OR_RETURN(ModelType t, parse_model_type(p.model_type));
    type = t;
  }
  return find_model(name, type);
}

int run_pull(std::vector<std::string> names, const ModelsParams& p) {
  if (names.empty()) names.push_back(default_model().name);
  ResolveOptions options;
  options.offline = p.offline;
  options.check_for_updates = true;  // pull = make the cache match what the revision points to now
  ByteProgress bar(show_progress(p.json));
  options.progress = [&](const DownloadProgress& d) { return bar.update(d); };
  std::signal(SIGINT, on_sigint);
  json results = json::array();
  int exit_code = kExitOk;
  for (auto& name : names) {
    auto entry = lookup(name, p);
    if (!entry.ok()) {
      print_error(entry.status());
      results.push_back({{"name", name}, {"error", entry.status().message()}});
      exit_code = std::max(exit_code, item_exit_code_for(entry.status()));
      continue;
    }
    auto files = resolve_model(*entry, options);
    bar.finish();
    if (!files.ok()) {
      Status s = files.status();
      if (s.code() == ErrorCode::kCancelled) s = cancelled(s.message() + "; run the same command again to resume");
      print_error(s);
      results.push_back({{"name", entry->name}, {"repo", entry->repo}, {"error", s.message()},
                         {"error_code", error_code_name(s.code())}});
      exit_code = std::max(exit_code, item_exit_code_for(s));
      if (s.code() == ErrorCode::kCancelled) break;
      continue;
    }
    if (!files->warning.empty()) print_warning(files->warning);
    json result{{"name", entry->name},
                {"repo", entry->repo},
                {"revision", entry->revision},
                {"commit", files->commit},
                {"model", files->model.string()},
                {"labels", files->labels.string()},
                {"downloaded_bytes", files->downloaded_bytes},
                {"warning", files->warning}};
    if (!p.json) {
      std::printf("%s: %s@%s (commit %s), %s\n  model:  %s\n  labels: %s\n", entry->name.c_str(),
                  entry->repo.c_str(), entry->revision.c_str(), files->commit.c_str(),
                  files->downloaded_bytes ? ("downloaded " + mb(files->downloaded_bytes)).c_str() : "already cached",
                  files->model.c_str(), files->labels.c_str());
    }
    if (p.quantize) {
      std::optional<CheckedQuantizeReport> built;
      auto int8 = quantized_model_path(files->model, /*create=*/true, {}, &built);
      if (!int8.ok()) {
        print_error(int8.status());
        result["int8_error"] = int8.status().message();
        exit_code = std::max(exit_code, item_exit_code_for(int8.status()));
      } else {
        const std::string what = built ? describe(*built, *int8) : "already built";
        result["int8_model"] = int8->string();
        if (built) result["int8"] = what;
        if (!p.json) std::printf("  int8:   %s (%s)\n", int8->c_str(), what.c_str());
      }
    }
    results.push_back(std::move(result));
  }
  if (p.json) std::cout << json{{"models", results}}.dump(2) << "\n";
  return exit_code;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::vector<std::string> parts;
  for (int64_t d : shape) parts.push_back(d < 0 ? "?" : std::to_string(d));
  return "[" + join(parts, ", ") + "]";
}

void print_inspection(const json& j, const fs::path& model, const std::string& type) {
  const json& r = j["read"];
  std::printf("\nRead from %s:\n", model.filename().c_str());
  if (r.contains("input"))
    std::printf("  input          %s %s %s: %s, side %lld\n", r["input"]["name"].get<std::string>().c_str(),
                r["input"]["element_type"].get<std::string>().c_str(),
                shape_text(r["input"]["shape"].get<std::vector<int64_t>>()).c_str(),
                r["input"]["layout"].get<std::string>().c_str(),
                static_cast<long long>(r["input"]["side"].get<int64_t>()));
  if (r.contains("output"))
    std::printf("  output         %s %s, %lld scores\n", r["output"]["name"].get<std::string>().c_str(),
                shape_text(r["output"]["shape"].get<std::vector<int64_t>>()).c_str(),
                static_cast<long long>(r["output"]["size"].get<int64_t>()));
  if (r.contains("output_kind"))
    std::printf("  output kind    %s (%s)\n", r["output_kind"].get<std::string>().c_str(),
                r["output_kind_from"].get<std::string>().c_str());
  if (r.contains("output_kind"))
    std::printf("  output kind    %s (%s)\n", r["output_kind"].get<std::string>().c_str(),
                r["output_kind_from"].get<std::string>().c_str());
  if (r.contains("labels")) std::printf("  labels         %zu\n", r["labels"].get<size_t>());
  std::printf("Assumed from the %s spec (cannot be read from the model):\n", type.c_str());
  for (auto& [k, v] : j["assumed"].items()) std::printf("  %-14s %s\n", k.c_str(), v.get<std::string>().c_str());
  std::fflush(stdout);
  for (auto& p : j["problems"]) print_error(p.get<std::string>());
}

int run_info(const std::string& name, const ModelsParams& p) {
  json out;
  fs::path model, labels;
  ModelType type = ModelType::kWd;
  std::error_code ec;
  if (fs::is_directory(name, ec)) {
    fs::path dir = name;
    model = dir / "model.onnx";
    bool wd_labels = fs::exists(dir / "selected_tags.csv"), joy_labels = fs::exists(dir / "top_tags.txt");
    if (!p.model_type.empty()) type = *parse_model_type(p.model_type);
    else if (joy_labels && !wd_labels) type = ModelType::kJoyTag;
    labels = dir / (type == ModelType::kJoyTag ? "top_tags.txt" : "selected_tags.csv");
    for (const fs::path& f : {model, labels}) {
      if (!fs::is_regular_file(f)) {
        print_error(f.string() + ": missing (a model folder holds model.onnx with selected_tags.csv or top_tags.txt)");
        return kExitUsage;
      }
    }
    out["source"] = "folder";
    out["type"] = model_type_name(type);
    if (!p.json) std::printf("Folder %s (%s layout%s)\n", dir.c_str(), model_type_name(type),
                             p.model_type.empty() ? ", detected from the labels file" : "");
  } else {
    auto entry = lookup(name, p);
    if (!entry.ok()) {
      print_error(entry.status());
      return exit_code_for(entry.status());
    }
    type = entry->type;
    out["source"] = "registry";
    out["entry"] = entry_json(*entry);
    auto cached = find_cached_model(*entry, HubConfig::from_environment());
    out["cached"] = cached.ok();
    if (cached.ok()) model = cached->model, labels = cached->labels;
    if (!p.json) {
      std::printf("%s%s\n  repo        %s@%s\n  type        %s (%s)\n  files       %s, %s\n", entry->name.c_str(),
                  entry->is_default ? " (default)" : "", entry->repo.c_str(), entry->revision.c_str(),
                  model_type_name(entry->type), entry->family.c_str(), entry->model_file.c_str(),
                  entry->labels_file.c_str());
      std::printf("  thresholds  general %g, character %g (%s)\n  size        %s\n  about       %s\n",
                  entry->general_threshold, entry->character_threshold, entry->threshold_source.c_str(),
                  approx(entry->approx_bytes).c_str(), entry->description.c_str());
      if (cached.ok()) std::printf("  cached      %s\n", cached->model.parent_path().c_str());
      else std::printf("  cached      no (run `tagmetry models pull %s` to download it)\n", entry->name.c_str());
    }
  }
  if (!model.empty()) {
    out["files"] = {{"model", model.string()}, {"labels", labels.string()}};
    json inspection = json::parse(inspect_tagger_model(model, labels, type).to_json());
    out.update(inspection);
    if (!p.json) print_inspection(inspection, model, model_type_name(type));
  }
  if (p.json) std::cout << out.dump(2) << "\n";
  // A model whose files do not fit together (or cannot be read) is a model error for scripts, too.
  return out.contains("problems") && !out["problems"].empty() ? kExitUsage : kExitOk;
}

RunFunction setup_models(CLI::App& sub) {
  sub.require_subcommand(1);
  CLI::App* list = sub.add_subcommand("list");
  CLI::App* pull = sub.add_subcommand("pull");
  CLI::App* info = sub.add_subcommand("info");
  auto bound_list = std::make_shared<BoundOptions<ModelsParams>>(*list, models_list_operation());
  auto bound_pull = std::make_shared<BoundOptions<ModelsParams>>(*pull, models_pull_operation());
  auto bound_info = std::make_shared<BoundOptions<ModelsParams>>(*info, models_info_operation());
  return [=]() {
    ModelsParams p;
    const BoundOptions<ModelsParams>& bound = list->parsed() ? *bound_list : pull->parsed() ? *bound_pull : *bound_info;
    if (Status s = bound.apply(p); !s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    if (list->parsed()) return run_list(p);
    if (pull->parsed()) return run_pull(p.names, p);
    return run_info(p.name, p);
  };
}

}  // namespace

TAGMETRY_COMMAND("models", "List, download and inspect tagger models (Hugging Face cache)", 20, setup_models);

}  // namespace tagmetry::cli
