// The corpus's tags as ids (parallel.h): load_corpus's when consistent, else interned here.
#include <unordered_map>

#include "parallel.h"

namespace tagmetry::stats_internal {

TagIndex::TagIndex(const DatasetCorpus& corpus) : names_(&corpus.tag_names), items_(&corpus.items) {
  for (const CorpusItem& it : corpus.items) {
    if (it.tag_ids.size() != it.tags.size()) {
      own_ = true;
      break;
    }
    for (uint32_t id : it.tag_ids)
      if (id >= corpus.tag_names.size()) own_ = true;
    if (own_) break;
  }
  if (!own_) return;
  std::unordered_map<std::string, uint32_t> ids;
  own_ids_.resize(corpus.items.size());
  for (size_t i = 0; i < corpus.items.size(); ++i) {
    for (const std::string& t : corpus.items[i].tags) {
      auto [pos, inserted] = ids.try_emplace(t, uint32_t(own_names_.size()));
      if (inserted) own_names_.push_back(t);
      own_ids_[i].push_back(pos->second);
    }
  }
}

}  // namespace tagmetry::stats_internal
