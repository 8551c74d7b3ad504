#pragma once
// What kohya-ss sd-scripts feeds the text encoder: a faithful reimplementation of
// library/train_util.py BaseDataset.process_caption (unchanged since 2024-03; checked against the
// sd-scripts source, 2026-02), plus a truncation-risk analysis over many random draws.
//
// The random generator is std::mt19937_64 seeded by the caller: the sequence of choices differs from
// Python's `random` module (Mersenne Twister 32 with Python's seeding), but every draw has the same
// distribution (uniform shuffles, Bernoulli dropout with the given rate, uniform wildcard choices), and
// draws happen in the same order and under the same conditions as in sd-scripts.

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

class ClipTokenizer;

// A subset's caption settings, with kohya's names (dataset_config.toml keys; CLI flags in kebab-case).
struct KohyaCaptionParams {
  std::string caption_prefix;
  std::string caption_suffix;
  bool shuffle_caption = false;
  int keep_tokens = 0;
  std::string keep_tokens_separator;
  std::string caption_separator = ",";
  std::string secondary_separator;
  bool enable_wildcard = false;
  double caption_dropout_rate = 0.0;
  int caption_dropout_every_n_epochs = 0;
  double caption_tag_dropout_rate = 0.0;
  int token_warmup_min = 1;
  double token_warmup_step = 0.0;  // < 1: a fraction of max_train_steps

  // Errors for values sd-scripts would reject or crash on (empty separator, rates outside [0, 1]).
  Status validate() const;
};

// The option declarations of KohyaCaptionParams (group "Caption processing (kohya)"): a subset's
// settings, as `simulate` flags and the web preview's `settings`.
const OptionSet<KohyaCaptionParams>& kohya_caption_options();

// Where training is: kohya sets current_epoch 1-based during training (epoch 1 is the first).
struct KohyaTrainingState {
  int epoch = 1;
  int step = 0;
  int max_train_steps = 0;
};

// Textual-inversion replacements (dataset.add_replacement), applied in order. A `from` of "" replaces
// the whole caption with one of `to` (chosen at random when there are several).
struct KohyaReplacement {
  std::string from;
  std::vector<std::string> to;
};

// `tagmetry simulate`: one caption (`caption`) or a dataset (`config`, or the folder `dir`) through
// kohya's caption processing, `samples` times. The caption options given apply over each subset's.
struct SimulateParams : KohyaCaptionParams {
  std::string dir;  // dataset folder (captions read as kohya reads them)
  std::string caption;
  std::string config;  // dataset_config.toml
  std::string caption_extension = ".txt";
  std::vector<std::string> replace;  // FROM=TO textual-inversion replacements
  int samples = 1;
  int seed = 0;
  int epoch = 1;
  int step = 0;
  int max_train_steps = 0;
  int max_token_length = kClipChunkTokens;
  bool truncation_risk = false;

  // Errors for a max_token_length kohya rejects, samples < 1, neither or both of caption and dataset,
  // and the caption options' own errors.
  Status validate() const;
  // The `replace` specs parsed (FROM=TO; an empty FROM replaces the whole caption with one of a|b).
  Result<std::vector<KohyaReplacement>> replacements() const;
};

// The operation's declaration (name, summary, options; include/tagmetry/operation.h).
const Operation<SimulateParams>& simulate_operation();

// Python-`random`-like draws on a seeded std::mt19937_64. Not thread-safe (one per thread).
class KohyaRandom {
 public:
  explicit KohyaRandom(uint64_t seed) : engine_(seed) {}
  // Uniform double in [0, 1) with 53 random bits, like random.random().
  double random();
  // Uniform integer in [0, n), n > 0, like random._randbelow(n) (rejection sampling, no modulo bias).
  size_t below(size_t n);
  // random.shuffle: Fisher-Yates from the end, j = below(i + 1).
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i-- > 1;) std::swap(v[i], v[below(i + 1)]);
  }

 private:
  std::mt19937_64 engine_;
};

// Processes one caption exactly as sd-scripts' process_caption does (see docs/simulate.md for the
// order of operations). `caption` is the caption as kohya holds it after reading the file (the first
// line stripped, or with enable_wildcard all non-blank lines stripped and joined with "\n").
std::string kohya_process_caption(const KohyaCaptionParams& params, const KohyaTrainingState& state,
                                  std::string_view caption, KohyaRandom& rng,
                                  const std::vector<KohyaReplacement>& replacements = {});

// How kohya turns a caption file's text into the caption it stores (DreamBoothDataset.read_caption):
// with enable_wildcard, every non-blank line stripped and joined with "\n"; otherwise the first line
// stripped. Python's str.strip() semantics (Unicode whitespace).
std::string kohya_caption_from_file_text(std::string_view text, bool enable_wildcard);

// Python's str.strip(): removes leading/trailing Unicode whitespace (str.isspace()).
std::string_view python_strip(std::string_view s);

// Per-tag truncation risk of one caption over `samples` draws.
struct TagTruncationRisk {
  std::string tag;
  double present = 0.0;  // fraction of samples in which the tag appears in the processed caption
  double cut = 0.0;      // fraction of samples in which some of its tokens fall past the limit
};
struct TruncationReport {
  size_t samples = 0;
  size_t min_tokens = 0, max_tokens = 0;
  double mean_tokens = 0.0;
  double truncated_fraction = 0.0;       // samples whose caption exceeds the limit
  std::vector<TagTruncationRisk> tags;   // in first-seen order (the source caption's order first)
};

// Token positions of the tags of one processed caption: for each tag (split on `separator`,
// stripped, empty skipped), whether the prefix of the caption through that tag exceeds `limit`
// tokens (so some of its tokens are cut by kohya's truncation).
struct ProcessedTagTokens {
  std::string tag;
  size_t end_token = 0;  // tokens of the caption up to and including this tag
  bool cut = false;
};
std::vector<ProcessedTagTokens> kohya_tag_token_positions(const ClipTokenizer& tokenizer,
                                                          std::string_view processed_caption,
                                                          std::string_view separator, size_t limit);

// One processed caption: what kohya's trainer feeds the text encoder for `seed` at `epoch`.
struct KohyaCaptionSample {
  int epoch = 1;
  uint64_t seed = 0;
  std::string caption;                   // after process_caption
  size_t tokens = 0;                     // its CLIP tokens
  bool truncated = false;                // tokens > the limit
  std::vector<ProcessedTagTokens> tags;  // every tag's position when asked for; else only when truncated
};

// The samples `tagmetry simulate` prints and the web app's preview shows: for each seed, one generator
// (KohyaRandom(seed)) drawn through `epochs` epochs from first.epoch on, as a training run draws (epochs
// 1: one draw per seed at first.epoch). Seed-major order. `tag_positions`: fill every sample's tags (else
// only the tags of truncated samples, to name the cut ones; fewer tokenizer calls).
std::vector<KohyaCaptionSample> kohya_sample_captions(const ClipTokenizer& tokenizer, const KohyaCaptionParams& params,
                                                      const KohyaTrainingState& first, std::string_view caption,
                                                      const std::vector<uint64_t>& seeds, int epochs, size_t limit,
                                                      bool tag_positions,
                                                      const std::vector<KohyaReplacement>& replacements = {});

// A sample as JSON, in `simulate --json` and POST /api/preview (docs/simulate.md): {"epoch", "seed",
// "caption", "tokens", "truncated", "cut_tags": [tags], "tags": [{"tag", "end_token", "cut"}]}.
nlohmann::json to_json(const KohyaCaptionSample& sample);

// Runs kohya_process_caption `samples` times with seeds seed, seed+1, … and measures, per tag, how
// often it is cut at `max_token_length` tokens (75, 150 or 225).
TruncationReport kohya_truncation_risk(const ClipTokenizer& tokenizer, const KohyaCaptionParams& params,
                                       const KohyaTrainingState& state, std::string_view caption,
                                       size_t samples, uint64_t seed, int max_token_length,
                                       const std::vector<KohyaReplacement>& replacements = {});

}  // namespace tagmetry
