// Pure edits on tag lists, and tag matching (exact, glob, regex).
#include <algorithm>
#include <set>

#include "tagmetry/caption_edit.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

// Translates a glob to an ECMAScript regex over UTF-8 bytes: `?` is one code point.
Result<std::string> glob_to_regex(const std::string& glob) {
  std::string re;
  for (size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    if (c == '*') {
      re += "[\\s\\S]*";
    } else if (c == '?') {
      re += "(?:[\\x00-\\x7f]|[\\xc0-\\xff][\\x80-\\xbf]*)";
    } else if (c == '[') {
      size_t close = glob.find(']', i + 2);
      if (close == std::string::npos) return invalid_argument("glob '" + glob + "': unclosed '['");
      std::string set = glob.substr(i + 1, close - i - 1);
      if (!set.empty() && set[0] == '!') set[0] = '^';
      re += "[";
      for (char s : set) {
        if (s == '\\' || s == ']') re += '\\';
        re += s;
      }
      re += "]";
      i = close;
    } else {
      if (std::string_view("\\^$.|+(){}[]").find(c) != std::string_view::npos) re += '\\';
      re += c;
    }
  }
  return re;
}

}  // namespace

Result<MatchMode> parse_match_mode(const std::string& name) {
  if (name == "exact") return MatchMode::kExact;
  if (name == "glob") return MatchMode::kGlob;
  if (name == "regex") return MatchMode::kRegex;
  return invalid_argument("--match: '" + name + "' is not one of exact, glob, regex");
}

Status check_tag(std::string_view tag) {
  std::string_view t = trim(tag);
  if (t.empty()) return invalid_argument("empty tag");
  if (t.find(',') != std::string_view::npos)
    return invalid_argument("'" + std::string(t) + "' holds a comma: give each tag separately");
  if (t.find_first_of("\r\n") != std::string_view::npos)
    return invalid_argument("'" + std::string(t) + "' holds a line break: a tag is one line");
  return {};
}

Result<TagMatcher> TagMatcher::create(const std::string& pattern, MatchMode mode) {
  TagMatcher m;
  m.pattern_ = pattern;
  m.mode_ = mode;
  if (mode == MatchMode::kExact) return m;
  std::string re = pattern;
  if (mode == MatchMode::kGlob) {
    TM_ASSIGN_OR_RETURN(re, glob_to_regex(pattern));
  }
  try {
    m.regex_ = std::make_shared<const std::regex>(re, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return invalid_argument(std::string(mode == MatchMode::kGlob ? "glob" : "regular expression") + " '" + pattern +
                            "' is invalid: " + e.what());
  }
  return m;
}

bool TagMatcher::matches(const std::string& tag) const {
  if (mode_ == MatchMode::kExact) return tag == pattern_;
  return std::regex_match(tag, *regex_);
}

std::string TagMatcher::replace(const std::string& tag, const std::string& replacement) const {
  if (mode_ != MatchMode::kRegex) return replacement;
  std::smatch m;
  if (!std::regex_match(tag, m, *regex_)) return tag;
  return m.format(replacement);
}

std::vector<std::string> add_tags(const std::vector<std::string>& tags, const std::vector<std::string>& add,
                                  AddPosition position, size_t index) {
  std::set<std::string> adding(add.begin(), add.end());
  std::vector<std::string> rest;
  size_t removed_before = 0;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (adding.count(tags[i])) {
      if (i < index) ++removed_before;
      continue;
    }
    rest.push_back(tags[i]);
  }
  std::vector<std::string> unique_add;
  for (const auto& t : add)
    if (std::find(unique_add.begin(), unique_add.end(), t) == unique_add.end()) unique_add.push_back(t);
  size_t at = 0;
  switch (position) {
    case AddPosition::kFirst: at = 0; break;
    case AddPosition::kLast: at = rest.size(); break;
    case AddPosition::kIndex: at = std::min(index - std::min(index, removed_before), rest.size()); break;
  }
  rest.insert(rest.begin() + static_cast<long>(at), unique_add.begin(), unique_add.end());
  return rest;
}

std::vector<std::string> remove_tags(const std::vector<std::string>& tags, const std::vector<TagMatcher>& matchers) {
  std::vector<std::string> out;
  for (const auto& t : tags) {
    bool hit = std::any_of(matchers.begin(), matchers.end(), [&](const TagMatcher& m) { return m.matches(t); });
    if (!hit) out.push_back(t);
  }
  return out;
}

std::vector<std::string> replace_tags(const std::vector<std::string>& tags, const TagMatcher& matcher,
                                      const std::string& replacement) {
  return replace_tags(tags, matcher, std::vector<std::string>{replacement});
}

std::vector<std::string> replace_tags(const std::vector<std::string>& tags, const TagMatcher& matcher,
                                      const std::vector<std::string>& replacements) {
  std::vector<std::string> out;
  auto keep = [&out](std::string v) {
    if (v.empty() || std::find(out.begin(), out.end(), v) != out.end()) return;
    out.push_back(std::move(v));
  };
  for (const auto& t : tags) {
    if (!matcher.matches(t)) {
      keep(t);
      continue;
    }
    for (const auto& r : replacements) keep(matcher.replace(t, r));
  }
  return out;
}

std::vector<std::string> move_first(const std::vector<std::string>& tags, const std::vector<TagMatcher>& matchers) {
  std::vector<std::string> front;
  std::vector<bool> taken(tags.size(), false);
  for (const auto& m : matchers) {
    for (size_t i = 0; i < tags.size(); ++i) {
      if (!taken[i] && m.matches(tags[i])) {
        taken[i] = true;
        front.push_back(tags[i]);
      }
    }
  }
  for (size_t i = 0; i < tags.size(); ++i)
    if (!taken[i]) front.push_back(tags[i]);
  return front;
}

std::vector<std::string> dedupe_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& t : tags)
    if (seen.insert(t).second) out.push_back(t);
  return out;
}

std::vector<std::string> sort_tags_alpha(const std::vector<std::string>& tags) {
  std::vector<std::string> out = tags;
  std::stable_sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sort_tags_by_frequency(const std::vector<std::string>& tags,
                                                const std::map<std::string, size_t>& counts) {
  std::vector<std::string> out = tags;
  auto count = [&](const std::string& t) {
    auto it = counts.find(t);
    return it == counts.end() ? size_t{0} : it->second;
  };
  std::stable_sort(out.begin(), out.end(), [&](const std::string& a, const std::string& b) {
    size_t ca = count(a), cb = count(b);
    if (ca != cb) return ca > cb;
    return a < b;
  });
  return out;
}

}  // namespace tagmetry
