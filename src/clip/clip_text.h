#pragma once
// Text handling inside the CLIP tokenizer (private): normalisation and the pre-tokenizer that splits
// normalised text into pieces with simple_tokenizer's pattern
//   <|startoftext|> | <|endoftext|> | 's|'t|'re|'ve|'m|'ll|'d | \p{L}+ | \p{N} | [^\s\p{L}\p{N}]+
// Letter/number/space classes come from ICU (general category L*, N*, and the White_Space property).

#include <string>
#include <string_view>

namespace tagmetry::clip_text {

enum class CharClass { kSpace, kLetter, kNumber, kOther };

// Class of one code point.
CharClass classify(char32_t c);

// Calls fn(char32_t) for each code point of UTF-8 `s` (malformed bytes yield U+FFFD).
template <class Fn>
void for_each_code_point(std::string_view s, Fn&& fn);

// Decodes the code point at s[i], advancing i.
char32_t next_code_point(std::string_view s, size_t& i);

// Calls fn(std::string_view piece) for each pre-tokenizer piece of already normalised text.
template <class Fn>
void for_each_piece(std::string_view s, Fn&& fn) {
  static constexpr std::string_view kSpecials[] = {"<|startoftext|>", "<|endoftext|>"};
  static constexpr std::string_view kContractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
  size_t i = 0;
  while (i < s.size()) {
    std::string_view rest = s.substr(i);
    bool matched = false;
    if (rest[0] == '<' || rest[0] == '\'') {
      for (auto sp : kSpecials)
        if (!matched && rest.starts_with(sp)) {
          fn(rest.substr(0, sp.size()));
          i += sp.size();
          matched = true;
        }
      for (auto c : kContractions)
        if (!matched && rest.starts_with(c)) {
          fn(rest.substr(0, c.size()));
          i += c.size();
          matched = true;
        }
      if (matched) continue;
    }
    size_t start = i;
    CharClass k = classify(next_code_point(s, i));
    if (k == CharClass::kSpace) continue;
    if (k == CharClass::kNumber) {  // \p{N}: one digit per piece
      fn(s.substr(start, i - start));
      continue;
    }
    size_t end = i;
    while (end < s.size()) {
      size_t j = end;
      if (classify(next_code_point(s, j)) != k) break;
      end = j;
    }
    fn(s.substr(start, end - start));
    i = end;
  }
}

template <class Fn>
void for_each_code_point(std::string_view s, Fn&& fn) {
  size_t i = 0;
  while (i < s.size()) fn(next_code_point(s, i));
}

}  // namespace tagmetry::clip_text
