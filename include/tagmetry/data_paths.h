#pragma once
// Where Tagmetry's shipped data files (data/ in the source tree, share/tagmetry when installed) live.

#include <filesystem>
#include <string_view>

#include "tagmetry/status.h"

namespace tagmetry {

// Returns the path of a shipped data file, e.g. find_data_file("clip/bpe_simple_vocab_16e6.txt.gz").
// Looks in $TAGMETRY_DATA_DIR, then ../share/tagmetry beside the executable, then the source tree's data/.
Result<std::filesystem::path> find_data_file(std::string_view relative);

// The per-user cache folder: $TAGMETRY_CACHE, else $XDG_CACHE_HOME/tagmetry, else ~/.cache/tagmetry.
std::filesystem::path user_cache_dir();

}  // namespace tagmetry
