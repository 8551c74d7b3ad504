// PreparedEdit: one edit operation checked and compiled once, applied to tag lists by `tagmetry edit` and
// the web app's batch edit; the JSON of an edit report.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "tagmetry/caption_edit.h"
#include "tagmetry/strings.h"

namespace tagmetry {

Result<PreparedEdit> PreparedEdit::create(const EditOperation& op) {
  using Kind = EditOperation::Kind;
  PreparedEdit p;
  p.op_ = op;
  for (auto& t : p.op_.tags) t = std::string(trim(t));
  const std::vector<std::string>& tags = p.op_.tags;
  const std::string kind = edit_kind_name(op.kind);
  if ((op.kind == Kind::kAdd || op.kind == Kind::kRemove || op.kind == Kind::kMoveFirst) && tags.empty())
    return invalid_argument(kind + " needs at least one tag");
  if (op.kind == Kind::kReplace && tags.size() < 2) return invalid_argument("replace needs OLD and NEW");
  if (op.kind == Kind::kAdd)
    for (const auto& t : tags)
      if (Status s = check_tag(t); !s.ok()) return invalid_argument("add: " + s.message());
  if (op.kind == Kind::kReplace)
    for (size_t i = 1; i < tags.size(); ++i)
      if (!tags[i].empty())
        if (Status s = check_tag(tags[i]); !s.ok()) return invalid_argument("replace: " + s.message());
  if (op.kind == Kind::kRemove || op.kind == Kind::kMoveFirst || op.kind == Kind::kReplace) {
    const size_t patterns = op.kind == Kind::kReplace ? 1 : tags.size();
    for (size_t i = 0; i < patterns; ++i) {
      TM_ASSIGN_OR_RETURN(TagMatcher m, TagMatcher::create(tags[i], op.match));
      p.matchers_.push_back(std::move(m));
    }
  }
  if (op.kind == Kind::kSort && op.sort_by != "alpha" && op.sort_by != "frequency" && op.sort_by != "confidence")
    return invalid_argument("sort --by: '" + op.sort_by + "' is not one of alpha, frequency, confidence");
  return p;
}

std::vector<std::string> PreparedEdit::apply(const std::vector<std::string>& tags) const {
  using Kind = EditOperation::Kind;
  switch (op_.kind) {
    case Kind::kAdd: return add_tags(tags, op_.tags, op_.position, op_.index);
    case Kind::kRemove: return remove_tags(tags, matchers_);
    case Kind::kReplace:
      if (op_.tags.size() == 2) return replace_tags(tags, matchers_[0], op_.tags[1]);
      return replace_tags(tags, matchers_[0], std::vector<std::string>(op_.tags.begin() + 1, op_.tags.end()));
    case Kind::kMoveFirst: return move_first(tags, matchers_);
    case Kind::kDedupe: return dedupe_tags(tags);
    case Kind::kSort: {
      const size_t keep = std::min(op_.keep > 0 ? static_cast<size_t>(op_.keep) : 0, tags.size());
      std::vector<std::string> out(tags.begin(), tags.begin() + static_cast<long>(keep));
      std::vector<std::string> tail = sort_tags_alpha({tags.begin() + static_cast<long>(keep), tags.end()});
      out.insert(out.end(), tail.begin(), tail.end());
      return out;
    }
    case Kind::kToUtf8: break;
  }
  return tags;
}

TagDelta tag_delta(const std::set<std::string>& before, const std::set<std::string>& after) {
  TagDelta d;
  for (const auto& t : after) d.added += before.count(t) ? 0 : 1;
  for (const auto& t : before) d.removed += after.count(t) ? 0 : 1;
  return d;
}

TagDelta tag_delta(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  auto distinct = [](const std::vector<std::string>& tags) {
    std::vector<std::string_view> v(tags.begin(), tags.end());
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  const std::vector<std::string_view> b = distinct(before), a = distinct(after);
  TagDelta d;
  size_t i = 0, j = 0, common = 0;
  while (i < b.size() && j < a.size()) {
    if (b[i] < a[j]) ++i;
    else if (a[j] < b[i]) ++j;
    else ++common, ++i, ++j;
  }
  d.added = a.size() - common;
  d.removed = b.size() - common;
  return d;
}

nlohmann::json to_json(const EditReport& r) {
  nlohmann::json j{{"operation", r.operation},
                   {"dry_run", r.dry_run},
                   {"files", r.files},
                   {"changed", r.changed},
                   {"unchanged", r.files - r.changed - r.skipped.size()},
                   {"tags_added", r.tags_added},
                   {"tags_removed", r.tags_removed}};
  nlohmann::json changes = nlohmann::json::array(), skipped = nlohmann::json::array();
  for (const auto& c : r.changes) changes.push_back({{"file", c.file}, {"before", c.before}, {"after", c.after}});
  for (const auto& [file, why] : r.skipped) skipped.push_back({{"file", file}, {"error", why}});
  j["changes"] = changes;
  j["skipped"] = skipped;
  return j;
}

}  // namespace tagmetry
