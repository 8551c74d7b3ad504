#pragma once
// Private to the store module: journal queries that only some commands need.

#include <string>
#include <unordered_map>
#include <vector>

#include "tagmetry/caption_journal.h"
#include "tagmetry/store.h"

namespace tagmetry::store_internal {

// CaptionJournal::last_written restricted to `relpaths`: one index lookup per file (journal_relpath)
// instead of a pass over the whole journal, which grows by one row per caption write and so with every
// retag. Files Tagmetry never wrote are absent from the result.
Result<std::unordered_map<std::string, LastWrite>> last_written_to(const Store& store,
                                                                   const std::vector<std::string>& relpaths);

}  // namespace tagmetry::store_internal
