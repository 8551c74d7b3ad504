// Caption bytes with their BOM and line endings kept; non-UTF-8 encodings named and converted on request.
#include "tagmetry/caption_file.h"

#include <iconv.h>

#include <cerrno>
#include <cstdio>

#include "tagmetry/strings.h"

namespace tagmetry {

std::string CaptionFile::eol() const { return !eols.empty() && !eols[0].empty() ? eols[0] : "\n"; }

std::string CaptionFile::bytes() const {
  std::string out = bom;
  for (size_t i = 0; i < lines.size(); ++i) out += lines[i] + (i < eols.size() ? eols[i] : "");
  return out;
}

void CaptionFile::set_line(size_t i, std::string text) {
  const std::string e = eol();
  while (lines.size() <= i) {
    if (!eols.empty() && eols.back().empty()) eols.back() = e;  // the old last line gets an ending
    lines.emplace_back();
    eols.emplace_back();
  }
  lines[i] = std::move(text);
}

namespace {

bool looks_like_utf16(std::string_view b, bool little) {
  if (b.size() < 2 || b.size() % 2 != 0) return false;
  // ASCII text in UTF-16 has a NUL in every other byte; Japanese text has none, so a BOM decides then.
  size_t zeros = 0, pairs = b.size() / 2;
  for (size_t i = 0; i < pairs; ++i) zeros += b[2 * i + (little ? 1 : 0)] == '\0';
  return zeros * 2 >= pairs;
}

bool is_shift_jis(std::string_view b) {
  bool any_multibyte = false;
  for (size_t i = 0; i < b.size(); ++i) {
    auto c = static_cast<unsigned char>(b[i]);
    if (c < 0x80 || (c >= 0xA1 && c <= 0xDF)) {  // ASCII, half-width katakana
      any_multibyte |= c >= 0xA1;
      continue;
    }
    if ((c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC)) {
      if (i + 1 >= b.size()) return false;
      auto t = static_cast<unsigned char>(b[i + 1]);
      if (t < 0x40 || t == 0x7F || t > 0xFC) return false;
      ++i;
      any_multibyte = true;
      continue;
    }
    return false;
  }
  return any_multibyte;
}

Result<std::string> iconv_to_utf8(std::string_view bytes, const char* from, std::string_view name) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1))
    return unsupported(std::string(name) + ": this system cannot convert " + from + " to UTF-8");
  std::string out(bytes.size() * 3 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* o = out.data();
  size_t out_left = out.size();
  size_t rc = iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1) || in_left != 0)
    return corrupt(std::string(name) + ": cannot be converted from " + from + " (invalid byte at offset " +
                   std::to_string(bytes.size() - in_left) + ")");
  out.resize(out.size() - out_left);
  return out;
}

}  // namespace

std::string guess_non_utf8_encoding(std::string_view b) {
  if (b.starts_with("\xFF\xFE") || looks_like_utf16(b, true)) return "UTF-16LE";
  if (b.starts_with("\xFE\xFF") || looks_like_utf16(b, false)) return "UTF-16BE";
  if (is_shift_jis(b)) return "Shift-JIS";
  return "";
}

Result<CaptionFile> parse_caption_file(std::string_view bytes, std::string_view name) {
  CaptionFile c;
  std::string_view body = bytes;
  if (body.starts_with("\xEF\xBB\xBF")) {
    c.bom = "\xEF\xBB\xBF";
    body.remove_prefix(3);
  }
  if (size_t bad = find_invalid_utf8(body); bad != std::string_view::npos || body.find('\0') != std::string_view::npos) {
    std::string enc = c.bom.empty() ? guess_non_utf8_encoding(bytes) : "";
    if (!enc.empty())
      return corrupt(std::string(name) + " is " + enc +
                     ", not UTF-8; left unchanged (convert it with `tagmetry edit DIR to-utf8`)");
    if (bad == std::string_view::npos) bad = body.find('\0');
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(body[bad]));
    return corrupt(std::string(name) + ": not valid UTF-8 (byte " + hex + " at offset " +
                   std::to_string(bad + c.bom.size()) + "); left unchanged");
  }
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find_first_of("\r\n", at);
    if (end == std::string_view::npos) {
      c.lines.emplace_back(body.substr(at));
      c.eols.emplace_back();
      break;
    }
    size_t len = body[end] == '\r' && end + 1 < body.size() && body[end + 1] == '\n' ? 2 : 1;
    c.lines.emplace_back(body.substr(at, end - at));
    c.eols.emplace_back(body.substr(end, len));
    at = end + len;
  }
  return c;
}

Result<std::string> convert_caption_to_utf8(std::string_view bytes, std::string_view name) {
  std::string enc = guess_non_utf8_encoding(bytes);
  if (enc.empty()) {
    if (is_valid_utf8(strip_utf8_bom(bytes))) return std::string(strip_utf8_bom(bytes));
    return unsupported(std::string(name) + ": not UTF-8, UTF-16 or Shift-JIS; left unchanged");
  }
  std::string_view body = bytes;
  if (enc == "UTF-16LE" && body.starts_with("\xFF\xFE")) body.remove_prefix(2);
  if (enc == "UTF-16BE" && body.starts_with("\xFE\xFF")) body.remove_prefix(2);
  const char* from = enc == "Shift-JIS" ? "CP932" : enc == "UTF-16LE" ? "UTF-16LE" : "UTF-16BE";
  return iconv_to_utf8(body, from, name);
}

}  // namespace tagmetry
