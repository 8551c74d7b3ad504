#pragma once
// Prompt building: a Japanese (or mixed) request, a tag list or a caption file → the positive and negative
// prompts, size, sampler, steps and CFG a generator needs, written the way the chosen prompt style
// (prompt_style.h) says: trigger words, tag groups in the model's order, quality and rating tags,
// underscores → spaces, parentheses escaped for A1111 ("star \(sky\)"), LoRAs as <lora:NAME:WEIGHT>.
//
//   PromptParams p;  p.style = "animagine-xl-4.0";  p.trigger = "mychar";  p.loras = {"mychar:0.8"};
//   auto builder = PromptBuilder::open(p);           // tag database; ja2tags loaded on first request
//   auto r = (*builder)->build(p, "青い髪の女の子");   // r->positive == "mychar, 1girl, blue hair, safe, …"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/operation.h"
#include "tagmetry/prompt_style.h"
#include "tagmetry/status.h"

namespace tagmetry {

class TagDatabase;
class JaDictionary;
class JaToTags;

// What `tagmetry prompt` (and generate) take to build a prompt. Defaults here, declared once below.
struct PromptParams {
  std::string style = "none";      // shipped style name or a .toml file
  std::string input = "auto";      // auto | request | tags | caption
  std::string trigger;             // trigger words, comma-separated, written first
  std::vector<std::string> loras;  // "NAME" or "NAME:WEIGHT" (repeatable --lora)
  std::string rating;              // rating tag instead of the style's ("none": no rating tag)
  std::string negative;            // negative prompt instead of the style's default
  std::string size;                // "WxH": the style's nearest allowed size
  std::string aspect;              // "W:H": the style's allowed size of the nearest aspect
  std::string sampler;             // instead of the style's
  std::string scheduler;
  std::optional<int> steps;
  std::optional<double> cfg;
  int top = 0;               // keep at most this many tags from a request (0: all)
  std::string tags_db;       // tag list (tagcomplete CSV) instead of the shipped one
  std::string mecab_dicdir;  // MeCab IPAdic folder for requests
  // Model-based completion (complete.h) of the tags before the prompt is built: a completion model name
  // ("default": complete's default model), a GGUF or a model folder; "" = off.
  std::string complete;
  std::optional<int> complete_seed;  // random when unset
  bool json = false;
};

// Declares PromptParams' options (the CLI flags, the JSON parameters, docs/prompt.md's table) on the
// OptionSet of PromptParams or of a params struct derived from it (GenerateParams).
template <class P>
void add_prompt_options(OptionSet<P>& s) {
  s.group("Prompt")
      .add("style", &P::style,
           "Prompt style: animagine-xl-3.1, animagine-xl-4.0, noobai-xl, illustrious-xl, sd15, none, or a .toml file")
      .add("input", &P::input, "What the text is: a request (ja2tags), a tag list, a caption file, or auto",
           {"auto", "request", "tags", "caption"})
      .add("trigger", &P::trigger, "Trigger words written first (comma-separated)")
      .add("lora", &P::loras, "LoRA NAME[:WEIGHT]: <lora:NAME:WEIGHT> for A1111, a LoraLoader node for ComfyUI")
      .add("rating", &P::rating,
           "Rating tag instead of the style's (safe, sensitive, nsfw, explicit; none: no rating tag)")
      .add("negative", &P::negative, "Negative prompt instead of the style's default")
      .add("top", &P::top, "Keep at most this many tags from a request (0: all)");
  s.group("Size and sampling")
      .add("size", &P::size, "Size WxH (the style's nearest allowed size)")
      .add("aspect", &P::aspect, "Aspect ratio W:H (the style's allowed size of the nearest aspect)")
      .add("sampler", &P::sampler, "Sampler (A1111 name, e.g. 'Euler a', 'DPM++ 2M') instead of the style's")
      .add("scheduler", &P::scheduler, "Scheduler (A1111 label, e.g. Automatic, Karras) instead of the style's")
      .add("steps", &P::steps, "Sampling steps instead of the style's")
      .add("cfg", &P::cfg, "CFG scale instead of the style's");
  s.group("Completion")
      .add("complete", &P::complete,
           "Extend the tags with this completion model before building the prompt (tagmetry complete: a name, "
           "default, a GGUF or a model folder); the style's rating and the size's aspect are passed on")
      .add("complete-seed", &P::complete_seed, "Seed of the completion (default: random)");
  s.group("Data")
      .add("tags-db", &P::tags_db, "Tag list in tagcomplete CSV format (name,category,count,aliases; .gz ok)", {},
           "TAGMETRY_TAGS_DB")
      .add("mecab-dicdir", &P::mecab_dicdir, "MeCab IPAdic folder (default: the system's ipadic-utf8)", {},
           "TAGMETRY_MECAB_DICDIR");
}
// `tagmetry prompt`: add_prompt_options plus --json (include/tagmetry/operation.h).
const Operation<PromptParams>& prompt_operation();
const OptionSet<PromptParams>& prompt_options();

// One LoRA: `<lora:name:weight>` for A1111, a LoraLoader node for ComfyUI.
struct LoraRef {
  std::string name;     // A1111 alias / file name without extension ("mychar")
  double weight = 1.0;  // model and text-encoder strength
};

// "mychar:0.8" → {mychar, 0.8}; "mychar" → weight 1.0; errors quote the text.
Result<LoraRef> parse_lora(std::string_view text);
// "<lora:mychar:0.8>" (weights printed shortest: 1 → "1", 0.75 → "0.75").
std::string lora_prompt(const LoraRef& lora);

// Writes one tag as A1111 reads it literally: '(' ')' '[' ']' escaped with a backslash unless already
// escaped; a weighted "(tag:1.2)" written by the user is kept as is.
std::string escape_a1111(std::string_view tag);

struct PromptResult {
  std::string style;          // the style's name
  std::string positive;       // A1111 prompt, <lora:…> entries at the end
  std::string positive_text;  // the same without <lora:…> (for ComfyUI, where LoRAs are nodes)
  std::string negative;
  ImageSize size;
  std::string sampler;    // A1111 sampler name ("Euler a")
  std::string scheduler;  // A1111 scheduler label ("Automatic", "Karras")
  int steps = 20;
  double cfg = 7.0;
  std::vector<std::string> tags;       // the request's tags in prompt order, Danbooru spelling (trigger first);
                                       // quality and rating tags the style adds are not listed
  std::vector<std::string> unmatched;  // request words that gave no tag; tag-list entries not in the database
  std::vector<LoraRef> loras;
  // With --complete: the tags the completion model added (after the user's), its seed and model.
  std::vector<std::string> completed;
  std::optional<int64_t> completion_seed;
  std::string completion_model;
  std::string completion_prompt;  // the prompt the completion model was given

  // {"positive","negative","width","height","sampler","steps","cfg","tags":[…],"unmatched":[…]}, and with
  // --complete "completed":[…],"completion_seed":N,"completion_model":"…".
  std::string to_json() const;
  // The caption written beside a generated image: the tags as in the prompt (spaces per the style,
  // no escapes), ", "-joined.
  std::string caption() const;
  std::vector<std::string> caption_tags;  // what caption() joins
};

// Builds prompts. Holds the tag database (categories of tag-list entries) and, once a request needs it,
// the ja2tags matcher. build() is thread-safe.
class PromptBuilder {
 public:
  ~PromptBuilder();
  // Loads the tag database (`params.tags_db` or the shipped list). The Japanese dictionary and MeCab are
  // loaded by the first build() of a request.
  static Result<std::unique_ptr<PromptBuilder>> open(const PromptParams& params);
  // A builder over a tag database and a ja2tags source owned by the caller (the server's, loaded once);
  // `ja` is called by the first build() of a request. Both must outlive the builder.
  static std::unique_ptr<PromptBuilder> borrow(const TagDatabase& db, std::function<Result<const JaToTags*>()> ja);

  // Builds the prompt for `input` (a request, a tag list or a caption file path, per params.input).
  Result<PromptResult> build(const PromptParams& params, std::string_view input) const;
  // Same with an already loaded style.
  Result<PromptResult> build(const PromptParams& params, const PromptStyle& style, std::string_view input) const;

 private:
  PromptBuilder() = default;
  Result<const JaToTags*> matcher() const;

  std::string mecab_dicdir_;
  std::unique_ptr<TagDatabase> owned_db_;
  const TagDatabase* db_ = nullptr;
  std::function<Result<const JaToTags*>()> borrowed_ja_;
  mutable std::once_flag ja_once_;
  mutable std::unique_ptr<JaDictionary> dict_;
  mutable std::unique_ptr<JaToTags> ja_;
  mutable Status ja_status_;
};

}  // namespace tagmetry
