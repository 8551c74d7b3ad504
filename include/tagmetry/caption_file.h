#pragma once
// A caption file's bytes as every command reads and writes them: the UTF-8 BOM and each line's own line
// ending are kept exactly, so an edit changes the text it means to and nothing else. Files that are not
// UTF-8 are named by their likely encoding (Shift-JIS, UTF-16) instead of being read as garbage, and can
// be converted on request.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/status.h"

namespace tagmetry {

struct CaptionFile {
  std::string bom;                 // "\xEF\xBB\xBF" or ""
  std::vector<std::string> lines;  // the text of each line, without its line ending
  std::vector<std::string> eols;   // each line's ending: "\r\n", "\n", "\r" or "" (a last line without one)

  // The line ending new lines get: the first line's, else "\n".
  std::string eol() const;
  // BOM + every line with its own ending: parse_caption_file(x).bytes() == x for any UTF-8 x.
  std::string bytes() const;
  // Sets line `i` (appending lines as needed, each ended by eol()).
  void set_line(size_t i, std::string text);
};

// The likely encoding of bytes that are not valid UTF-8: "UTF-16LE", "UTF-16BE", "Shift-JIS", or "" when
// none fits.
std::string guess_non_utf8_encoding(std::string_view bytes);

// Splits caption bytes. Errors (kCorrupt) for text that is not UTF-8, naming `name` and the encoding:
// "e3.txt is Shift-JIS, not UTF-8; left unchanged (convert it with `tagmetry edit DIR to-utf8`)", or the
// byte and offset when no encoding fits.
Result<CaptionFile> parse_caption_file(std::string_view bytes, std::string_view name);

// Converts Shift-JIS (CP932) or UTF-16 (with or without BOM) bytes to UTF-8 text with the same line
// endings, no BOM. Errors (kUnsupported) when `bytes` is none of those.
Result<std::string> convert_caption_to_utf8(std::string_view bytes, std::string_view name);

}  // namespace tagmetry
