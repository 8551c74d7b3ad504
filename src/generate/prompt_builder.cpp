// PromptBuilder: request / tag list / caption → tag groups in the style's order → A1111 prompt text.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "tagmetry/complete.h"
#include "tagmetry/files.h"
#include "tagmetry/ja_dictionary.h"
#include "tagmetry/ja_to_tags.h"
#include "tagmetry/prompt.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"
#include "tagmetry/tag_selection.h"

namespace tagmetry {

const Operation<PromptParams>& prompt_operation() {
  static const Operation<PromptParams> op{
      {"prompt", "Request or tags → a generator prompt in a model's style (Animagine, NoobAI, …)", "POST /api/prompt", "prompt.md"}, [] {
        OptionSet<PromptParams> s;
        add_prompt_options(s);
        s.group("Output").add(
            "json", &PromptParams::json,
            "Print one JSON object: positive, negative, width, height, sampler, steps, cfg, tags, unmatched");
        return s;
      }()};
  return op;
}

const OptionSet<PromptParams>& prompt_options() { return prompt_operation().options; }

namespace {

std::string number_text(double v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, std::round(v * 1000) / 1000);
  return std::string(buf, p);
}

// "(blue hair:1.2)": attention syntax the user wrote on purpose.
bool is_weighted(std::string_view t) {
  static const std::regex re(R"(^\(.+:-?[0-9]*\.?[0-9]+\)$)");
  return std::regex_match(t.begin(), t.end(), re);
}

bool is_people_tag(std::string_view t) {
  static const std::regex re(R"(^(\d+\+?)(girl|boy|other)s?$)");
  return std::regex_match(t.begin(), t.end(), re) || t == "multiple_girls" || t == "multiple_boys" ||
         t == "multiple_others" || t == "no_humans";
}

bool is_rating_tag(std::string_view t) {
  return t == "general" || t == "safe" || t == "sensitive" || t == "questionable" || t == "nsfw" || t == "explicit";
}

struct Item {
  std::string name;  // Danbooru spelling, or the raw text of a weighted entry
  std::string group;
  bool raw = false;   // written as is
  std::string given;  // as the user wrote it (styles that keep underscores write this)
};

std::string group_of(const std::string& name, TagCategory category, bool people) {
  if (people || is_people_tag(name)) return "people";
  if (is_rating_tag(name)) return "rating";
  switch (category) {
    case TagCategory::kCharacter:
      return "character";
    case TagCategory::kCopyright:
      return "copyright";
    case TagCategory::kArtist:
      return "artist";
    case TagCategory::kMeta:
      return "meta";
    case TagCategory::kRating:
      return "rating";
    default:
      return "general";
  }
}

// The completion rating (complete.h's choices) for a style's rating tag.
std::string completion_rating(const std::string& rating) {
  if (rating == "sensitive" || rating == "nsfw" || rating == "questionable" || rating == "explicit") return rating;
  return "general";  // safe, general, none
}

// --complete: extends `items` with a completion model's tags (after the user's, which stay as they are),
// for the style's (or --rating's) rating and the chosen size's aspect; records them in r.
Status complete_items(const PromptParams& p, const PromptStyle& style, const TagDatabase& db,
                      std::vector<Item>& items, PromptResult& r) {
  CompleteParams cp;
  TM_RETURN_IF_ERROR(complete_options().apply_env(cp));  // TAGMETRY_COMPLETE_MODEL, TAGMETRY_THREADS
  std::error_code ec;
  if (p.complete != "default") {
    if (std::filesystem::exists(p.complete, ec))
      cp.model_file = p.complete;
    else
      cp.model = p.complete;
  }
  cp.tags_db = p.tags_db;
  cp.seed = p.complete_seed;
  cp.rating = completion_rating(p.rating.empty() ? style.rating : p.rating);
  cp.aspect = std::to_string(r.size.width) + ":" + std::to_string(r.size.height);
  std::vector<std::string> tags;
  for (auto& it : items)
    if (!it.raw) tags.push_back(it.name);
  if (tags.empty()) return ok_status();
  auto done = complete_tags({join(tags, ", ")}, cp);
  if (!done.ok()) return done.status().with_context("--complete");
  r.completion_seed = done->seed;
  r.completion_model = done->model;
  r.completion_prompt = done->prompt;
  for (auto& t : done->added) {
    std::string name = normalize_tag_name(t);
    const TagInfo* info = db.find(name);
    if (info) name = info->name;
    r.completed.push_back(name);
    items.push_back({name, group_of(name, info ? info->category : TagCategory::kGeneral, false), false, name});
  }
  return ok_status();
}

// The text of a kohya caption file: the first non-empty line, kohya's "|||" separator dropped.
Result<std::vector<std::string>> caption_entries(const std::filesystem::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  for (auto& line : split(normalize_newlines(strip_utf8_bom(text)), "\n")) {
    if (trim(line).empty()) continue;
    std::vector<std::string> out;
    for (auto& e : split_trimmed(replace_all(line, "|||", ","), ",")) out.push_back(e);
    return out;
  }
  return invalid_argument(path.string() + ": empty caption file");
}

}  // namespace

Result<LoraRef> parse_lora(std::string_view text) {
  std::string t(trim(text));
  LoraRef r;
  auto colon = t.rfind(':');
  if (colon != std::string::npos) {
    std::string w = t.substr(colon + 1);
    char* end = nullptr;
    double v = std::strtod(w.c_str(), &end);
    if (w.empty() || *end || !std::isfinite(v))
      return invalid_argument("--lora '" + std::string(text) +
                              "': the weight after ':' is not a number (NAME[:WEIGHT])");
    r.weight = v;
    t = t.substr(0, colon);
  }
  if (t.empty() || t.find_first_of("<>,") != std::string::npos)
    return invalid_argument("--lora '" + std::string(text) + "': expected NAME[:WEIGHT], e.g. mychar:0.8");
  r.name = t;
  return r;
}

std::string lora_prompt(const LoraRef& lora) { return "<lora:" + lora.name + ":" + number_text(lora.weight) + ">"; }

std::string escape_a1111(std::string_view tag) {
  if (is_weighted(tag)) return std::string(tag);
  std::string out;
  for (size_t i = 0; i < tag.size(); ++i) {
    char c = tag[i];
    if (c == '\\' && i + 1 < tag.size() && std::string_view("()[]").find(tag[i + 1]) != std::string_view::npos) {
      out += c;
      out += tag[++i];
      continue;
    }
    if (c == '(' || c == ')' || c == '[' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

std::string PromptResult::to_json() const {
  nlohmann::ordered_json j;
  j["positive"] = positive;
  j["negative"] = negative;
  j["width"] = size.width;
  j["height"] = size.height;
  j["sampler"] = sampler;
  j["steps"] = steps;
  j["cfg"] = cfg;
  j["tags"] = tags;
  j["unmatched"] = unmatched;
  if (completion_seed) {
    j["completed"] = completed;
    j["completion_seed"] = *completion_seed;
    j["completion_model"] = completion_model;
  }
  return j.dump();
}

std::string PromptResult::caption() const { return join(caption_tags, ", "); }

PromptBuilder::~PromptBuilder() = default;

Result<std::unique_ptr<PromptBuilder>> PromptBuilder::open(const PromptParams& params) {
  auto db = params.tags_db.empty() ? TagDatabase::load_default() : TagDatabase::load(params.tags_db);
  if (!db.ok()) return db.status();
  std::unique_ptr<PromptBuilder> b(new PromptBuilder());
  b->owned_db_ = std::make_unique<TagDatabase>(std::move(db).value());
  b->db_ = b->owned_db_.get();
  b->mecab_dicdir_ = params.mecab_dicdir;
  return b;
}

std::unique_ptr<PromptBuilder> PromptBuilder::borrow(const TagDatabase& db,
                                                     std::function<Result<const JaToTags*>()> ja) {
  std::unique_ptr<PromptBuilder> b(new PromptBuilder());
  b->db_ = &db;
  b->borrowed_ja_ = std::move(ja);
  return b;
}

Result<const JaToTags*> PromptBuilder::matcher() const {
  if (borrowed_ja_) return borrowed_ja_();
  std::call_once(ja_once_, [this] {
    auto dict = JaDictionary::load_default();
    if (!dict.ok()) {
      ja_status_ = dict.status();
      return;
    }
    dict_ = std::make_unique<JaDictionary>(std::move(dict).value());
    auto m = JaToTags::create(*db_, *dict_, mecab_dicdir_);
    if (!m.ok())
      ja_status_ = m.status();
    else
      ja_ = std::move(m).value();
  });
  if (!ja_) return ja_status_;
  return static_cast<const JaToTags*>(ja_.get());
}

Result<PromptResult> PromptBuilder::build(const PromptParams& params, std::string_view input) const {
  TM_ASSIGN_OR_RETURN(PromptStyle style, load_prompt_style(params.style));
  return build(params, style, input);
}

Result<PromptResult> PromptBuilder::build(const PromptParams& p, const PromptStyle& style,
                                          std::string_view input) const {
  PromptResult r;
  r.style = style.name;

  // 0. Size.
  if (!p.size.empty() && !p.aspect.empty()) return invalid_argument("give --size or --aspect, not both");
  if (!p.size.empty()) {
    TM_ASSIGN_OR_RETURN(ImageSize wanted, parse_image_size(p.size));
    r.size = nearest_size(style, wanted);
  } else if (!p.aspect.empty()) {
    TM_ASSIGN_OR_RETURN(double a, parse_aspect(p.aspect));
    r.size = nearest_size(style, a);
  } else {
    r.size = style.size;
  }

  // 1. The input's tags, grouped.
  std::string kind = p.input;
  if (kind == "auto") {
    std::error_code ec;
    bool ascii = std::all_of(input.begin(), input.end(), [](unsigned char c) { return c < 0x80; });
    if (!trim(input).empty() && input.find('\n') == std::string_view::npos &&
        std::filesystem::is_regular_file(std::filesystem::path(std::string(trim(input))), ec))
      kind = "caption";
    else if (ascii && input.find(',') != std::string_view::npos)
      kind = "tags";
    else
      kind = "request";
  }
  auto is_style_quality = [&](const std::string& name) {
    for (auto& q : style.quality)
      if (normalize_tag_name(q) == name) return true;
    return false;
  };
  std::vector<Item> items;
  std::vector<std::string> negative_tags;
  if (kind == "request") {
    if (trim(input).empty())
      return invalid_argument("empty request: give a request (青い髪の女の子), tags or a caption file");
    TM_ASSIGN_OR_RETURN(const JaToTags* ja, matcher());
    JaToTagsOptions o;
    o.top = p.top;
    TM_ASSIGN_OR_RETURN(JaToTagsResult res, ja->convert(input, o));
    for (auto& m : res.tags) items.push_back({m.tag, group_of(m.tag, m.category, m.people), false, m.tag});
    for (auto& m : res.negative) negative_tags.push_back(m.tag);
    r.unmatched = res.unmatched;
  } else {
    std::vector<std::string> entries;
    if (kind == "caption") {
      TM_ASSIGN_OR_RETURN(entries, caption_entries(std::string(trim(input))));
    } else {
      entries = split_trimmed(input, ",");
    }
    if (entries.empty())
      return invalid_argument("no tags given: give a request (青い髪の女の子), tags or a caption file");
    for (auto& e : entries) {
      if (is_weighted(e)) {
        items.push_back({e, "general", true, e});
        continue;
      }
      std::string name = normalize_tag_name(e);
      const TagInfo* info = db_->find(name);
      if (info)
        name = info->name;
      else if (!is_people_tag(name) && !is_rating_tag(name) && !is_style_quality(name))
        r.unmatched.push_back(e);
      items.push_back(
          {name, group_of(name, info ? info->category : TagCategory::kGeneral, false), false, std::string(trim(e))});
    }
  }

  // 1b. Model-based completion: the user's tags first, then the model's, for the style's rating and the
  // image's aspect.
  if (!p.complete.empty()) TM_RETURN_IF_ERROR(complete_items(p, style, *db_, items, r));

  // 2. Style additions: quality tags (the input's own copies dropped), rating, trigger.
  std::map<std::string, std::vector<std::string>> text_of;   // group → rendered entries
  std::map<std::string, std::vector<std::string>> name_of;   // group → Danbooru names (for r.tags)
  std::map<std::string, std::vector<std::string>> plain_of;  // group → caption spelling
  std::vector<std::string> seen;
  for (auto& t : split_trimmed(p.trigger, ",")) {
    text_of["trigger"].push_back(style.escape_parentheses ? escape_a1111(t) : t);
    name_of["trigger"].push_back(t);
    plain_of["trigger"].push_back(t);
    seen.push_back(normalize_tag_name(t));  // a caption that already holds the trigger does not repeat it
  }
  auto render_plain = [&](const Item& it) {
    if (it.raw) return it.name;
    return style.underscores_to_spaces ? remove_underscore(it.name) : it.given;
  };
  for (auto& it : items) {
    if (std::find(seen.begin(), seen.end(), it.name) != seen.end()) continue;
    seen.push_back(it.name);
    if (!it.raw && is_style_quality(it.name)) continue;  // the style writes its quality tags itself
    std::string plain = render_plain(it);
    text_of[it.group].push_back(it.raw || !style.escape_parentheses ? plain : escape_a1111(plain));
    name_of[it.group].push_back(it.name);
    plain_of[it.group].push_back(plain);
  }
  for (auto& q : style.quality) text_of["quality"].push_back(q);
  std::string rating = p.rating.empty() ? style.rating : (p.rating == "none" ? "" : p.rating);
  if (!p.rating.empty() && p.rating != "none") {
    // An explicit --rating replaces a rating tag of the request.
    text_of["rating"].clear();
    name_of["rating"].clear();
    plain_of["rating"].clear();
  }
  if (text_of["rating"].empty() && !rating.empty()) text_of["rating"].push_back(rating);

  // 3. Join in the style's order; LoRAs last.
  std::vector<std::string> positive;
  for (auto& g : style.order) {
    for (auto& t : text_of[g]) positive.push_back(t);
    for (auto& t : name_of[g]) r.tags.push_back(t);
    for (auto& t : plain_of[g]) r.caption_tags.push_back(t);
  }
  r.positive_text = join(positive, ", ");
  for (auto& l : p.loras) {
    TM_ASSIGN_OR_RETURN(LoraRef lora, parse_lora(l));
    r.loras.push_back(lora);
    positive.push_back(lora_prompt(lora));
  }
  r.positive = join(positive, ", ");

  // 4. Negative prompt: the style's (or --negative), then the request's negations.
  std::vector<std::string> negative;
  std::string base = p.negative.empty() ? style.negative : p.negative;
  if (!trim(base).empty()) negative.push_back(std::string(trim(base)));
  for (auto& t : negative_tags) {
    std::string plain = style.underscores_to_spaces ? remove_underscore(t) : t;
    negative.push_back(style.escape_parentheses ? escape_a1111(plain) : plain);
  }
  r.negative = join(negative, ", ");

  // 5. Sampling (the size was chosen first, for the completion's aspect).
  r.sampler = p.sampler.empty() ? style.sampler : p.sampler;
  r.scheduler = p.scheduler.empty() ? style.scheduler : p.scheduler;
  r.steps = p.steps.value_or(style.steps);
  r.cfg = p.cfg.value_or(style.cfg);
  if (r.steps < 1 || r.steps > 150)
    return invalid_argument("--steps " + std::to_string(r.steps) + ": must be 1 to 150");
  if (!(r.cfg >= 0 && r.cfg <= 30)) return invalid_argument("--cfg " + number_text(r.cfg) + ": must be 0 to 30");
  return r;
}

}  // namespace tagmetry
