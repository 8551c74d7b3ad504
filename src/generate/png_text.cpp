// PNG text chunks (tEXt / iTXt) and A1111's infotext format.
#include "tagmetry/png_text.h"

#include <zlib.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);

uint32_t be32(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

void put32(std::string& out, uint32_t v) {
  out += static_cast<char>(v >> 24);
  out += static_cast<char>(v >> 16);
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v);
}

struct Chunk {
  size_t offset;  // of the length field
  size_t size;    // whole chunk: 12 + data
  std::string_view type;
  std::string_view data;
};

Result<std::vector<Chunk>> chunks(std::string_view png) {
  if (png.substr(0, 8) != kSignature) return corrupt("not a PNG (no PNG signature)");
  std::vector<Chunk> out;
  size_t at = 8;
  while (at < png.size()) {
    if (png.size() - at < 12) return corrupt("truncated PNG (chunk header at byte " + std::to_string(at) + ")");
    uint32_t len = be32(png, at);
    if (len > png.size() - at - 12) return corrupt("truncated PNG (chunk at byte " + std::to_string(at) + ")");
    out.push_back({at, 12 + static_cast<size_t>(len), png.substr(at + 4, 4), png.substr(at + 8, len)});
    at += 12 + len;
    if (out.back().type == "IEND") break;
  }
  if (out.empty() || out.front().type != "IHDR") return corrupt("PNG without IHDR");
  return out;
}

std::string chunk(std::string_view type, std::string_view data) {
  std::string out;
  put32(out, static_cast<uint32_t>(data.size()));
  size_t start = out.size();
  out += type;
  out += data;
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data() + start), static_cast<uInt>(out.size() - start));
  put32(out, static_cast<uint32_t>(crc));
  return out;
}

// UTF-8 → Latin-1 when every code point is below 256.
bool to_latin1(std::string_view utf8, std::string& out) {
  out.clear();
  for (size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = utf8[i];
    if (c < 0x80)
      out += static_cast<char>(c);
    else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size())
      out += static_cast<char>(((c & 0x03) << 6) | (utf8[++i] & 0x3F));
    else
      return false;
  }
  return true;
}

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80)
      out += static_cast<char>(c);
    else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string_view keyword_of(const Chunk& c) {
  auto z = c.data.find('\0');
  return z == std::string_view::npos ? std::string_view() : c.data.substr(0, z);
}

bool is_text(const Chunk& c) { return c.type == "tEXt" || c.type == "iTXt" || c.type == "zTXt"; }

}  // namespace

Result<std::string> set_png_text(std::string_view png, std::string_view keyword, std::string_view text) {
  TM_ASSIGN_OR_RETURN(auto list, chunks(png));
  std::string data;
  std::string latin1;
  std::string_view type;
  if (to_latin1(text, latin1)) {
    type = "tEXt";
    data = std::string(keyword) + '\0' + latin1;
  } else {
    type = "iTXt";  // keyword, NUL, compression flag 0, method 0, language "", NUL, translated "", NUL, text
    data = std::string(keyword) + '\0' + '\0' + '\0' + '\0' + '\0' + std::string(text);
  }
  std::string out(kSignature);
  out.reserve(png.size() + data.size() + 12);
  for (size_t i = 0; i < list.size(); ++i) {
    const Chunk& c = list[i];
    if (is_text(c) && keyword_of(c) == keyword) continue;
    out += png.substr(c.offset, c.size);
    if (i == 0) out += chunk(type, data);
  }
  return out;
}

Result<std::string> png_text(std::string_view png, std::string_view keyword) {
  TM_ASSIGN_OR_RETURN(auto list, chunks(png));
  for (auto& c : list) {
    if (!is_text(c) || keyword_of(c) != keyword) continue;
    std::string_view rest = c.data.substr(keyword.size() + 1);
    if (c.type == "tEXt") return latin1_to_utf8(rest);
    if (c.type == "iTXt" && rest.size() >= 2 && rest[0] == '\0') {
      rest = rest.substr(2);
      auto lang = rest.find('\0');
      if (lang == std::string_view::npos) continue;
      rest = rest.substr(lang + 1);
      auto translated = rest.find('\0');
      if (translated == std::string_view::npos) continue;
      return std::string(rest.substr(translated + 1));
    }
  }
  return std::string();
}

std::string png_text_chunk_type(std::string_view png, std::string_view keyword) {
  auto list = chunks(png);
  if (!list.ok()) return "";
  for (auto& c : *list)
    if (is_text(c) && keyword_of(c) == keyword) return std::string(c.type);
  return "";
}

std::string quote_infotext_value(std::string_view value) {
  if (value.find_first_of(",\n:") == std::string_view::npos) return std::string(value);
  return nlohmann::json(std::string(value)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

std::string number(double v) {
  if (std::abs(v - std::round(v)) < 1e-9) return std::to_string(static_cast<long long>(std::llround(v)));
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, p);
}

}  // namespace

std::string format_infotext(const Infotext& i) {
  std::vector<std::pair<std::string, std::string>> kv = {
      {"Steps", std::to_string(i.steps)}, {"Sampler", i.sampler},
      {"Schedule type", i.scheduler},     {"CFG scale", number(i.cfg)},
      {"Seed", std::to_string(i.seed)},   {"Size", std::to_string(i.width) + "x" + std::to_string(i.height)},
      {"Model hash", i.model_hash},       {"Model", i.model},
      {"Lora hashes", i.lora_hashes}};
  for (auto& e : i.extra) kv.push_back(e);
  kv.push_back({"Version", i.version});
  std::vector<std::string> parts;
  for (auto& [k, v] : kv) {
    if (v.empty()) continue;  // A1111 omits None values
    parts.push_back(k == v ? k : k + ": " + quote_infotext_value(v));
  }
  std::string out = i.prompt;
  if (!i.negative.empty()) {
    out += "\nNegative prompt: ";
    out += i.negative;
  }
  out += '\n';
  out += join(parts, ", ");
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_infotext_parameters(std::string_view infotext) {
  std::string text(infotext);
  auto nl = text.rfind('\n');
  std::string last = nl == std::string::npos ? text : text.substr(nl + 1);
  static const std::regex re(R"re(\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$))re");
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = std::sregex_iterator(last.begin(), last.end(), re); it != std::sregex_iterator(); ++it) {
    std::string v = (*it)[2];
    if (v.size() >= 2 && v.front() == '"') {
      try {
        v = nlohmann::json::parse(v).get<std::string>();
      } catch (...) {
      }
    }
    out.emplace_back((*it)[1], v);
  }
  if (out.size() < 3) out.clear();
  return out;
}

}  // namespace tagmetry
