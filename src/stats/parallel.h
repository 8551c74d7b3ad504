#pragma once
// Private to the stats module: a parallel loop over index ranges, and the corpus's tags as ids.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tagmetry/parallel.h"
#include "tagmetry/dataset_stats.h"

namespace tagmetry::stats_internal {

using core_internal::parallel_chunks;

// Threads for a pass over `n` items: `requested` when > 0, else one per core, but one for small inputs
// (below `min_parallel` items) where starting threads costs more than it saves. At most 16.
inline unsigned pass_threads(int requested, size_t n, size_t min_parallel = 4096) {
  if (requested <= 0 && n < min_parallel) return 1;
  return core_internal::worker_threads(requested);
}

// The corpus's tags as ids into names(): load_corpus's own (CorpusItem::tag_ids) when every item has
// them, else assigned here in order of first use.
class TagIndex {
 public:
  explicit TagIndex(const DatasetCorpus& corpus);
  const std::vector<std::string>& names() const { return own_ ? own_names_ : *names_; }
  const std::vector<uint32_t>& ids(size_t item) const { return own_ ? own_ids_[item] : (*items_)[item].tag_ids; }

 private:
  bool own_ = false;
  const std::vector<std::string>* names_ = nullptr;
  const std::vector<CorpusItem>* items_ = nullptr;
  std::vector<std::string> own_names_;
  std::vector<std::vector<uint32_t>> own_ids_;
};

}  // namespace tagmetry::stats_internal
