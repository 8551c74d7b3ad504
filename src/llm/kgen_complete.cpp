// TIPO / DanTagGen completion, after KGen (KohakuBlueleaf/KGen src/kgen/executor/tipo.py
// generate_with_retry + post_generate_process, executor/dtg.py tag_gen; 2025, commit 8c82b48). Differences,
// on purpose: new tags keep the order the model wrote them (KGen shuffles them), bans are matched as
// substrings of the lower-case tag (KGen also tries each as a regular expression), and one random stream serves every pass (KGen
// reseeds with seed + pass); docs/complete.md.
#include "kgen_complete.h"

#include <chrono>
#include <climits>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "llama_runner.h"
#include "tag_sampler.h"
#include "tagmetry/kgen_prompt.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A tag as KGen's prompts write it: lower case, spaces for underscores (4+ characters), no escapes.
std::string kgen_form(std::string_view tag) {
  KgenTags t = kgen_separate_tags({std::string(tag)}, nullptr);
  for (auto* v : {&t.special, &t.general, &t.quality, &t.rating})
    if (!v->empty()) return v->front();
  return std::string(trim(tag));
}

// Lower-case text with spaces for underscores: what bans are compared on.
std::string ban_key(std::string_view tag) { return to_lower_ascii(replace_all(trim(tag), "_", " ")); }

// KGen's tag_filter: a tag containing a ban entry is banned ("hat" bans "witch hat").
bool is_banned(const std::string& tag, const std::vector<std::string>& bans) {
  const std::string k = ban_key(tag);
  for (auto& b : bans)
    if (k.find(b) != std::string::npos) return true;
  return false;
}

// One generation pass: `prompt` through the model's vocabulary (BOS added as the model says), then
// sampling until an end-of-generation token, `max_new` tokens, the end of the context or, for TIPO, the
// end of the "tag:" block. Returns the generated text; adds the tokens to `tokens`.
Result<std::string> run_pass(LlamaRunner& runner, const std::string& prompt, bool tipo, const SamplingSettings& ss,
                             int max_new, std::mt19937_64& rng, int& tokens) {
  TM_ASSIGN_OR_RETURN(std::vector<int32_t> ids, runner.tokenize(prompt));
  const int32_t n_vocab = runner.n_vocab();
  std::vector<bool> seen(n_vocab, false);  // for the repetition penalty: prompt and generated ids
  for (int32_t id : ids)
    if (id >= 0 && id < n_vocab) seen[id] = true;
  TM_ASSIGN_OR_RETURN(const float* logits, runner.start(ids));
  std::string text;
  int n = 0;
  while (n < max_new) {
    const int32_t id = sample_token(logits, n_vocab, {}, ss, rng, seen);
    if (id < 0 || runner.is_end(id)) break;
    ++n;
    text += runner.piece(id);
    seen[id] = true;
    if (tipo && tipo_tag_block_done(prompt + text)) break;
    if (n >= max_new || static_cast<int>(ids.size()) + n >= runner.n_ctx()) break;
    TM_ASSIGN_OR_RETURN(logits, runner.next(id));
  }
  tokens += n;
  return text;
}

}  // namespace

Status complete_with_kgen(const KgenRequest& req, const CompleteParams& p, CompleteReport& r) {
  const bool tipo = req.family == "tipo";
  std::vector<std::string> input;       // unique input tags, as given
  std::unordered_set<std::string> keys; // normalize_tag_name keys of the list so far
  for (auto& t : r.input)
    if (keys.insert(normalize_tag_name(t)).second) input.push_back(t);

  KgenTags base = kgen_separate_tags(input, req.db);
  if (base.rating.empty()) base.rating.push_back(p.rating);
  std::unordered_set<std::string> given;  // --copyright / --character: in the prompt, not added again
  for (auto& t : split_trimmed(p.copyright, ",")) {
    base.copyrights.push_back(kgen_form(t));
    given.insert(normalize_tag_name(t));
  }
  for (auto& t : split_trimmed(p.character, ",")) {
    base.characters.push_back(kgen_form(t));
    given.insert(normalize_tag_name(t));
  }
  std::vector<std::string> bans;
  for (auto& t : split_trimmed(p.ban, ",")) bans.push_back(ban_key(t));

  const auto t_load = Clock::now();
  TM_ASSIGN_OR_RETURN(auto runner, LlamaRunner::load(req.gguf, 0, p.threads));
  r.load_seconds = since(t_load);
  if (!runner->has_vocabulary())
    return corrupt(req.gguf.string() + ": the GGUF has no vocabulary; " + req.family + " runs its published GGUF");

  r.seed = p.seed ? *p.seed : static_cast<int64_t>(std::random_device{}() & 0x7fffffff);
  std::mt19937_64 rng(static_cast<uint64_t>(r.seed));
  const SamplingSettings ss{req.sampling.temperature, req.sampling.top_k, req.sampling.top_p, req.sampling.min_p,
                            req.sampling.repetition_penalty};
  const size_t target = static_cast<size_t>(tipo ? tipo_min_tags(p.length) : dtg_min_tags(p.length));
  // TIPO keeps at most TARGET_TIPO_MAX general tags (KGen slices with the NL limit by mistake; the tag
  // limit is meant); DanTagGen keeps what it generates.
  const size_t cap = tipo ? std::max<size_t>(tipo_max_tags(p.length), input.size()) : SIZE_MAX;
  const int max_passes = 1 + (tipo ? 10 : 20);  // max_retry
  const int max_same = tipo ? 5 : 15;           // max_same_output

  std::vector<std::string> refeed;  // new tags put back into the next pass's prompt
  std::set<std::string> answers;    // earlier passes' answers, to stop on repeats
  std::unordered_set<std::string> reported;
  int same = 0;
  size_t count = input.size();
  const auto t_gen = Clock::now();
  for (int pass = 0; pass < max_passes; ++pass) {
    std::string prompt;
    if (tipo) {
      KgenTags t = base;
      t.general.insert(t.general.end(), refeed.begin(), refeed.end());
      prompt = tipo_prompt(t, p.length, req.aspect);
    } else {
      // tag_gen re-feeds "{prompt}<|input_end|>{new tags}" and lets the model go on.
      prompt = dtg_prompt(base, p.length, req.aspect, /*quality_line=*/true) + join(refeed, ", ");
    }
    if (pass == 0) r.prompt = prompt;
    TM_ASSIGN_OR_RETURN(std::string text, run_pass(*runner, prompt, tipo, ss, req.sampling.max_new_tokens, rng, r.tokens));
    r.passes = pass + 1;
    auto parse = [tipo](const std::string& t) { return tipo ? parse_tipo_tags(t) : parse_dtg_tags(t); };
    const std::vector<std::string> parsed = parse(prompt + text);
    // The answer's tags start with the prompt's own (the tag line, or the tags re-fed after <|input_end|>).
    std::unordered_map<std::string, int> from_prompt;
    for (auto& t : parse(prompt)) ++from_prompt[normalize_tag_name(t)];

    int added_here = 0;
    auto drop = [&](const std::string& tag, const std::string& key, const char* reason) {
      if (reported.insert(key + "|" + reason).second) r.dropped.push_back({tag, reason});
    };
    for (const std::string& tag : parsed) {
      const std::string key = normalize_tag_name(tag);
      if (auto it = from_prompt.find(key); it != from_prompt.end() && it->second > 0) {
        --it->second;
        continue;
      }
      if (keys.count(key) || given.count(key)) {
        drop(tag, key, "duplicate");
      } else if (is_banned(tag, bans)) {
        drop(tag, key, "banned");
      } else if (req.db && !p.keep_unknown && !req.db->find(tag)) {
        drop(tag, key, "unknown tag");
      } else if (count >= cap) {
        drop(tag, key, "over length");
      } else {
        r.added.push_back(tag);
        keys.insert(key);
        ++count;
        ++added_here;
        if (!tipo) {
          refeed.push_back(tag);
        } else {
          // generate_with_retry re-feeds the special and general tags; characters, copyrights, artists and
          // meta stay as the request gave them.
          KgenTags c = kgen_separate_tags({tag}, req.db);
          if (!c.special.empty()) refeed.push_back(c.special.front());
          if (!c.general.empty()) refeed.push_back(c.general.front());
        }
      }
    }
    if (count >= target) break;
    same = answers.insert(text).second ? 0 : same + 1;
    if (same >= max_same) break;
    if (added_here == 0 && req.sampling.temperature <= 0) break;  // greedy: the next pass would be the same
  }
  r.seconds = since(t_gen);
  r.tags = input;
  r.tags.insert(r.tags.end(), r.added.begin(), r.added.end());
  return ok_status();
}

}  // namespace tagmetry
