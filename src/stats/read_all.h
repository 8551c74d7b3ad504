#pragma once
// Private to the stats module: one way to read a whole caption or image file, shared by stats and lint.

#include <string>

namespace tagmetry::stats_internal {

// Reads the rest of an open file with as few reads as its size needs, and closes `fd`. False on any
// failure (callers then ask read_text_file for the exact error, or skip the file).
bool read_all_and_close(int fd, std::string& out);

}  // namespace tagmetry::stats_internal
