#include "tagmetry/caption.h"

#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {

std::vector<std::string> parse_tags(std::string_view line, std::string_view separator) {
  return split_trimmed(line, separator);
}

std::string format_tags(const std::vector<std::string>& tags, std::string_view separator) {
  return join(tags, separator);
}

std::vector<std::string> CaptionText::tags(std::string_view separator) const {
  if (lines.empty()) return {};
  return parse_tags(lines.front(), separator);
}

std::string CaptionText::text() const { return join(lines, "\n"); }

CaptionText parse_caption_text(std::string_view text) {
  CaptionText c;
  std::string normalized = normalize_newlines(strip_utf8_bom(text));
  std::string_view body = normalized;
  while (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  if (!body.empty()) c.lines = split(body, "\n");
  return c;
}

Result<CaptionText> read_caption(const std::filesystem::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  return parse_caption_text(text);
}

Status write_caption(const std::filesystem::path& path, const CaptionText& caption) {
  return write_file_atomic(path, caption.text());
}

}  // namespace tagmetry
