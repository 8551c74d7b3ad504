// CLIP text normalisation with ICU. ASCII text (the common case for tag captions) takes a fast path
// that gives the same result without ICU.
#include "clip_text.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <array>

#include "tagmetry/clip_tokenizer.h"

namespace tagmetry::clip_text {

namespace {

std::array<CharClass, 128> make_ascii_classes() {
  std::array<CharClass, 128> t{};
  for (int c = 0; c < 128; ++c) {
    if (c == ' ' || (c >= '\t' && c <= '\r')) t[c] = CharClass::kSpace;
    else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) t[c] = CharClass::kLetter;
    else if (c >= '0' && c <= '9') t[c] = CharClass::kNumber;
    else t[c] = CharClass::kOther;
  }
  return t;
}
const std::array<CharClass, 128> kAscii = make_ascii_classes();

bool is_ascii_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// The parts of ftfy.fix_text that matter for captions: fullwidth ASCII → ASCII, ideographic space →
// space (fix_character_width), curly quotes → straight ones (uncurl_quotes).
char32_t ftfy_map_impl(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFEE0;
  if (c == 0x3000) return ' ';
  if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) return '\'';
  if (c >= 0x201C && c <= 0x201F) return '"';
  return c;
}

}  // namespace

CharClass classify(char32_t c) {
  if (c < 128) return kAscii[c];
  if (u_isUWhiteSpace(static_cast<UChar32>(c))) return CharClass::kSpace;
  const uint32_t mask = U_GET_GC_MASK(static_cast<UChar32>(c));
  if (mask & U_GC_L_MASK) return CharClass::kLetter;
  if (mask & U_GC_N_MASK) return CharClass::kNumber;
  return CharClass::kOther;
}

char32_t next_code_point(std::string_view s, size_t& i) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  if (p[i] < 0x80) return p[i++];
  int32_t idx = static_cast<int32_t>(i);
  UChar32 c;
  U8_NEXT_OR_FFFD(p, idx, static_cast<int32_t>(s.size()), c);
  i = static_cast<size_t>(idx);
  return static_cast<char32_t>(c);
}

}  // namespace tagmetry::clip_text

namespace tagmetry {

std::string clip_normalize(std::string_view text) {
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c < 0x80;
  std::string out;
  out.reserve(text.size());
  if (ascii) {
    bool pending_space = false;
    for (unsigned char c : text) {
      if (clip_text::is_ascii_space(c)) {
        pending_space = !out.empty();
        continue;
      }
      if (pending_space) out += ' ';
      pending_space = false;
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return out;
  }
  icu::UnicodeString mapped;
  clip_text::for_each_code_point(text, [&](char32_t c) { mapped.append(static_cast<UChar32>(clip_text::ftfy_map_impl(c))); });
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
  icu::UnicodeString normalized = U_SUCCESS(err) ? nfc->normalize(mapped, err) : mapped;
  if (U_FAILURE(err)) normalized = mapped;
  icu::UnicodeString collapsed;
  bool pending_space = false;
  for (int32_t i = 0; i < normalized.length();) {
    UChar32 c = normalized.char32At(i);
    i += U16_LENGTH(c);
    if (u_isUWhiteSpace(c)) {
      pending_space = !collapsed.isEmpty();
      continue;
    }
    if (pending_space) collapsed.append(static_cast<UChar>(' '));
    pending_space = false;
    collapsed.append(c);
  }
  collapsed.toLower(icu::Locale::getRoot());
  collapsed.toUTF8String(out);
  return out;
}

}  // namespace tagmetry
