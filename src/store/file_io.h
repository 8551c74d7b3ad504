#pragma once
// Private to the store module: reading caption files with plain system calls (open, fstat, read).

#include <filesystem>
#include <optional>
#include <string>

#include "tagmetry/status.h"

namespace tagmetry::store_internal {

// read_caption_if_exists (caption_journal.h) for a path that may be a symbolic link: when it is one,
// sets *is_link and reads nothing (the caller decides what a link means); else *is_link is false.
Result<std::optional<std::string>> read_caption_no_follow(const std::filesystem::path& path, bool* is_link);

}  // namespace tagmetry::store_internal
