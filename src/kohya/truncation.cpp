// Truncation risk: where each tag of a processed caption falls in CLIP tokens, and how often kohya's
// cut at max_token_length removes it over many random draws of process_caption.
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "tagmetry/clip_tokenizer.h"
#include "tagmetry/kohya_caption.h"
#include "tagmetry/strings.h"

namespace tagmetry {

std::vector<ProcessedTagTokens> kohya_tag_token_positions(const ClipTokenizer& tokenizer,
                                                          std::string_view processed_caption,
                                                          std::string_view separator, size_t limit) {
  std::vector<ProcessedTagTokens> out;
  if (separator.empty()) separator = ",";
  size_t start = 0;
  while (start <= processed_caption.size()) {
    size_t end = processed_caption.find(separator, start);
    if (end == std::string_view::npos) end = processed_caption.size();
    std::string_view tag = python_strip(processed_caption.substr(start, end - start));
    if (!tag.empty()) {
      // Tokens of the caption through the end of this tag: the tag is cut when that exceeds the limit.
      const size_t tag_end = static_cast<size_t>(tag.data() + tag.size() - processed_caption.data());
      ProcessedTagTokens t;
      t.tag = std::string(tag);
      t.end_token = tokenizer.count(processed_caption.substr(0, tag_end));
      t.cut = t.end_token > limit;
      out.push_back(std::move(t));
    }
    if (end == processed_caption.size()) break;
    start = end + separator.size();
  }
  return out;
}

TruncationReport kohya_truncation_risk(const ClipTokenizer& tokenizer, const KohyaCaptionParams& params,
                                       const KohyaTrainingState& state, std::string_view caption,
                                       size_t samples, uint64_t seed, int max_token_length,
                                       const std::vector<KohyaReplacement>& replacements) {
  TruncationReport report;
  report.samples = samples;
  const size_t limit = max_token_length > 0 ? static_cast<size_t>(max_token_length) : kClipChunkTokens;
  std::unordered_map<std::string, size_t> index;
  std::vector<size_t> present, cut;
  auto slot = [&](const std::string& tag) {
    auto [it, inserted] = index.emplace(tag, report.tags.size());
    if (inserted) {
      report.tags.push_back({tag, 0.0, 0.0});
      present.push_back(0);
      cut.push_back(0);
    }
    return it->second;
  };
  // Source order first, so the report reads like the caption.
  for (auto& t : split_trimmed(caption.substr(0, caption.find('\n')), params.caption_separator)) slot(t);
  size_t truncated = 0, total_tokens = 0;
  report.min_tokens = samples ? std::numeric_limits<size_t>::max() : 0;
  for (size_t i = 0; i < samples; ++i) {
    KohyaRandom rng(seed + i);
    std::string processed = kohya_process_caption(params, state, caption, rng, replacements);
    const size_t n = tokenizer.count(processed);
    total_tokens += n;
    report.min_tokens = std::min(report.min_tokens, n);
    report.max_tokens = std::max(report.max_tokens, n);
    if (n > limit) ++truncated;
    std::vector<bool> seen(report.tags.size(), false);
    for (auto& t : kohya_tag_token_positions(tokenizer, processed, params.caption_separator, limit)) {
      size_t k = slot(t.tag);
      if (k >= seen.size()) seen.resize(k + 1, false);
      if (seen[k]) continue;  // a tag written twice counts once per sample
      seen[k] = true;
      ++present[k];
      if (t.cut) ++cut[k];
    }
  }
  if (samples > 0) {
    report.mean_tokens = static_cast<double>(total_tokens) / static_cast<double>(samples);
    report.truncated_fraction = static_cast<double>(truncated) / static_cast<double>(samples);
    for (size_t k = 0; k < report.tags.size(); ++k) {
      report.tags[k].present = static_cast<double>(present[k]) / static_cast<double>(samples);
      report.tags[k].cut = static_cast<double>(cut[k]) / static_cast<double>(samples);
    }
  }
  return report;
}

std::vector<KohyaCaptionSample> kohya_sample_captions(const ClipTokenizer& tokenizer, const KohyaCaptionParams& params,
                                                      const KohyaTrainingState& first, std::string_view caption,
                                                      const std::vector<uint64_t>& seeds, int epochs, size_t limit,
                                                      bool tag_positions,
                                                      const std::vector<KohyaReplacement>& replacements) {
  std::vector<KohyaCaptionSample> out;
  for (uint64_t seed : seeds) {
    KohyaRandom rng(seed);  // one generator per seed, drawn through the epochs as in a training run
    for (int e = 0; e < epochs; ++e) {
      KohyaTrainingState state = first;
      state.epoch = first.epoch + e;
      KohyaCaptionSample s;
      s.epoch = state.epoch;
      s.seed = seed;
      s.caption = kohya_process_caption(params, state, caption, rng, replacements);
      s.tokens = tokenizer.count(s.caption);
      s.truncated = s.tokens > limit;
      if (tag_positions || s.truncated)
        s.tags = kohya_tag_token_positions(tokenizer, s.caption, params.caption_separator, limit);
      out.push_back(std::move(s));
    }
  }
  return out;
}

nlohmann::json to_json(const KohyaCaptionSample& s) {
  nlohmann::json cut = nlohmann::json::array(), tags = nlohmann::json::array();
  for (auto& t : s.tags) {
    tags.push_back({{"tag", t.tag}, {"end_token", t.end_token}, {"cut", t.cut}});
    if (t.cut) cut.push_back(t.tag);
  }
  return {{"epoch", s.epoch},         {"seed", s.seed},       {"caption", s.caption}, {"tokens", s.tokens},
          {"truncated", s.truncated}, {"cut_tags", cut},      {"tags", tags}};
}

}  // namespace tagmetry
