#pragma once
// Small string utilities shared by every module (UTF-8 aware where it matters).

#include <string>
#include <string_view>
#include <vector>

namespace tagmetry {

// Returns `s` without leading/trailing ASCII whitespace (space, \t, \r, \n, \f, \v).
std::string_view trim(std::string_view s);

// Splits on every occurrence of `sep` (non-empty); keeps empty pieces ("a,,b" → "a","","b").
std::vector<std::string> split(std::string_view s, std::string_view sep);

// Splits on `sep`, trims each piece and drops empty ones.
std::vector<std::string> split_trimmed(std::string_view s, std::string_view sep);

// Splits on an unescaped `sep` character; `\sep` and `\\` are unescaped in the pieces.
std::vector<std::string> split_escaped(std::string_view s, char sep);

std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string to_lower_ascii(std::string_view s);
std::string replace_all(std::string_view s, std::string_view from, std::string_view to);

// Returns the offset of the first byte that is not well-formed UTF-8 (overlongs and surrogates count
// as malformed), or std::string_view::npos when all of `s` is valid.
size_t find_invalid_utf8(std::string_view s);
inline bool is_valid_utf8(std::string_view s) { return find_invalid_utf8(s) == std::string_view::npos; }

// Removes a leading UTF-8 byte-order mark if present.
std::string_view strip_utf8_bom(std::string_view s);

// Converts CRLF and lone CR line endings to LF.
std::string normalize_newlines(std::string_view s);

// Natural ("human") ordering: "img2" < "img10". Compares digit runs by value; otherwise byte order.
bool natural_less(std::string_view a, std::string_view b);

// Formats a duration in seconds as "1h02m", "3m05s" or "12s".
std::string format_duration(double seconds);

// Quotes a string as a TOML basic string.
std::string toml_quote(std::string_view s);

}  // namespace tagmetry
