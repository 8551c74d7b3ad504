#pragma once
// Image generation through a generator server Tagmetry does not run itself: AUTOMATIC1111 / Forge /
// reForge (/sdapi/v1), ComfyUI (/prompt, /history, /view) or a RunPod serverless ComfyUI worker
// (/run, /status, /cancel). Tagmetry builds the prompt (prompt.h), drives the server, and saves each image
// as OUT/NNNNN-SEED.png with A1111's "parameters" infotext (written by Tagmetry for every back end) and
// OUT/NNNNN-SEED.txt with the tags used. docs/generate.md.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tagmetry/files.h"
#include "tagmetry/operation.h"
#include "tagmetry/prompt.h"
#include "tagmetry/status.h"

namespace tagmetry {

// `tagmetry generate`: the prompt options (PromptParams) plus the server, output and batch settings.
struct GenerateParams : PromptParams {
  std::string backend = "a1111";  // a1111 | comfyui | runpod
  std::string url;                // server URL; runpod: the endpoint URL (https://api.runpod.ai/v2/ENDPOINT)
  std::string out = "generated";  // output folder
  std::string user;               // "NAME:PASS" for HTTP basic auth (A1111 --api-auth)
  int count = 1;                  // batches
  int batch_size = 1;             // images per batch
  std::string seed;               // first seed ("" or -1: random); batch i of n uses seed + i * batch_size
  std::string checkpoint;         // checkpoint name, title or file (A1111: override; ComfyUI: ckpt_name)
  std::string workflow;           // ComfyUI / RunPod: API-format workflow file with {{placeholders}}
  bool check = false;             // list what the server offers and check the checkpoint and LoRAs
  int connect_timeout = 10;       // seconds
  int timeout = 900;              // seconds for one batch
  bool no_progress = false;       // no progress line on stderr (shown only on a terminal anyway)
};

// `tagmetry generate` (include/tagmetry/operation.h).
const Operation<GenerateParams>& generate_operation();
const OptionSet<GenerateParams>& generate_options();

// What one server call asks for (one batch).
struct GenerationJob {
  PromptResult prompt;
  int64_t seed = -1;  // -1: the server (A1111) or Tagmetry (ComfyUI) picks one
  int batch_size = 1;
  std::string checkpoint;  // as the server names it ("" = the loaded one / the workflow's)
  std::string workflow;    // API-format workflow JSON text with placeholders, "" = built-in graph
};

struct GeneratedImage {
  std::string png;  // the PNG bytes as received
  int64_t seed = -1;
  // ComfyUI / RunPod: the images of one latent batch share one seed (KSampler draws the whole batch's
  // noise from it, comfy/sample.py prepare_noise), so image k is reproduced by the same seed and batch
  // size, not by seed + k. Then batch_size > 1 and batch_pos = k, written as "Batch size: N, Batch pos: k".
  // A1111 gives each image its own seed (seed + k): batch_size stays 1.
  int batch_size = 1;
  int batch_pos = 0;
  std::string model;        // checkpoint name without extension, "" when unknown
  std::string model_hash;   // 10 hex digits, "" when unknown
  std::string lora_hashes;  // as A1111 wrote it, "" when unknown
};

struct GeneratorProgress {
  int step = 0, steps = 0;  // sampling steps of the current image (0 when unknown)
  double fraction = 0;      // of the whole batch, 0..1
};
using GeneratorProgressFn = std::function<void(const GeneratorProgress&)>;

// What a server offers (`--check`).
struct ServerInventory {
  std::vector<std::string> checkpoints, loras, samplers, schedulers;
};

// One generator server. generate() is not thread-safe; create one Generator per run.
class Generator {
 public:
  virtual ~Generator() = default;
  // Lists checkpoints, LoRAs, samplers and schedulers. Errors say what is wrong (not reachable, API not
  // enabled, credentials needed).
  virtual Result<ServerInventory> inventory() = 0;
  // Runs one batch. When `cancel` becomes true the server is interrupted and the images already made are
  // returned. `progress` may be empty.
  virtual Result<std::vector<GeneratedImage>> generate(const GenerationJob& job, const GeneratorProgressFn& progress,
                                                       const std::atomic<bool>& cancel) = 0;
};

// Opens the back end named by params.backend at params.url (nothing is contacted yet). Credentials: --user
// or $TAGMETRY_GENERATOR_AUTH (A1111), $RUNPOD_API_KEY (RunPod).
Result<std::unique_ptr<Generator>> open_generator(const GenerateParams& params);

struct SavedImage {
  std::filesystem::path png;      // OUT/00001-1234.png
  std::filesystem::path caption;  // OUT/00001-1234.txt
  int64_t seed = -1;
  int batch_size = 1, batch_pos = 0;  // as in GeneratedImage: the seed alone reproduces it when batch_size is 1
};

struct GenerateReport {
  PromptResult prompt;
  std::vector<SavedImage> images;
  bool interrupted = false;
  std::vector<std::string> errors;  // batches that failed (the run went on with the rest)

  // {"prompt":{…PromptResult…},"images":[{"file","caption","seed"}],"interrupted":false,"errors":[]}; an
  // image of a ComfyUI / RunPod batch sharing one seed also has "batch_size" and "batch_pos".
  std::string to_json() const;
};

// Builds the prompt for `input`, then generates params.count batches and saves every image (atomic
// writes). A batch that fails is reported in `errors` and the next is tried, unless the server cannot be
// reached at all (then the error is returned). `cancel` interrupts the server and keeps the saved images.
Result<GenerateReport> run_generate(const GenerateParams& params, const PromptBuilder& builder, std::string_view input,
                                    const GeneratorProgressFn& progress, const std::atomic<bool>& cancel,
                                    Generator* generator = nullptr);

// Writes one image: the PNG with Tagmetry's `parameters` infotext, and the caption file, each atomically
// (temporary file + rename: never a half-written PNG). kDeferred leaves the flush to the caller. Returns
// the paths.
Result<SavedImage> save_generated_image(const std::filesystem::path& out_dir, const GeneratedImage& image,
                                        const PromptResult& prompt, FileSync sync = FileSync::kFsync);

struct CheckReport {
  ServerInventory inventory;
  std::vector<std::string> problems;  // "unknown checkpoint 'x' (closest: …)", "unknown LoRA …"
  // {"checkpoints":[…],"loras":[…],"samplers":[…],"schedulers":[…],"problems":[…]}
  std::string to_json() const;
};

// `--check`: asks the server what it offers and checks params.checkpoint, the LoRAs and the sampler.
Result<CheckReport> check_generator(const GenerateParams& params, Generator& generator);

// The names in `names` closest to `wanted` (edit distance, case-insensitive), at most `n`.
std::vector<std::string> closest_names(const std::string& wanted, const std::vector<std::string>& names, size_t n = 3);

}  // namespace tagmetry
