// Applying a caption policy: per-image tag selection, line rendering, and the dataset-wide pass.
#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "tagmetry/caption.h"
#include "tagmetry/caption_edit.h"
#include "tagmetry/caption_file.h"
#include "tagmetry/caption_journal.h"
#include "tagmetry/caption_policy.h"
#include "tagmetry/store.h"
#include "tagmetry/dataset.h"
#include "tagmetry/files.h"
#include "tagmetry/sentences.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

std::string canonical_tag(const std::string& raw, const CaptionPolicy& policy, const PolicyResources& res) {
  std::string tag = strip_prompt_weight(raw);
  if (!policy.merge_aliases) return tag;
  std::string n = normalize_tag_name(tag);
  if (res.tags)
    if (const TagInfo* info = res.tags->find(n)) return info->name;
  return n;
}

bool matches_any(const std::vector<std::string>& patterns, const std::string& tag) {
  for (auto& p : patterns)
    if (wildcard_match(p, tag)) return true;
  return false;
}

}  // namespace

std::string strip_prompt_weight(std::string_view text) {
  std::string_view t = trim(text);
  bool wrapped = false;
  // Emphasis brackets, possibly nested: "((x))", "[x]", "(x:1.2)"; an escaped "\)" is not a bracket.
  while (t.size() >= 2 && ((t.front() == '(' && t.back() == ')' && t[t.size() - 2] != '\\') ||
                           (t.front() == '[' && t.back() == ']'))) {
    t = trim(t.substr(1, t.size() - 2));
    wrapped = true;
  }
  if (wrapped) {
    size_t colon = t.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < t.size() &&
        t.substr(colon + 1).find_first_not_of("0123456789.") == std::string_view::npos)
      t = trim(t.substr(0, colon));
  }
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\\' && i + 1 < t.size() && (t[i + 1] == '(' || t[i + 1] == ')')) continue;
    out.push_back(t[i]);
  }
  return out;
}

std::string display_tag(const CaptionPolicy& policy, const std::string& tag) {
  // Matches kohya-ss sd-scripts tag_images_by_wd14_tagger.py: short tags such as "^_^" keep '_'.
  if (policy.remove_underscore && tag.size() > 3) return replace_all(tag, "_", " ");
  return tag;
}

std::vector<std::string> clean_policy_tags(const CaptionPolicy& policy, const std::vector<std::string>& tags,
                                           const PolicyResources& res) {
  std::unordered_map<std::string, std::string> replace;
  for (auto& [from, to] : policy.replacements) replace[canonical_tag(from, policy, res)] = to;
  std::vector<std::string> undesired;
  for (auto& u : policy.undesired_tags) {
    undesired.push_back(u);
    if (u.find('*') == std::string::npos) undesired.push_back(canonical_tag(u, policy, res));
  }
  std::string trigger = canonical_tag(policy.trigger_token, policy, res);
  std::string prefix = canonical_tag(policy.caption_prefix, policy, res);
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& raw : tags) {
    if (matches_any(policy.undesired_tags, std::string(trim(raw)))) continue;
    std::string t = canonical_tag(raw, policy, res);
    if (t.empty()) continue;
    if (!policy.trigger_token.empty() && t == trigger) continue;  // placed by the policy itself
    if (!policy.caption_prefix.empty() && t == prefix) continue;
    if (auto it = replace.find(t); it != replace.end()) {
      if (it->second.empty()) continue;
      t = canonical_tag(it->second, policy, res);
    }
    if (matches_any(undesired, t)) continue;
    if (!seen.insert(t).second) continue;
    out.push_back(t);
  }
  if (policy.remove_implied && res.implications) {
    std::unordered_set<std::string> redundant;
    for (auto& [implying, implied] : res.implications->pairs)
      if (seen.count(implying)) redundant.insert(implied);
    std::erase_if(out, [&](const std::string& t) { return redundant.count(t) > 0; });
  }
  return out;
}

namespace {

// Ordering, constant-drop and max_tags over already cleaned tags.
std::vector<std::string> arrange_tags(const CaptionPolicy& policy, const std::vector<std::string>& clean,
                                      const PolicyResources& res, const std::vector<std::string>& constant_tags) {
  std::vector<std::string> first, core;
  for (auto& a : policy.always_first) first.push_back(canonical_tag(a, policy, res));
  for (auto& c : policy.core_tags) core.push_back(canonical_tag(c, policy, res));
  std::unordered_set<std::string> constant(constant_tags.begin(), constant_tags.end());
  auto in = [](const std::vector<std::string>& v, const std::string& t) {
    return std::find(v.begin(), v.end(), t) != v.end();
  };
  std::vector<std::string> out, rest;
  for (auto& f : first)
    if (in(clean, f) && !in(out, f)) out.push_back(f);
  for (auto& c : core)
    if (in(clean, c) && !in(out, c)) out.push_back(c);
  for (auto& t : clean) {
    if (in(out, t)) continue;
    if (policy.drop_if_constant && constant.count(t)) continue;
    rest.push_back(t);
  }
  size_t limit = policy.max_tags > 0 ? static_cast<size_t>(policy.max_tags) : SIZE_MAX;
  for (auto& t : rest) {
    if (out.size() >= limit) break;
    out.push_back(t);
  }
  return out;
}

}  // namespace

std::vector<std::string> select_policy_tags(const CaptionPolicy& policy, const std::vector<std::string>& tags,
                                            const PolicyResources& res, const std::vector<std::string>& constant_tags) {
  return arrange_tags(policy, clean_policy_tags(policy, tags, res), res, constant_tags);
}

std::vector<std::string> render_policy_lines(const CaptionPolicy& policy, const std::vector<std::string>& tags,
                                             const PolicyResources& res) {
  std::vector<std::string> lead;
  if (!policy.trigger_token.empty()) lead.push_back(policy.trigger_token);
  if (!policy.caption_prefix.empty()) lead.push_back(policy.caption_prefix);
  std::vector<std::string> shown;
  for (auto& t : tags) shown.push_back(display_tag(policy, t));
  std::vector<std::string> tag_items = lead;
  tag_items.insert(tag_items.end(), shown.begin(), shown.end());
  const std::string tag_line = format_tags(tag_items);

  SentenceOptions so;
  so.commas = policy.sentence_commas;
  so.ja = res.ja;
  std::string en, en_detailed, ja;
  bool have_en = false, have_detailed = false, have_ja = false;

  std::vector<std::string> lines;
  size_t count = policy.mode == "single" ? std::min<size_t>(1, policy.lines.size()) : policy.lines.size();
  for (size_t i = 0; i < count; ++i) {
    const std::string& tmpl = policy.lines[i];
    if (tmpl == "{TAGS}") {
      lines.push_back(tag_line);
      continue;
    }
    std::string body = tmpl;
    auto fill = [&](const char* ph, std::string& cache, bool& have, auto make) {
      if (body.find(ph) == std::string::npos) return;
      if (!have) cache = make(), have = true;
      body = replace_all(body, ph, cache);
    };
    fill("{EN_SENTENCE_DETAILED}", en_detailed, have_detailed, [&] { return english_sentence_detailed(tags, so); });
    fill("{EN_SENTENCE}", en, have_en, [&] { return english_sentence(tags, so); });
    fill("{JA_SENTENCE}", ja, have_ja, [&] { return japanese_sentence(tags, so); });
    if (body.find("{TAGS}") != std::string::npos) body = replace_all(body, "{TAGS}", format_tags(shown));
    body = std::string(trim(body));
    if (body.empty()) {  // nothing recognised for a sentence: the tag line stands in
      lines.push_back(tag_line);
      continue;
    }
    std::vector<std::string> items = lead;
    items.push_back(body);
    lines.push_back(format_tags(items));
  }
  return lines;
}

namespace {

// The trigger a multi-line policy without one should use: the dataset's common first tag, unless it is a
// known tag (a trigger is a made-up token) or one the policy moves first anyway (1girl, solo).
std::string detect_trigger(const CaptionPolicy& policy, const PolicyResources& res,
                           const std::vector<std::string>& source_texts) {
  std::vector<std::string> firsts;
  for (auto& text : source_texts) {
    auto tags = parse_caption_text(text).tags();
    firsts.push_back(tags.empty() ? "" : strip_prompt_weight(tags[0]));
  }
  std::string t = common_first_tag(firsts);
  if (t.empty()) return "";
  std::string n = normalize_tag_name(t);
  for (auto& f : policy.always_first)
    if (normalize_tag_name(f) == n) return "";
  if (res.tags && res.tags->find(n)) return "";
  return t;
}

}  // namespace

Result<PolicyApplyReport> apply_caption_policy(const fs::path& root, const CaptionPolicy& policy_in,
                                               const PolicyResources& res, const PolicyApplyParams& params) {
  // The lock first, so no other run writes between our reads and our writes.
  std::optional<JournaledDataset> opened;
  if (!params.dry_run) {
    TM_ASSIGN_OR_RETURN(JournaledDataset o, open_journaled_dataset(root, params.db));
    opened.emplace(std::move(o));
  }
  // What Tagmetry last wrote to each caption: a saved original is only the source while the caption is
  // still what the policy wrote.
  std::unordered_map<std::string, LastWrite> last;
  if (opened) {
    TM_ASSIGN_OR_RETURN(last, opened->journal().last_written());
  } else {
    const fs::path db_path = params.db.empty() ? default_store_path(root) : fs::path(params.db);
    std::error_code ec;
    if (fs::exists(db_path, ec)) {
      TM_ASSIGN_OR_RETURN(auto store, Store::open_read_only(db_path));
      TM_ASSIGN_OR_RETURN(CaptionJournal journal, CaptionJournal::open_read_only(*store, root));
      TM_ASSIGN_OR_RETURN(last, journal.last_written());
    }
  }

  ScanOptions so;
  so.recursive = params.recursive;
  so.caption_extension = params.caption_extension;
  TM_ASSIGN_OR_RETURN(Dataset ds, scan_dataset(root, so));
  PolicyApplyReport report;
  report.images = ds.items.size();
  const fs::path originals = root / ".tagmetry" / "originals";

  struct Source {
    const DatasetItem* item;
    std::string relcap;
    std::string bytes;                // current caption file
    std::string current;              // its text (no BOM, LF)
    std::string source_text;          // original or current
    std::string bom;                  // the file's byte-order mark, kept
    bool crlf = false;                // the file's CRLF line endings, kept
    std::vector<std::string> tags;    // cleaned source tags
    bool save_original = false;
  };
  std::vector<Source> sources;
  std::set<std::string> seen;
  for (auto& item : ds.items) {
    if (!item.has_caption) continue;
    Source s{&item, relative_generic(item.caption, root), "", "", "", "", false, {}, false};
    if (!seen.insert(s.relcap).second) continue;  // a.png and a.jpg share a.txt
    ++report.captions;
    auto bytes = read_dataset_caption(root, item.caption);
    if (!bytes.ok() || !bytes->has_value()) {
      report.skipped.emplace_back(s.relcap, bytes.ok() ? "disappeared" : bytes.status().message());
      continue;
    }
    s.bytes = std::move(**bytes);
    auto file = parse_caption_file(s.bytes, s.relcap);
    if (!file.ok()) {
      report.skipped.emplace_back(s.relcap, file.status().message());
      continue;
    }
    s.current = join(file->lines, "\n");
    s.bom = file->bom;
    s.crlf = file->eol() == "\r\n";
    fs::path orig = originals / s.relcap;
    s.source_text = s.current;
    std::error_code ec;
    auto lw = last.find(s.relcap);
    const bool policy_wrote_it = lw != last.end() && lw->second.command == "policy" && lw->second.after == s.bytes;
    if (!params.from_current && fs::exists(orig, ec)) {
      if (policy_wrote_it) {
        auto o = read_text_file(orig);
        if (!o.ok()) {
          report.skipped.emplace_back(s.relcap, o.status().message());
          continue;
        }
        s.source_text = *o;
      } else {
        // Changed since the policy wrote it (retag, edit, undo, by hand): the saved original is stale.
        s.save_original = true;
        report.refreshed.push_back(s.relcap);
      }
    } else {
      s.save_original = true;
    }
    sources.push_back(std::move(s));
  }

  CaptionPolicy policy = policy_in;
  const size_t line_count = policy.mode == "single" ? std::min<size_t>(1, policy.lines.size()) : policy.lines.size();
  if (policy.trigger_token.empty() && line_count > 1 && !params.allow_no_trigger) {
    std::vector<std::string> texts;
    for (auto& s : sources) texts.push_back(s.source_text);
    policy.trigger_token = detect_trigger(policy, res, texts);
    if (policy.trigger_token.empty() && !sources.empty())
      return invalid_argument("policy '" + policy.name + "' writes " + std::to_string(line_count) +
                              " lines per caption and no trigger was given or found (no made-up tag starts 80% of the "
                              "captions), so kohya would train most steps without one: pass --trigger TOKEN "
                              "(or --no-trigger to write the lines without one)");
    report.trigger_detected = !policy.trigger_token.empty();
  }
  report.trigger = policy.trigger_token;
  for (auto& s : sources) s.tags = clean_policy_tags(policy, parse_caption_text(s.source_text).tags(), res);

  std::vector<std::string> constant;
  if (policy.drop_if_constant && !sources.empty()) {
    std::unordered_map<std::string, size_t> df;
    std::vector<std::string> order;
    for (auto& s : sources)
      for (auto& t : s.tags)
        if (df[t]++ == 0) order.push_back(t);
    for (auto& t : order)
      if (static_cast<double>(df[t]) >= policy.constant_share * static_cast<double>(sources.size()))
        constant.push_back(t);
  }
  report.constant_tags = constant;

  std::vector<CaptionWrite> writes;
  std::vector<PolicyFileChange> changes;
  for (auto& s : sources) {
    std::vector<std::string> selected = arrange_tags(policy, s.tags, res, constant);
    CaptionText out;
    out.lines = render_policy_lines(policy, selected, res);
    std::string after = out.text();
    // A source line after the tag line that the policy's lines do not keep (a hand-written sentence).
    auto source_lines = parse_caption_text(s.source_text).lines;
    for (size_t i = 1; i < source_lines.size(); ++i)
      if (!trim(source_lines[i]).empty() &&
          std::find(out.lines.begin(), out.lines.end(), source_lines[i]) == out.lines.end()) {
        report.replaced_lines.push_back(s.relcap);
        break;
      }
    if (after == s.current) {
      if (s.save_original && !params.dry_run) {  // keep the original in step with the caption
        fs::path orig = originals / s.relcap;
        std::error_code ec;
        fs::create_directories(orig.parent_path(), ec);
        (void)write_file_atomic(orig, s.current);
      }
      continue;
    }
    if (!params.dry_run && s.save_original) {
      fs::path orig = originals / s.relcap;
      std::error_code ec;
      fs::create_directories(orig.parent_path(), ec);
      if (Status st = write_file_atomic(orig, s.current); !st.ok()) {
        report.skipped.emplace_back(s.relcap, "cannot save the original caption: " + st.message());
        continue;
      }
    }
    CaptionWrite w;
    w.relpath = s.relcap;
    w.before = s.bytes;
    w.after = s.bom + (s.crlf ? replace_all(after, "\n", "\r\n") : after);
    writes.push_back(std::move(w));
    changes.push_back({s.relcap, s.current, after});
  }
  std::vector<Status> results(writes.size());
  if (!params.dry_run && !writes.empty()) {
    CaptionJournal& journal = opened->journal();
    journal.begin_operation("policy", params.command_line);
    TM_ASSIGN_OR_RETURN(results, journal.apply(writes));
  }
  for (size_t i = 0; i < writes.size(); ++i) {
    if (!results[i].ok()) {
      report.skipped.emplace_back(writes[i].relpath, results[i].message());
      continue;
    }
    ++report.changed;
    report.changes.push_back(std::move(changes[i]));
  }
  return report;
}

const Operation<PolicyApplyCommandParams>& policy_apply_operation() {
  static const Operation<PolicyApplyCommandParams> op = [] {
    using P = PolicyApplyCommandParams;
    Operation<P> o;
    o.info = {"policy apply", "Apply a caption policy to the captions of DIR", "", "policy.md"};
    o.options.positional("dir", &P::dir, "Dataset folder (images with caption files beside them)")
        .add("preset", &P::preset, "Shipped policy to apply", {"", "default", "sd15", "sdxl"})
        .add("policy", &P::policy, "Policy TOML file to apply (see `tagmetry policy show default`)")
        .add("trigger", &P::trigger, "Trigger token; overrides the policy's trigger_token")
        .add("dry-run", &P::dry_run, "Print what would change; write nothing")
        .add("from-current", &P::from_current,
             "Use the current captions as the source instead of the saved originals (.tagmetry/originals)")
        .add("no-trigger", &P::allow_no_trigger,
             "Write a multi-line policy without a trigger (by default the captions' common first tag is used, or "
             "the run refuses)")
        .add("db", &P::db, "Database file holding the journal (default: DIR/.tagmetry/tagmetry.db)")
        .add("recursive", &P::recursive, "Include subfolders")
        .add("caption-extension", &P::caption_extension, "Caption file extension")
        .add("tags-db", &P::tags_db, "Tag list (tagcomplete CSV) for alias merging; default: shipped list")
        .add("no-tags-db", &P::no_tags_db, "Do not load a tag list (aliases only normalise spelling)")
        .add("json", &P::json, "Print the summary and changes as JSON");
    return o;
  }();
  return op;
}

}  // namespace tagmetry
