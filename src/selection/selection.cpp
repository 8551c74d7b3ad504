#include <algorithm>
#include <numeric>
#include <unordered_set>

#include "tagmetry/caption.h"
#include "tagmetry/caption_file.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"
#include "tagmetry/tag_selection.h"

namespace tagmetry {

bool is_kaomoji(std::string_view tag) {
  // The WD tagger demo's list plus the faces the issue tracker names.
  static const char* kKaomoji[] = {"0_0", "(o)_(o)", "+_+", "+_-", "._.", "<o>_<o>", "<|>_<|>", "=_=", ">_<",
                                   "3_3", "6_9", ">_o", "@_@", "^_^", "o_o", "u_u", "x_x", "|_|", "||_||",
                                   "o_0", "0_o", "t_t", "-_-", ";_;", "._.;", "^_^;"};
  for (auto* k : kKaomoji)
    if (tag == k) return true;
  return false;
}

std::string remove_underscore(std::string_view tag) {
  if (is_kaomoji(tag)) return std::string(tag);
  return replace_all(tag, "_", " ");
}

namespace {

std::string underscored(std::string_view tag) { return replace_all(tag, " ", "_"); }

}  // namespace

bool is_colour_tag(std::string_view tag) {
  static const std::unordered_set<std::string> kColours = {
      "red", "blue", "green", "yellow", "orange", "pink", "purple", "violet", "brown", "black", "white", "grey",
      "gray", "silver", "blonde", "aqua", "light_brown", "light_blue", "light_green", "light_purple", "dark_blue",
      "dark_green", "dark_brown", "light_pink"};
  static const std::unordered_set<std::string> kWhole = {
      "multicolored_hair", "two-tone_hair", "gradient_hair", "streaked_hair", "colored_inner_hair",
      "split-color_hair", "heterochromia", "multicolored_eyes"};
  std::string t = underscored(tag);
  if (kWhole.count(t)) return true;
  for (std::string_view part : {std::string_view("_hair"), std::string_view("_eyes")})
    if (t.size() > part.size() && t.ends_with(part) && kColours.count(t.substr(0, t.size() - part.size())))
      return true;
  return false;
}

bool is_pose_or_expression_tag(std::string_view tag) {
  // Danbooru's most used expression and posture tags.
  static const std::unordered_set<std::string> kTags = {
      // expressions
      "smile", "open_mouth", "closed_mouth", "blush", "closed_eyes", "frown", "crying", "tears", "angry",
      "surprised", "grin", "smirk", "expressionless", "pout", ":d", ":o", ";d", ":3", "one_eye_closed",
      "tongue_out", "sad", "parted_lips", "laughing", "embarrassed", "annoyed", "serious", "happy", "nervous",
      "scared", "light_smile", "teeth", "half-closed_eyes", "wink",
      // poses
      "standing", "sitting", "lying", "kneeling", "squatting", "walking", "running", "jumping", "arms_up",
      "arms_behind_back", "arms_behind_head", "hand_on_hip", "hands_on_hips", "crossed_arms", "leaning_forward",
      "on_back", "on_stomach", "on_side", "looking_at_viewer", "looking_back", "looking_away", "looking_up",
      "looking_down", "peace_sign", "v", "outstretched_arms", "spread_arms", "head_tilt", "all_fours",
      "fighting_stance", "contrapposto", "hand_up", "arm_up", "crossed_legs", "indian_style", "seiza",
      "wariza", "hugging_own_legs", "hand_on_own_face", "hand_on_own_chest", "w", "salute"};
  return kTags.count(underscored(tag)) > 0;
}

double mcut_threshold(std::vector<float> p) {
  if (p.size() < 2) return 1.0;
  std::sort(p.begin(), p.end(), std::greater<float>());
  size_t best = 0;
  float gap = -1;
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    float d = p[i] - p[i + 1];
    if (d > gap) {
      gap = d;
      best = i;
    }
  }
  return (static_cast<double>(p[best]) + p[best + 1]) / 2.0;
}

Result<TagSelector> TagSelector::create(const SelectionParams& params, double model_general, double model_character) {
  TagSelector s;
  s.params_ = params;
  s.thresholds_.general = params.general_threshold.value_or(params.threshold.value_or(model_general));
  s.thresholds_.character = params.character_threshold.value_or(params.threshold.value_or(model_character));
  for (double t : {s.thresholds_.general, s.thresholds_.character})
    if (t < 0 || t > 1) return invalid_argument("thresholds must be between 0 and 1 (got " + std::to_string(t) + ")");
  if (params.rating != "none" && params.rating != "first" && params.rating != "last")
    return invalid_argument("--rating: '" + params.rating + "' is not one of none, first, last");
  if (params.order != "confidence" && params.order != "model")
    return invalid_argument("--order: '" + params.order + "' is not one of confidence, model");
  if (params.max_tags < 0) return invalid_argument("--max-tags must be >= 0");
  if (params.max_color_tags < 0) return invalid_argument("--max-color-tags must be >= 0");
  if (params.pose_expression_floor < 0 || params.pose_expression_floor > 1)
    return invalid_argument("--pose-expression-floor must be between 0 and 1");
  for (auto& t : split_trimmed(params.undesired_tags, ",")) s.undesired_.push_back(t);
  for (auto& t : split_trimmed(params.always_first_tags, ",")) s.always_first_.push_back(t);
  if (!trim(params.tag_replacement).empty()) {
    for (auto& pair : split_escaped(params.tag_replacement, ';')) {
      if (trim(pair).empty()) continue;
      auto parts = split_escaped(pair, ',');
      if (parts.size() != 2 || trim(parts[0]).empty())
        return invalid_argument("--tag-replacement: '" + pair + "' is not 'old,new' (escape literal commas as \\,)");
      s.replacements_.emplace_back(std::string(trim(parts[0])), std::string(trim(parts[1])));
    }
  }
  return s;
}

std::string TagSelector::display_name(const std::string& label) const {
  return params_.remove_underscore ? remove_underscore(label) : label;
}

bool same_tag(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] == ' ' ? '_' : a[i], y = b[i] == ' ' ? '_' : b[i];
    if (x != y) return false;
  }
  return true;
}

namespace {
bool contains_tag(const std::vector<std::string>& list, std::string_view tag) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& t) { return same_tag(t, tag); });
}
}  // namespace

void TagSelector::set_tag_thresholds(const std::unordered_map<std::string, double>& thresholds) {
  tag_thresholds_.clear();
  min_tag_threshold_ = 2.0;
  for (auto& [tag, t] : thresholds) {
    tag_thresholds_[replace_all(tag, " ", "_")] = t;
    min_tag_threshold_ = std::min(min_tag_threshold_, t);
  }
}

Thresholds TagSelector::lowest_thresholds() const {
  Thresholds t{std::min(thresholds_.general, min_tag_threshold_), std::min(thresholds_.character, min_tag_threshold_)};
  if (params_.pose_expression_floor > 0) t.general = std::min(t.general, params_.pose_expression_floor);
  return t;
}

ThresholdRange TagSelector::used_thresholds() const {
  if (!params_.mcut) return {thresholds_, thresholds_, 0};
  std::lock_guard<std::mutex> lock(used_->mutex);
  return used_->range;
}

std::vector<SelectedTag> TagSelector::select(const LabelSet& labels, const std::vector<float>& probs) const {
  const size_t n = std::min(labels.size(), probs.size());
  Thresholds th = thresholds_;
  if (params_.mcut) {
    std::vector<float> general, character;
    for (size_t i = 0; i < n; ++i) {
      if (labels.labels[i].category == TagCategory::kCharacter) character.push_back(probs[i]);
      else if (labels.labels[i].category != TagCategory::kRating) general.push_back(probs[i]);
    }
    th.general = mcut_threshold(general);
    th.character = std::max(0.15, mcut_threshold(character));
    std::lock_guard<std::mutex> lock(used_->mutex);
    ThresholdRange& r = used_->range;
    if (r.images++ == 0) {
      r.min = r.max = th;
    } else {
      r.min.general = std::min(r.min.general, th.general), r.max.general = std::max(r.max.general, th.general);
      r.min.character = std::min(r.min.character, th.character);
      r.max.character = std::max(r.max.character, th.character);
    }
  }

  std::vector<size_t> chosen;
  size_t best_rating = n;
  for (size_t i = 0; i < n; ++i) {
    const Label& l = labels.labels[i];
    if (l.category == TagCategory::kRating) {
      if (best_rating == n || probs[i] > probs[best_rating]) best_rating = i;
      continue;
    }
    double t = l.category == TagCategory::kCharacter ? th.character : th.general;
    if (probs[i] < std::min(t, min_tag_threshold_)) continue;  // the common case: no lookup
    if (!tag_thresholds_.empty()) {
      auto it = tag_thresholds_.find(l.name);
      if (it == tag_thresholds_.end() && l.name.find(' ') != std::string::npos)
        it = tag_thresholds_.find(replace_all(l.name, " ", "_"));
      if (it != tag_thresholds_.end()) t = it->second;
    }
    if (probs[i] < t) continue;
    if (contains_tag(undesired_, l.name)) continue;
    chosen.push_back(i);
  }
  // Category quotas: a pose or expression tag when none passed (the most likely above the floor) …
  if (params_.pose_expression_floor > 0 &&
      std::none_of(chosen.begin(), chosen.end(), [&](size_t i) { return is_pose_or_expression_tag(labels.labels[i].name); })) {
    size_t best = n;
    for (size_t i = 0; i < n; ++i) {
      const Label& l = labels.labels[i];
      if (l.category != TagCategory::kGeneral || probs[i] < params_.pose_expression_floor) continue;
      if (!is_pose_or_expression_tag(l.name) || contains_tag(undesired_, l.name)) continue;
      if (best == n || probs[i] > probs[best]) best = i;
    }
    if (best < n) chosen.insert(std::upper_bound(chosen.begin(), chosen.end(), best), best);
  }
  // Highest probability first for --max-tags and confidence order; ties keep model order.
  std::stable_sort(chosen.begin(), chosen.end(), [&](size_t a, size_t b) { return probs[a] > probs[b]; });
  // … and at most max_color_tags colour tags, the most likely ones.
  if (params_.max_color_tags > 0) {
    size_t colours = 0;
    std::erase_if(chosen, [&](size_t i) {
      return is_colour_tag(labels.labels[i].name) && ++colours > static_cast<size_t>(params_.max_color_tags);
    });
  }
  if (params_.max_tags > 0) {
    // Always-first tags do not count against the limit.
    std::vector<size_t> kept;
    size_t others = 0;
    for (size_t i : chosen) {
      if (contains_tag(always_first_, labels.labels[i].name)) kept.push_back(i);
      else if (others < static_cast<size_t>(params_.max_tags)) kept.push_back(i), ++others;
    }
    chosen = std::move(kept);
  }
  if (params_.order == "model") std::sort(chosen.begin(), chosen.end());
  if (params_.character_tags_first) {
    std::stable_partition(chosen.begin(), chosen.end(),
                          [&](size_t i) { return labels.labels[i].category == TagCategory::kCharacter; });
  }

  std::vector<SelectedTag> out;
  auto emit = [&](size_t i) {
    const Label& l = labels.labels[i];
    std::string name = display_name(l.name);
    if (params_.character_tag_expand && l.category == TagCategory::kCharacter && name.ends_with(")")) {
      // chara_name_(series) → chara_name, series; chara_(costume)_(series) → chara_(costume), series
      auto open = name.rfind('(');
      std::string character = name.substr(0, open);
      while (!character.empty() && (character.back() == '_' || character.back() == ' ')) character.pop_back();
      std::string series = replace_all(name.substr(open + 1), ")", "");
      if (!character.empty() && !series.empty()) {
        out.push_back({character, l.name, probs[i], l.category});
        out.push_back({series, l.name, probs[i], TagCategory::kCopyright});
        return;
      }
    }
    out.push_back({name, l.name, probs[i], l.category});
  };
  for (size_t i : chosen) emit(i);

  // Replacements apply to the written name (or the model's label).
  if (!replacements_.empty()) {
    for (auto& t : out) {
      for (auto& [from, to] : replacements_) {
        if (same_tag(t.tag, from) || same_tag(t.label, from)) {
          t.tag = to;
          break;
        }
      }
    }
    std::erase_if(out, [](const SelectedTag& t) { return t.tag.empty(); });
  }
  // Always-first tags: in the order given, before everything else.
  if (!always_first_.empty()) {
    std::vector<SelectedTag> first;
    for (auto& want : always_first_) {
      auto it = std::find_if(out.begin(), out.end(), [&](const SelectedTag& t) { return same_tag(t.tag, want) || same_tag(t.label, want); });
      if (it != out.end()) {
        first.push_back(*it);
        out.erase(it);
      }
    }
    out.insert(out.begin(), first.begin(), first.end());
  }
  // Remove duplicates created by expansion/replacement (keep the first); linear in the tag count.
  std::unordered_set<std::string> seen;
  std::vector<SelectedTag> unique;
  unique.reserve(out.size());
  for (auto& t : out)
    if (seen.insert(replace_all(t.tag, " ", "_")).second) unique.push_back(std::move(t));
  out = std::move(unique);

  if (params_.rating != "none" && best_rating < n) {
    SelectedTag r{display_name(labels.labels[best_rating].name), labels.labels[best_rating].name, probs[best_rating],
                  TagCategory::kRating};
    if (params_.rating == "first") out.insert(out.begin(), r);
    else out.push_back(r);
  }
  return out;
}

std::string TagSelector::caption(const std::vector<SelectedTag>& tags) const {
  std::string s;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i) s += params_.caption_separator;
    s += tags[i].tag;
  }
  return s;
}

std::string append_tags_to_caption(std::string_view existing, const std::vector<std::string>& new_tags,
                                   std::string_view separator) {
  std::string sep_char(trim(separator).empty() ? std::string(separator) : std::string(trim(separator)));
  auto file = parse_caption_file(existing, "caption");
  if (!file.ok()) {  // callers refuse non-UTF-8 captions first; never mangle one here
    CaptionText caption = parse_caption_text(existing);
    if (caption.lines.empty()) caption.lines.push_back("");
    file = CaptionFile{};
    for (auto& l : caption.lines) file->set_line(file->lines.size(), l);
  }
  const std::string line = file->lines.empty() ? std::string() : file->lines[0];
  // kohya's keep_tokens_separator: "fixed ||| shuffled ||| fixed suffix". New tags join the shuffled group
  // (the last one when there is no suffix), never the fixed suffix.
  std::vector<std::string> groups = split(line, "|||");
  if (groups.empty()) groups.push_back("");
  const size_t target = groups.size() >= 3 ? 1 : groups.size() - 1;
  std::vector<std::string> present;  // every tag of the line, normalised ("hatsune miku \\(vocaloid\\)" too)
  for (auto& g : groups)
    for (auto& t : parse_tags(g, sep_char)) present.push_back(normalize_tag_name(t));
  std::vector<std::string> tags = parse_tags(groups[target], sep_char);
  for (auto& t : new_tags) {
    std::string n = normalize_tag_name(t);
    if (std::find(present.begin(), present.end(), n) != present.end()) continue;
    present.push_back(n);
    tags.push_back(t);
  }
  std::string text = format_tags(tags, separator);
  if (groups.size() > 1) text = (target > 0 ? " " : "") + text + (target + 1 < groups.size() ? " " : "");
  groups[target] = text;
  file->set_line(0, join(groups, "|||"));
  return file->bytes();
}

}  // namespace tagmetry
