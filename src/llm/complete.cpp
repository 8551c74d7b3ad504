#include "tagmetry/complete.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <unordered_set>

#include "kgen_complete.h"
#include "llama_runner.h"
#include "tag_sampler.h"
#include "tagmetry/dart_prompt.h"
#include "tagmetry/dart_tokenizer.h"
#include "tagmetry/data_paths.h"
#include "tagmetry/gguf_convert.h"
#include "tagmetry/kgen_prompt.h"
#include "tagmetry/model_cache.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {

const Operation<CompleteParams>& complete_operation() {
  static const Operation<CompleteParams> op{
      {"complete", "Extend a tag list with a tag language model (Dart v2, TIPO, DanTagGen), offline", "POST /api/complete",
       "complete.md"},
      [] {
    OptionSet<CompleteParams> s;
    s.group("Model")
        .add("model", &CompleteParams::model, "Completion model: registry name or Hub repo id (tagmetry models list)",
             {}, "TAGMETRY_COMPLETE_MODEL")
        .add("model-file", &CompleteParams::model_file, "A local GGUF (TIPO / DanTagGen as published; Dart: tokenizer.json beside it), or a Dart Hugging Face model folder (converted once into the cache)")
        .add("tokenizer", &CompleteParams::tokenizer, "tokenizer.json for --model-file (default: next to it)")
        .add("offline", &CompleteParams::offline, "Never download; use cached models only")
        .add("threads", &CompleteParams::threads, "CPU threads (0 = all cores)", {}, "TAGMETRY_THREADS");
    s.group("Target")
        .add("length", &CompleteParams::length, "Target length class of the whole tag list (medium: Dart only)", dart_lengths())
        .add("rating", &CompleteParams::rating, "Rating the tags should fit", dart_ratings())
        .add("aspect", &CompleteParams::aspect, "Image aspect ratio W:H (832:1216, 16:9), or a Dart aspect name")
        .add("identity", &CompleteParams::identity, "How strictly to keep a character's look (Dart SFT)", dart_identities())
        .add("copyright", &CompleteParams::copyright, "Copyright tags (comma-separated; also taken from the input)")
        .add("character", &CompleteParams::character, "Character tags (comma-separated; also taken from the input)")
        .add("ban", &CompleteParams::ban, "Tags never to add (comma-separated)")
        .add("tags-db", &CompleteParams::tags_db, "Tag database for categories and the known-tag check", {}, "TAGMETRY_TAGS_DB")
        .add("keep-unknown", &CompleteParams::keep_unknown, "Keep added tags the tag database does not know");
    s.group("Sampling")
        .add("seed", &CompleteParams::seed, "Random seed (default: random, reported); the same seed gives the same tags")
        .add("temperature", &CompleteParams::temperature, "Sampling temperature (0 = greedy; default: the model's, Dart 1, TIPO / DanTagGen 0.5)")
        .add("top-p", &CompleteParams::top_p, "Nucleus sampling: keep the most likely tokens up to this probability mass (default: Dart 1, TIPO / DanTagGen 0.95)")
        .add("top-k", &CompleteParams::top_k, "Keep the K most likely tokens (0 = off; default: Dart / DanTagGen 100, TIPO 80)")
        .add("min-p", &CompleteParams::min_p, "Drop tokens less likely than this fraction of the best one (0 = off; default: TIPO 0.1, others 0)")
        .add("repetition-penalty", &CompleteParams::repetition_penalty, "Divide the logits of tokens already seen by this (1 = off; default: TIPO 1.17, others 1)")
        .add("max-new-tokens", &CompleteParams::max_new_tokens, "Most tokens to generate per pass (default: Dart 128, TIPO 512, DanTagGen 256)");
    return s;
  }()};
  return op;
}

const OptionSet<CompleteParams>& complete_options() { return complete_operation().options; }

std::filesystem::path completion_gguf_path(const CompletionModel& model, const std::string& commit) {
  return user_cache_dir() / "llm" / repo_folder_name(model.repo) / commit / "model.gguf";
}

std::string CompleteReport::to_json() const {
  nlohmann::ordered_json j;
  j["input"] = input;
  j["added"] = added;
  j["tags"] = tags;
  j["model"] = model;
  j["seed"] = seed;
  j["tokens"] = tokens;
  j["passes"] = passes;
  j["seconds"] = std::round(seconds * 1000) / 1000;
  j["load_seconds"] = std::round(load_seconds * 1000) / 1000;
  auto d = nlohmann::ordered_json::array();
  for (auto& x : dropped) d.push_back({{"tag", x.tag}, {"reason", x.reason}});
  j["dropped"] = d;
  j["not_in_vocabulary"] = not_in_vocabulary;
  j["prompt"] = prompt;
  return j.dump();
}

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A tag as Dart's vocabulary spells it: lower case, spaces for underscores (except where the vocabulary
// has the underscore form, "^_^"), A1111 escapes removed.
std::string dart_form(std::string_view tag, const DartTokenizer& tok) {
  std::string t = to_lower_ascii(trim(tag));
  t = replace_all(replace_all(t, "\\(", "("), "\\)", ")");
  if (tok.id(t) >= 0) return t;
  return replace_all(t, "_", " ");
}

struct ModelPaths {
  std::filesystem::path gguf, tokenizer;
  std::string name;
  bool sft = true;
};

// The registry entry for --model (or one made up for an unregistered Dart v2 repo id), checked runnable.
Result<CompletionModel> pick_entry(const std::string& name) {
  Result<CompletionModel> found = find_completion_model(name);
  CompletionModel entry;
  if (found.ok()) {
    entry = *found;
  } else if (looks_like_repo_id(name)) {
    entry.name = entry.repo = name;  // an unregistered Dart v2 repo
    entry.family = "dart-v2";
    entry.sft = name.find("base") == std::string::npos;
  } else {
    return found.status();
  }
  return entry;
}

Result<ModelPaths> resolve_paths(const CompleteParams& p, const CompleteCallbacks& cb) {
  ModelPaths m;
  if (!p.model_file.empty() && std::filesystem::is_directory(p.model_file)) {
    // A Hugging Face model folder (config.json, tokenizer.json, model.safetensors): converted once into
    // the cache, keyed by the folder's path and the safetensors' size and modification time.
    const std::filesystem::path dir = std::filesystem::absolute(p.model_file);
    std::error_code ec;
    auto st = dir / "model.safetensors";
    if (!std::filesystem::is_regular_file(st, ec)) return not_found(st.string() + ": no such file (a model folder needs config.json, tokenizer.json and model.safetensors)");
    const std::string key = dir.string() + "|" + std::to_string(std::filesystem::file_size(st, ec)) + "|" +
                            std::to_string(std::filesystem::last_write_time(st, ec).time_since_epoch().count());
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(std::hash<std::string>{}(key)));
    m.gguf = user_cache_dir() / "llm" / "local" / hex / "model.gguf";
    m.tokenizer = p.tokenizer.empty() ? dir / "tokenizer.json" : std::filesystem::path(p.tokenizer);
    m.name = p.model_file;
    if (!std::filesystem::exists(m.gguf, ec)) {
      if (cb.on_status) cb.on_status("converting " + dir.string() + " to GGUF");
      std::filesystem::create_directories(m.gguf.parent_path(), ec);
      if (ec) return io_error(m.gguf.parent_path().string() + ": " + ec.message());
      TM_ASSIGN_OR_RETURN(auto conv, convert_hf_to_gguf(dir, m.gguf));
      (void)conv;
    }
    return m;
  }
  if (!p.model_file.empty()) {
    m.gguf = p.model_file;
    m.tokenizer = p.tokenizer.empty() ? m.gguf.parent_path() / "tokenizer.json" : std::filesystem::path(p.tokenizer);
    m.name = p.model_file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(m.gguf, ec)) return not_found(p.model_file + ": no such model file");
    return m;
  }
  TM_ASSIGN_OR_RETURN(CompletionModel entry, pick_entry(p.model));
  ResolveOptions ro;
  ro.offline = p.offline;
  std::string commit;
  for (const char* file : {"config.json", "tokenizer.json", "model.safetensors"}) {
    if (cb.on_status) cb.on_status(std::string("fetching ") + entry.repo + "/" + file);
    TM_ASSIGN_OR_RETURN(HubFile f, resolve_hub_file(entry.repo, entry.revision, file, ro));
    if (std::string(file) == "tokenizer.json") m.tokenizer = f.path;
    commit = f.commit;
  }
  m.gguf = completion_gguf_path(entry, commit);
  m.name = entry.name;
  m.sft = entry.sft;
  std::error_code ec;
  if (!std::filesystem::exists(m.gguf, ec)) {
    if (cb.on_status) cb.on_status("converting " + entry.repo + " to GGUF");
    std::filesystem::create_directories(m.gguf.parent_path(), ec);
    if (ec) return io_error(m.gguf.parent_path().string() + ": " + ec.message());
    TM_ASSIGN_OR_RETURN(auto conv, convert_hf_to_gguf(m.tokenizer.parent_path(), m.gguf));
    (void)conv;
  }
  return m;
}

std::vector<std::string> split_tags(std::string_view text) { return split_trimmed(text, ","); }

}  // namespace

CompletionSampling completion_sampling_defaults(const std::string& family) {
  if (family == "tipo") return {0.5, 0.95, 80, 0.1, 1.17, 512};
  if (family == "dantaggen") return {0.5, 0.95, 100, 0.0, 1.0, 256};
  return {1.0, 1.0, 100, 0.0, 1.0, 128};
}

namespace {

// The options' sampling settings over the family's defaults, checked.
Result<CompletionSampling> resolve_sampling(const CompleteParams& p, const std::string& family) {
  CompletionSampling s = completion_sampling_defaults(family);
  if (p.temperature) s.temperature = *p.temperature;
  if (p.top_p) s.top_p = *p.top_p;
  if (p.top_k) s.top_k = *p.top_k;
  if (p.min_p) s.min_p = *p.min_p;
  if (p.repetition_penalty) s.repetition_penalty = *p.repetition_penalty;
  if (p.max_new_tokens) s.max_new_tokens = *p.max_new_tokens;
  if (s.max_new_tokens <= 0) return invalid_argument("--max-new-tokens must be positive");
  if (s.temperature < 0 || s.top_p <= 0 || s.top_p > 1 || s.min_p < 0 || s.min_p > 1 || s.top_k < 0 ||
      s.repetition_penalty <= 0)
    return invalid_argument(
        "sampling settings out of range (temperature >= 0, 0 < top-p <= 1, 0 <= min-p <= 1, top-k >= 0, "
        "repetition-penalty > 0)");
  return s;
}

// The family a --model-file GGUF belongs to: a vocabulary with TIPO's or DanTagGen's added tokens says
// which; a vocabulary-less GGUF is a converted Dart model; otherwise --model names it.
Result<std::string> model_file_family(const CompleteParams& p) {
  auto named = find_completion_model(p.model);
  const std::string named_family = named.ok() ? named->family : "dart-v2";
  std::error_code ec;
  if (std::filesystem::is_directory(p.model_file, ec)) return std::string("dart-v2");
  const GgufVocabInfo info = read_gguf_vocab_info(p.model_file);
  if (!info.readable) return named_family;  // the load names the problem
  const bool has_vocab = !info.tokenizer_model.empty() && info.tokenizer_model != "none";
  if (!has_vocab) {
    if (named_family != "dart-v2")
      return corrupt(p.model_file + ": the GGUF has no vocabulary (tokenizer.ggml.model = none); " + named_family +
                     " runs its published GGUF, which has one");
    return std::string("dart-v2");
  }
  if (info.tipo_tokens) return std::string("tipo");
  if (info.dtg_tokens) return std::string("dantaggen");
  if (named_family != "dart-v2") return named_family;
  return corrupt(p.model_file + ": a GGUF with a " + info.tokenizer_model +
                 " vocabulary but without TIPO's (<|gen_meta|>) or DanTagGen's (<|input_end|>) tokens; "
                 "Dart v2 GGUFs are converted by Tagmetry (--model-file FOLDER) and have none");
}

// The local GGUF of a TIPO / DanTagGen model: --model-file, or the registry entry's published file from
// the Hub (cached like the taggers').
Result<std::filesystem::path> kgen_gguf(const CompleteParams& p, const CompleteCallbacks& cb, std::string& name) {
  if (!p.model_file.empty()) {
    name = p.model_file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p.model_file, ec)) return not_found(p.model_file + ": no such model file");
    return std::filesystem::path(p.model_file);
  }
  TM_ASSIGN_OR_RETURN(CompletionModel entry, pick_entry(p.model));
  if (entry.gguf_file.empty())
    return not_found(entry.name + ": no published GGUF is known for this model (use --model-file X.gguf)");
  ResolveOptions ro;
  ro.offline = p.offline;
  if (cb.on_status) cb.on_status("fetching " + entry.repo + "/" + entry.gguf_file);
  TM_ASSIGN_OR_RETURN(HubFile f, resolve_hub_file(entry.repo, entry.revision, entry.gguf_file, ro));
  name = entry.name;
  return f.path;
}

// The tag database: categories for the prompt and the known-tag check. The shipped list is optional (a
// build without data still completes); a named --tags-db must load.
Result<std::optional<TagDatabase>> load_tag_database(const CompleteParams& p) {
  auto loaded = p.tags_db.empty() ? TagDatabase::load_default() : TagDatabase::load(p.tags_db);
  if (loaded.ok()) return std::optional<TagDatabase>(std::move(loaded).value());
  if (!p.tags_db.empty()) return loaded.status();
  return std::optional<TagDatabase>();
}

Result<CompleteReport> complete_dart(CompleteReport r, const CompleteParams& p, const CompletionSampling& sampling,
                                     const CompleteCallbacks& cb);

}  // namespace

Result<CompleteReport> complete_tags(const std::vector<std::string>& input_raw, const CompleteParams& params,
                                     const CompleteCallbacks& cb) {
  CompleteParams p = params;
  if (std::error_code ec; p.model_file.empty() && std::filesystem::exists(p.model, ec)) {
    p.model_file = p.model;  // TAGMETRY_COMPLETE_MODEL=/path/model.gguf
    p.model = CompleteParams().model;
  }
  TM_RETURN_IF_ERROR(check_dart_rating(p.rating));
  TM_RETURN_IF_ERROR(check_dart_length(p.length));
  TM_RETURN_IF_ERROR(check_dart_identity(p.identity));
  TM_RETURN_IF_ERROR(resolve_sampling(p, "dart-v2").status());

  CompleteReport r;
  for (auto& piece : input_raw)
    for (auto& t : split_tags(piece)) r.input.push_back(t);
  if (r.input.empty()) return invalid_argument("no tags given (tagmetry complete \"1girl, blue hair\")");

  std::string family;
  if (p.model_file.empty()) {
    TM_ASSIGN_OR_RETURN(CompletionModel entry, pick_entry(p.model));
    family = entry.family;
  }
  std::string unavailable = llama_unavailable_reason();
  if (!unavailable.empty()) return unsupported(unavailable);
  if (!p.model_file.empty()) {
    TM_ASSIGN_OR_RETURN(family, model_file_family(p));
  }
  TM_ASSIGN_OR_RETURN(CompletionSampling sampling, resolve_sampling(p, family));
  if (family == "dart-v2") return complete_dart(std::move(r), p, sampling, cb);

  TM_RETURN_IF_ERROR(check_kgen_length(p.length));
  TM_ASSIGN_OR_RETURN(double aspect, parse_aspect_value(p.aspect));
  TM_ASSIGN_OR_RETURN(std::filesystem::path gguf, kgen_gguf(p, cb, r.model));
  TM_ASSIGN_OR_RETURN(std::optional<TagDatabase> db, load_tag_database(p));
  KgenRequest req{family, gguf, aspect, sampling, db ? &*db : nullptr};
  TM_RETURN_IF_ERROR(complete_with_kgen(req, p, r));
  return r;
}

namespace {

Result<CompleteReport> complete_dart(CompleteReport r, const CompleteParams& p, const CompletionSampling& sampling,
                                     const CompleteCallbacks& cb) {
  TM_ASSIGN_OR_RETURN(std::string aspect, parse_dart_aspect(p.aspect));
  TM_ASSIGN_OR_RETURN(ModelPaths paths, resolve_paths(p, cb));
  r.model = paths.name;
  TM_ASSIGN_OR_RETURN(DartTokenizer tok, DartTokenizer::load(paths.tokenizer));

  TM_ASSIGN_OR_RETURN(std::optional<TagDatabase> db, load_tag_database(p));

  DartPromptParts parts;
  parts.rating = p.rating;
  parts.aspect = aspect;
  parts.length = p.length;
  parts.identity = p.identity;
  parts.sft = paths.sft;
  std::unordered_set<std::string> seen;  // normalize_tag_name keys of the tags kept so far
  // --copyright / --character tags go into their sections; the model should not add them again.
  std::unordered_set<std::string> section_keys;
  for (auto& t : split_tags(p.copyright)) {
    parts.copyrights.push_back(dart_form(t, tok));
    section_keys.insert(normalize_tag_name(t));
  }
  for (auto& t : split_tags(p.character)) {
    parts.characters.push_back(dart_form(t, tok));
    section_keys.insert(normalize_tag_name(t));
  }
  for (auto& t : r.input) {
    if (!seen.insert(normalize_tag_name(t)).second) continue;
    std::string d = dart_form(t, tok);
    if (tok.id(d) < 0) r.not_in_vocabulary.push_back(t);
    const TagInfo* info = db ? db->find(t) : nullptr;
    if (info && info->category == TagCategory::kCopyright)
      parts.copyrights.push_back(d);
    else if (info && info->category == TagCategory::kCharacter)
      parts.characters.push_back(d);
    else
      parts.general.push_back(d);
  }
  r.prompt = dart_prompt(parts);
  const std::vector<int32_t> prompt_ids = tok.encode(r.prompt);

  std::unordered_set<std::string> banned_keys;
  for (auto& t : split_tags(p.ban)) banned_keys.insert(normalize_tag_name(t));

  const auto t_load = Clock::now();
  TM_ASSIGN_OR_RETURN(auto runner, LlamaRunner::load(paths.gguf, 0, p.threads));
  r.load_seconds = since(t_load);
  const int32_t n_vocab = runner->n_vocab();
  if (static_cast<size_t>(n_vocab) < tok.size())
    return corrupt(paths.gguf.string() + ": the model has " + std::to_string(n_vocab) + " token ids but " +
                   paths.tokenizer.string() + " has " + std::to_string(tok.size()) + " (a different model's tokenizer?)");

  // Banned ids: --ban tags, the input's own tags and --copyright/--character (they are kept anyway; the
  // model should add new ones).
  const size_t input_unique = seen.size();  // the output list starts with these
  for (auto& k : section_keys) seen.insert(k);
  std::vector<bool> banned(n_vocab, false);
  for (int32_t id = 0; id < static_cast<int32_t>(tok.size()); ++id) {
    if (tok.is_special(id)) continue;
    const std::string key = normalize_tag_name(tok.token(id));
    if (banned_keys.count(key) || seen.count(key)) banned[id] = true;
  }
  const int32_t stop_general = tok.id("</general>"), stop_eos = tok.id("<|eos|>");

  r.seed = p.seed ? *p.seed : static_cast<int64_t>(std::random_device{}() & 0x7fffffff);
  std::mt19937_64 rng(static_cast<uint64_t>(r.seed));
  SamplingSettings ss{sampling.temperature, sampling.top_k, sampling.top_p, sampling.min_p, sampling.repetition_penalty};
  const size_t cap = std::max<size_t>(dart_length_cap(p.length), input_unique);

  const auto t_gen = Clock::now();
  TM_ASSIGN_OR_RETURN(const float* logits, runner->start(prompt_ids));
  std::vector<int32_t> generated;
  size_t kept = input_unique;
  while (static_cast<int>(generated.size()) < sampling.max_new_tokens && kept < cap) {
    int32_t id = sample_token(logits, n_vocab, banned, ss, rng);
    if (id < 0 || id == stop_general || id == stop_eos) break;
    generated.push_back(id);
    if (!tok.is_special(id) && !tok.token(id).empty()) {
      const std::string& tag = tok.token(id);
      const std::string key = normalize_tag_name(tag);
      if (!seen.insert(key).second) {
        r.dropped.push_back({tag, "duplicate"});
      } else if (banned_keys.count(key)) {
        r.dropped.push_back({tag, "banned"});
      } else if (db && !p.keep_unknown && !db->find(tag)) {
        r.dropped.push_back({tag, "unknown tag"});
      } else {
        r.added.push_back(tag);
        ++kept;
      }
    }
    if (static_cast<int>(generated.size()) >= sampling.max_new_tokens || kept >= cap) break;
    if (runner->n_ctx() <= static_cast<int>(prompt_ids.size() + generated.size())) break;
    TM_ASSIGN_OR_RETURN(logits, runner->next(id));
  }
  r.tokens = static_cast<int>(generated.size());
  r.seconds = since(t_gen);
  std::unordered_set<std::string> in_tags;
  for (auto& t : r.input)
    if (in_tags.insert(normalize_tag_name(t)).second) r.tags.push_back(t);
  r.tags.insert(r.tags.end(), r.added.begin(), r.added.end());
  return r;
}

}  // namespace

}  // namespace tagmetry
