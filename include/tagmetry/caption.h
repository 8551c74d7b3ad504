#pragma once
// Captions as kohya reads them: a text file beside each image. The first line is the tag list
// ("1girl, solo, long_hair"); further lines exist in hybrid captions (one chosen at random by kohya's
// enable_wildcard). Tags are separated by a separator (default ",") and trimmed.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

// Splits one caption line into tags: split on `separator`, trim, drop empty pieces.
std::vector<std::string> parse_tags(std::string_view line, std::string_view separator = ",");

// Joins tags with `separator` (default ", ").
std::string format_tags(const std::vector<std::string>& tags, std::string_view separator = ", ");

// A caption file's content split into lines (LF; a trailing newline does not make an empty last line).
struct CaptionText {
  std::vector<std::string> lines;

  // Tags of the first line (the tag line); empty when there are no lines.
  std::vector<std::string> tags(std::string_view separator = ",") const;
  // Lines joined with "\n" (no trailing newline).
  std::string text() const;
};

CaptionText parse_caption_text(std::string_view text);

// Reads a caption file (UTF-8 with BOM/CRLF tolerated; non-UTF-8 is an error naming the file).
Result<CaptionText> read_caption(const std::filesystem::path& path);

// Writes a caption atomically: lines joined with "\n", no trailing newline (as kohya's taggers write).
Status write_caption(const std::filesystem::path& path, const CaptionText& caption);

}  // namespace tagmetry
