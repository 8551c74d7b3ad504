#pragma once
// `tagmetry complete`: extends a short tag list with a small language model trained on Danbooru tags,
// offline, on llama.cpp (CPU). The model keeps the user's tags and adds tags that co-occur with them
// (composition, clothing, background, details) up to a target length, for a rating and aspect ratio.
//
// Dart v2 (p1atdev/dart-v2-*; Mixtral / Mistral with a word-level tokenizer, one token per tag): its
// safetensors are converted to a vocabulary-less GGUF when the model is first pulled (gguf_convert.h),
// Tagmetry tokenizes with the model's tokenizer.json (dart_tokenizer.h) and builds the prompt
// (dart_prompt.h). TIPO and DanTagGen (KBlueLeaf/*; LLaMA with a SentencePiece vocabulary): their published
// GGUF is run as is, tokenized by llama.cpp, with KGen's prompts (kgen_prompt.h). llama.cpp runs the
// network and Tagmetry samples (same seed, same tags). docs/complete.md.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tagmetry/operation.h"
#include "tagmetry/options.h"
#include "tagmetry/status.h"

namespace tagmetry {

// A completion model Tagmetry knows by name (the table lives in src/llm/completion_models.cpp).
struct CompletionModel {
  std::string name;       // "dart-v2-moe-sft"
  std::string repo;       // "p1atdev/dart-v2-moe-sft"
  std::string revision = "main";
  std::string family;     // "dart-v2", "tipo", "dantaggen"
  std::string architecture;  // "Mixtral", "Mistral", "LLaMA"
  std::string licence;    // as on the model card: "apache-2.0"
  int64_t parameters = 0; // approximate
  uint64_t approx_bytes = 0;  // download size, approximate
  bool sft = true;        // Dart: trained on the completion prompt (false: a base/pretrain model)
  bool is_default = false;
  std::string description;
  std::string gguf_file;  // TIPO / DanTagGen: the published GGUF in the repo (Dart: converted on pull)
};

// All known completion models, default first. Thread-safe; valid for the program's lifetime.
const std::vector<CompletionModel>& completion_models();
// By name or repo id (case-insensitive). kNotFound lists the names.
Result<CompletionModel> find_completion_model(const std::string& name);

struct CompleteParams {
  std::string model = "dart-v2-moe-sft";  // registry name, Hub repo id of a Dart v2 model, or a local GGUF /
                                          // model folder (taken as model_file)
  std::string model_file;   // a local GGUF (tokenizer.json beside it, or --tokenizer), or a Hugging Face
                            // folder with config.json, tokenizer.json, model.safetensors (converted once)
  std::string tokenizer;    // tokenizer.json for --model-file
  std::string length = "long";      // target length class (Dart: very_short short medium long very_long)
  std::string rating = "general";   // sfw general sensitive nsfw questionable explicit
  std::string aspect = "1:1";       // W:H of the image, or a Dart aspect name (tall, square, ...)
  std::string identity = "none";    // Dart SFT: none lax strict (how strictly to keep a character's look)
  std::string copyright;    // comma-separated copyright tags (also taken from the input via the tag database)
  std::string character;    // comma-separated character tags (likewise)
  std::string ban;          // comma-separated tags never to add
  std::optional<int> seed;  // random when unset (the report says which)
  // Sampling; unset: the model family's recommended settings (completion_sampling_defaults).
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> top_k;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
  std::optional<int> max_new_tokens;
  int threads = 0;          // CPU threads (0: all cores)
  bool offline = false;     // never download; use the cache only
  std::string tags_db;      // tag database for categories and the known-tag check (default: shipped list)
  bool keep_unknown = false;  // keep model tags the tag database does not know
};

// Sampling settings a model family is run with unless the options say otherwise.
struct CompletionSampling {
  double temperature, top_p;
  int top_k;
  double min_p, repetition_penalty;
  int max_new_tokens;
};
// "dart-v2": Dart's model card / dartrs (1.0, 1.0, 100, 0, 1.0, 128). "tipo": z-tipo-extension's UI
// (temperature 0.5, top-p 0.95, top-k 80) with KGen generate_with_retry's min-p 0.1, repetition penalty
// 1.17 (generate()'s default) and 512 new tokens. "dantaggen": KGen tag_gen (0.5, 0.95, 100, no min-p, no
// repetition penalty, 256 new tokens).
CompletionSampling completion_sampling_defaults(const std::string& family);

// The `complete` operation (operation.h): name, summary, POST /api/complete, docs/complete.md and every
// option (CLI flags, JSON parameters, docs table, front-end types).
const Operation<CompleteParams>& complete_operation();
const OptionSet<CompleteParams>& complete_options();  // complete_operation().options

struct CompleteReport {
  std::vector<std::string> input;   // the user's tags, as given, in order
  std::vector<std::string> added;   // tags the model added, in the order generated
  std::vector<std::string> tags;    // input then added
  struct Dropped {
    std::string tag;
    std::string reason;  // "duplicate", "banned", "unknown tag", "over length"
  };
  std::vector<Dropped> dropped;     // generated tags that were not kept
  std::vector<std::string> not_in_vocabulary;  // input tags the model does not know (kept, but unseen by it)
  std::string model;     // registry name or the GGUF path
  std::string prompt;    // the prompt text given to the model
  int64_t seed = 0;
  int tokens = 0;        // tokens generated
  int passes = 1;        // generation passes (TIPO / DanTagGen retry until the target length, as KGen)
  double seconds = 0;    // generation time (load excluded)
  double load_seconds = 0;
  // {"input":[…],"added":[…],"tags":[…],"model":"…","seed":N,"tokens":N,"seconds":S,…}
  std::string to_json() const;
};

// Progress of a model pull (download + conversion), for a CLI status line. May be empty.
struct CompleteCallbacks {
  std::function<void(const std::string& what)> on_status;
};

// Completes `input` (tags; each may be "blue hair" or "blue_hair"). Errors: kInvalidArgument (bad option
// value, empty input), kNotFound (model not cached with --offline, missing file), kCorrupt (bad GGUF or
// tokenizer.json, a GGUF whose vocabulary is not the family's), kUnsupported (built without llama.cpp),
// kNetwork.
Result<CompleteReport> complete_tags(const std::vector<std::string>& input, const CompleteParams& params,
                                     const CompleteCallbacks& callbacks = {});

// Whether `complete` can run now without downloading: llama.cpp is built in and the model (params.model /
// model_file, after the environment) is a local file or already in the Hub cache. For the web app's
// "complete" button. Touches no network.
struct CompletionStatus {
  bool available = false;
  std::string model;   // the model it would use (registry name, repo id or path)
  std::string reason;  // why not, in words, when not available
  // {"available":bool,"model":"…","reason":"…"}
  std::string to_json() const;
};
CompletionStatus completion_status(const CompleteParams& params);

// Where a pulled model's converted GGUF lives: <user cache>/llm/<org>--<name>/<commit>/model.gguf.
std::filesystem::path completion_gguf_path(const CompletionModel& model, const std::string& commit);

}  // namespace tagmetry
