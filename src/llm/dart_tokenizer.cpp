#include "tagmetry/dart_tokenizer.h"

#include <algorithm>
#include <regex>
#include <nlohmann/json.hpp>

#include "tagmetry/files.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

const std::string kEmpty;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// True when the normalizer is Lowercase, or a Sequence containing it. Other normalizers are not used by
// the Dart tokenizers; they are rejected rather than silently ignored.
Status read_normalizer(const nlohmann::json& n, bool& lowercase, std::string_view source) {
  if (n.is_null()) return {};
  std::string type = n.value("type", "");
  if (type == "Lowercase") {
    lowercase = true;
    return {};
  }
  if (type == "Sequence") {
    for (auto& part : n.value("normalizers", nlohmann::json::array()))
      TM_RETURN_IF_ERROR(read_normalizer(part, lowercase, source));
    return {};
  }
  return corrupt(std::string(source) + ": unsupported normalizer '" + type + "' (Dart tokenizers use Lowercase)");
}

// The pre-tokenizer: Split(pattern, behavior "Removed") as Dart's tokenizers have, or none. Anything else
// is rejected rather than applied wrongly. Sets `pattern` ("" = no split) and whether it is the usual one.
Status read_pre_tokenizer(const nlohmann::json& pt, std::string& pattern, bool& is_regex, std::string_view source) {
  const std::string src(source);
  if (pt.is_null()) return {};
  std::string type = pt.value("type", "");
  if (type == "Sequence") {
    auto list = pt.value("pretokenizers", nlohmann::json::array());
    if (list.size() == 1) return read_pre_tokenizer(list[0], pattern, is_regex, source);
  }
  if (type != "Split")
    return corrupt(src + ": unsupported pre_tokenizer '" + type + "' (Dart tokenizers use Split)");
  if (pt.value("behavior", "") != "Removed" || pt.value("invert", false))
    return corrupt(src + ": unsupported Split behavior (Dart tokenizers remove the separators)");
  const auto& pat = pt.value("pattern", nlohmann::json::object());
  if (pat.contains("Regex") && pat["Regex"].is_string()) {
    pattern = pat["Regex"].get<std::string>();
    is_regex = true;
  } else if (pat.contains("String") && pat["String"].is_string()) {
    pattern = pat["String"].get<std::string>();
    is_regex = false;
  } else {
    return corrupt(src + ": Split pre_tokenizer without a pattern");
  }
  if (pattern.empty()) return corrupt(src + ": Split pre_tokenizer with an empty pattern");
  return {};
}

}  // namespace

Result<DartTokenizer> DartTokenizer::parse(std::string_view json_text, std::string_view source) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  const std::string src(source);
  if (j.is_discarded() || !j.is_object()) return corrupt(src + ": not a JSON object (tokenizer.json expected)");
  const auto& model = j.value("model", nlohmann::json::object());
  if (model.value("type", "") != "WordLevel")
    return corrupt(src + ": tokenizer model is '" + model.value("type", std::string("?")) +
                   "', not WordLevel (not a Dart tokenizer)");
  const auto& vocab = model.value("vocab", nlohmann::json::object());
  if (!vocab.is_object() || vocab.empty()) return corrupt(src + ": WordLevel model has no vocab");

  DartTokenizer t;
  auto put = [&](const std::string& text, int64_t id) -> Status {
    if (id < 0 || id > 10'000'000) return corrupt(src + ": token id " + std::to_string(id) + " out of range");
    if (static_cast<size_t>(id) >= t.id_to_token_.size()) {
      t.id_to_token_.resize(id + 1);
      t.special_.resize(id + 1, false);
    }
    t.id_to_token_[id] = text;
    t.vocab_[text] = static_cast<int32_t>(id);
    return {};
  };
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer()) return corrupt(src + ": vocab entry '" + it.key() + "' has no integer id");
    TM_RETURN_IF_ERROR(put(it.key(), it.value().get<int64_t>()));
  }
  for (auto& a : j.value("added_tokens", nlohmann::json::array())) {
    std::string content = a.value("content", "");
    int64_t id = a.value("id", int64_t{-1});
    if (content.empty()) continue;
    TM_RETURN_IF_ERROR(put(content, id));
    t.special_[id] = a.value("special", true);
    t.added_.emplace_back(content, static_cast<int32_t>(id));
  }
  std::stable_sort(t.added_.begin(), t.added_.end(),
                   [](auto& a, auto& b) { return a.first.size() > b.first.size(); });
  TM_RETURN_IF_ERROR(read_normalizer(j.value("normalizer", nlohmann::json()), t.lowercase_, source));
  std::string pattern;
  bool is_regex = false;
  TM_RETURN_IF_ERROR(read_pre_tokenizer(j.value("pre_tokenizer", nlohmann::json()), pattern, is_regex, source));
  if (!pattern.empty()) {
    if (is_regex && pattern == ",(?:\\s)*") {
      t.split_ = Split::kCommaSpaces;  // Dart's own: the fast path
    } else {
      try {
        t.split_regex_ = std::make_shared<const std::regex>(is_regex ? pattern : std::regex_replace(pattern, std::regex(R"([\^$.|?*+()\[\]{}\\])"), R"(\$&)"));
        t.split_ = Split::kRegex;
      } catch (const std::regex_error&) {
        return corrupt(src + ": cannot use the pre_tokenizer pattern '" + pattern + "'");
      }
    }
  }

  std::string unk = model.value("unk_token", "");
  auto u = t.vocab_.find(unk);
  if (unk.empty() || u == t.vocab_.end()) return corrupt(src + ": WordLevel model has no unk_token in its vocab");
  t.unk_id_ = u->second;
  return t;
}

Result<DartTokenizer> DartTokenizer::load(const std::filesystem::path& tokenizer_json) {
  TM_ASSIGN_OR_RETURN(std::string text, read_file(tokenizer_json));
  return parse(text, tokenizer_json.string());
}

void DartTokenizer::encode_piece_list(std::string_view text, std::vector<int32_t>& out) const {
  std::string norm = lowercase_ ? to_lower_ascii(text) : std::string(text);
  auto lookup = [&](const std::string& piece) {
    if (piece.empty()) return;
    auto it = vocab_.find(piece);
    out.push_back(it == vocab_.end() ? unk_id_ : it->second);
  };
  if (split_ == Split::kNone) return lookup(norm);
  if (split_ == Split::kRegex) {
    std::sregex_token_iterator it(norm.begin(), norm.end(), *split_regex_, -1), end;
    for (; it != end; ++it) lookup(it->str());
    return;
  }
  // Split on ",\s*" (the separator removed); pieces are looked up exactly, surrounding spaces included,
  // as the tokenizers library does.
  size_t start = 0;
  for (size_t i = 0; i <= norm.size(); ++i) {
    if (i < norm.size() && norm[i] != ',') continue;
    if (i > start) {
      auto it = vocab_.find(norm.substr(start, i - start));
      out.push_back(it == vocab_.end() ? unk_id_ : it->second);
    }
    if (i == norm.size()) break;
    size_t j = i + 1;
    while (j < norm.size() && is_space(norm[j])) ++j;
    start = j;
    i = j - 1;
  }
}

std::vector<int32_t> DartTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> out;
  size_t plain = 0;  // start of the text not yet tokenized
  for (size_t i = 0; i < text.size();) {
    const std::pair<std::string, int32_t>* hit = nullptr;
    for (auto& a : added_)
      if (text.compare(i, a.first.size(), a.first) == 0) {
        hit = &a;
        break;
      }
    if (!hit) {
      ++i;
      continue;
    }
    encode_piece_list(text.substr(plain, i - plain), out);
    out.push_back(hit->second);
    i += hit->first.size();
    plain = i;
  }
  encode_piece_list(text.substr(plain), out);
  return out;
}

const std::string& DartTokenizer::token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) return kEmpty;
  return id_to_token_[id];
}

int32_t DartTokenizer::id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  return it == vocab_.end() ? -1 : it->second;
}

bool DartTokenizer::is_special(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < special_.size() && special_[id];
}

std::vector<std::string> DartTokenizer::decode_tags(const std::vector<int32_t>& ids) const {
  std::vector<std::string> tags;
  for (int32_t id : ids) {
    if (is_special(id)) continue;
    const std::string& t = token(id);
    if (!t.empty()) tags.push_back(t);
  }
  return tags;
}

}  // namespace tagmetry
