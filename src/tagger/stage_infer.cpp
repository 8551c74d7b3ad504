// infer: a batch of decoded images through the model, and the stored scores of the images that have them
// (tag_stages.h).
#include <algorithm>
#include <tuple>

#include "tag_stages.h"

namespace tagmetry::tagging {

InferStage::InferStage(Tagger& tagger, const Store& store, int64_t model_id, size_t batch)
    : tagger_(tagger), store_(store), model_id_(model_id), input_(batch * tagger.input_size()) {}

Result<ScoredBatch> InferStage::run(std::vector<Prepared>& pending, std::vector<Prepared>& reuse,
                                    DecodeStage& decode) {
  std::vector<std::vector<float>> probs;
  if (!pending.empty()) {
    const size_t n = pending.size(), floats = tagger_.input_size();
    for (size_t i = 0; i < n; ++i) {
      std::copy(pending[i].buffer->begin(), pending[i].buffer->end(), input_.begin() + i * floats);
      decode.release(pending[i].buffer);
      pending[i].buffer = nullptr;
    }
    TM_ASSIGN_OR_RETURN(probs, tagger_.infer(input_.data(), n));
  }
  // Captions are selected from the values as stored, so retag derives exactly the same ones.
  ScoredBatch out;
  for (size_t i = 0; i < pending.size(); ++i) {
    Prepared& p = pending[i];
    p.record.width = p.width, p.record.height = p.height;
    out.items.push_back(&p);
    out.scores.push_back(probs[i].empty() ? probs[i] : decode_scores(encode_scores(probs[i]), probs[i].size()));
    out.fresh.push_back(true);
  }
  for (auto& p : reuse) {
    TM_ASSIGN_OR_RETURN(auto stored, store_.get_scores(p.record.sha256, model_id_, tagger_.labels().size()));
    if (p.record.width == 0) {
      auto size = store_.size_of(p.record.sha256);
      if (size.ok()) std::tie(p.record.width, p.record.height) = *size;
    }
    out.items.push_back(&p);
    out.scores.push_back(std::move(stored));
    out.fresh.push_back(false);
  }
  out.reused = reuse.size();
  return out;
}

}  // namespace tagmetry::tagging
