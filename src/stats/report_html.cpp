// The self-contained HTML stats report: inline CSS and server-drawn SVG bar charts; no scripts, fonts
// or any other external resource, so it opens anywhere (mail attachment, offline, file://).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "tagmetry/dataset_stats.h"
#include "tagmetry/lint.h"
#include "tagmetry/tag_database.h"

namespace tagmetry {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fmt(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

struct Bar {
  std::string label;
  double value = 0;
  std::string note;  // shown after the value
};

// Horizontal bar chart: one row per bar, label left, bar, value right.
std::string hbar_chart(const std::string& id, const std::vector<Bar>& bars, const char* colour) {
  const int row = 20, label_w = 220, bar_w = 420, width = label_w + bar_w + 110;
  double max = 0;
  for (auto& b : bars) max = std::max(max, b.value);
  std::string s = "<svg class=\"chart\" id=\"" + id + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  std::to_string(width) + "\" height=\"" + std::to_string(std::max<size_t>(1, bars.size()) * row + 4) +
                  "\" role=\"img\">";
  int y = 2;
  for (auto& b : bars) {
    int w = max > 0 ? int(std::lround(b.value / max * bar_w)) : 0;
    s += "<text x=\"" + std::to_string(label_w - 6) + "\" y=\"" + std::to_string(y + 14) +
         "\" text-anchor=\"end\">" + esc(b.label) + "</text>";
    s += "<rect class=\"bar\" x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
         std::to_string(std::max(w, b.value > 0 ? 1 : 0)) + "\" height=\"" + std::to_string(row - 6) + "\" fill=\"" +
         colour + "\"><title>" + esc(b.label) + ": " + esc(b.note.empty() ? fmt(b.value, 0) : b.note) + "</title></rect>";
    s += "<text x=\"" + std::to_string(label_w + w + 6) + "\" y=\"" + std::to_string(y + 14) + "\">" +
         esc(b.note.empty() ? fmt(b.value, 0) : b.note) + "</text>";
    y += row;
  }
  return s + "</svg>";
}

// Vertical histogram (columns) with labels under each column.
std::string histogram_chart(const std::string& id, const std::vector<HistogramBin>& bins, const char* colour,
                            const std::string& highlight_from = "") {
  // Columns as wide as their longest label (12px text: about 7px a character), so labels such as
  // "1024-1535" never overlap their neighbours.
  size_t longest = 0;
  for (auto& b : bins) longest = std::max(longest, b.label.size());
  const int col = std::max(56, int(longest) * 7 + 10), height = 160, top = 18,
            width = int(std::max<size_t>(1, bins.size())) * col + 10;
  size_t max = 0;
  for (auto& b : bins) max = std::max(max, b.count);
  std::string s = "<svg class=\"chart\" id=\"" + id + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  std::to_string(width) + "\" height=\"" + std::to_string(height + top + 22) + "\" role=\"img\">";
  int x = 5;
  bool hot = false;
  for (auto& b : bins) {
    if (!highlight_from.empty() && b.label == highlight_from) hot = true;
    int h = max ? int(std::lround(double(b.count) / double(max) * height)) : 0;
    if (b.count > 0 && h == 0) h = 1;
    s += "<rect class=\"bar\" x=\"" + std::to_string(x + 4) + "\" y=\"" + std::to_string(top + height - h) +
         "\" width=\"" + std::to_string(col - 8) + "\" height=\"" + std::to_string(h) + "\" fill=\"" +
         (hot ? "#d9534f" : colour) + "\"><title>" + esc(b.label) + ": " + std::to_string(b.count) + "</title></rect>";
    s += "<text x=\"" + std::to_string(x + col / 2) + "\" y=\"" + std::to_string(top + height - h - 4) +
         "\" text-anchor=\"middle\">" + std::to_string(b.count) + "</text>";
    s += "<text x=\"" + std::to_string(x + col / 2) + "\" y=\"" + std::to_string(top + height + 16) +
         "\" text-anchor=\"middle\">" + esc(b.label) + "</text>";
    x += col;
  }
  return s + "</svg>";
}

std::string card(const std::string& value, const std::string& label) {
  return "<div class=\"card\"><div class=\"v\">" + esc(value) + "</div><div class=\"l\">" + esc(label) + "</div></div>";
}

}  // namespace

std::string stats_to_html(const DatasetStats& st, const std::string& title, const std::string& trigger,
                          const std::vector<LintFinding>* lint) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  h += "<title>" + esc(title) + "</title><style>";
  h += "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f7f9;color:#1d2330}"
       "header{background:#243b55;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}"
       "main{padding:18px 28px;max-width:1100px}section{background:#fff;border-radius:8px;padding:14px 18px;"
       "margin:0 0 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}h2{font-size:16px;margin:0 0 10px}"
       ".cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border-radius:8px;padding:10px 16px;"
       "min-width:120px;box-shadow:0 1px 3px rgba(0,0,0,.08)}.card .v{font-size:22px;font-weight:600}"
       ".card .l{color:#667}svg.chart text{font-size:12px;fill:#333}table{border-collapse:collapse}"
       "td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}.warn{color:#b03a2e}"
       ".muted{color:#778}.tags span{display:inline-block;background:#eef1f6;border-radius:4px;padding:1px 6px;margin:2px}";
  h += "</style></head><body>";
  h += "<header><h1>" + esc(title) + "</h1><div>Tagmetry dataset report</div></header><main>";

  h += "<div class=\"cards\" style=\"margin-bottom:16px\">";
  h += card(std::to_string(st.images), "images");
  h += card(std::to_string(st.captions), "captions");
  h += card(std::to_string(st.unique_tags), "distinct tags");
  h += card(fmt(st.tags_per_caption.mean), "tags per caption (mean)");
  h += card(fmt(st.tokens_per_caption.mean), "CLIP tokens per caption (mean)");
  h += card(fmt(100.0 * st.over_75_share) + "%", "captions over 75 tokens");
  h += "</div>";

  {
    std::vector<Bar> bars;
    for (size_t i = 0; i < st.tags.size() && i < 30; ++i) {
      double share = st.captions ? 100.0 * double(st.tags[i].count) / double(st.captions) : 0;
      bars.push_back({st.tags[i].tag, double(st.tags[i].count), std::to_string(st.tags[i].count) + " (" + fmt(share) + "%)"});
    }
    h += "<section id=\"tags\"><h2>Most frequent tags</h2>" + hbar_chart("chart-tags", bars, "#4a7bd0") + "</section>";
  }
  {
    std::vector<Bar> bars;
    for (auto& [c, n] : st.category_occurrences) bars.push_back({c, double(n), std::to_string(n) + " uses, " +
                                                                                 std::to_string(st.category_tags.at(c)) + " tags"});
    h += "<section id=\"categories\"><h2>Tags per category</h2>" + hbar_chart("chart-categories", bars, "#7a5cc2") + "</section>";
  }
  if (lint) {
    h += "<section id=\"lint\"><h2>Lint findings</h2>";
    if (lint->empty()) {
      h += "<p class=\"muted\">No findings.</p>";
    } else {
      h += "<table><tr><th>severity</th><th>rule</th><th>finding</th><th>files</th></tr>";
      for (const LintFinding& f : *lint) {
        std::string files;
        for (size_t i = 0; i < f.files.size() && i < 5; ++i) files += (i ? "<br>" : "") + esc(f.files[i]);
        if (f.files.size() > 5) files += "<br>… and " + std::to_string(f.files.size() - 5) + " more";
        h += std::string("<tr><td class=\"") + (f.severity == LintSeverity::kError ? "warn" : "muted") + "\">" +
             lint_severity_name(f.severity) + "</td><td>" + esc(f.rule) + "</td><td>" + esc(f.message) + "</td><td>" +
             files + "</td></tr>";
      }
      h += "</table>";
    }
    h += "</section>";
  }
  std::vector<TagCount> near_constant;
  for (auto& t : st.near_constant)
    if (trigger.empty() || normalize_tag_name(t.tag) != normalize_tag_name(trigger)) near_constant.push_back(t);
  h += "<section id=\"near-constant\"><h2>Near-constant tags</h2>";
  if (near_constant.empty()) {
    h += "<p class=\"muted\">None: no tag is in almost every caption.</p>";
  } else {
    h += "<p class=\"warn\">These tags are in almost every caption; the trigger will absorb them (drop them to make "
         "the trigger carry the concept, keep them to keep them promptable).</p><div class=\"tags\">";
    for (auto& t : near_constant)
      h += "<span>" + esc(t.tag) + " " + (st.captions ? fmt(100.0 * double(t.count) / double(st.captions)) : "0") + "%</span>";
    h += "</div>";
  }
  h += "</section>";
  h += "<section id=\"tags-per-caption\"><h2>Tags per caption</h2><p class=\"muted\">min " +
       std::to_string(st.tags_per_caption.min) + ", median " + fmt(st.tags_per_caption.median) + ", max " +
       std::to_string(st.tags_per_caption.max) + "</p>" +
       histogram_chart("chart-tags-per-caption", st.tags_per_caption.histogram, "#3c9d6b") + "</section>";
  h += "<section id=\"tokens\"><h2>CLIP tokens per caption</h2><p class=\"muted\">" + std::to_string(st.over_75_tokens) +
       " captions (" + fmt(100.0 * st.over_75_share) +
       "%) exceed 75 tokens: kohya cuts them unless --max_token_length is 150 or 225. Red columns are over the limit.</p>" +
       histogram_chart("chart-tokens", st.tokens_per_caption.histogram, "#3c9d6b", "76-150") + "</section>";
  {
    std::vector<Bar> bars;
    for (auto& r : st.ratings) bars.push_back({r.label, double(r.count), ""});
    h += "<section id=\"ratings\"><h2>Ratings</h2>" + hbar_chart("chart-ratings", bars, "#d08c2a") + "</section>";
  }
  auto pair_table = [&](const std::vector<TagPair>& pairs) {
    std::string t = "<table><tr><th>tag</th><th>tag</th><th>captions</th><th>lift</th></tr>";
    for (auto& p : pairs)
      t += "<tr><td>" + esc(p.a) + "</td><td>" + esc(p.b) + "</td><td>" + std::to_string(p.count) + "</td><td>" +
           fmt(p.lift, 2) + "</td></tr>";
    return t + "</table>";
  };
  h += "<section id=\"pairs\"><h2>Co-occurrence</h2><p class=\"muted\">Lift = how much more often two tags appear "
       "together than if they were independent (1 = independent).</p><h3>Most frequent pairs</h3>" +
       pair_table(st.top_pairs) + "<h3>Strongest associations</h3>" + pair_table(st.high_lift_pairs) + "</section>";
  h += "<section id=\"sizes\"><h2>Image sizes</h2><p class=\"muted\">Short side: min " + std::to_string(st.short_side.min) +
       ", median " + fmt(st.short_side.median, 0) + ", max " + std::to_string(st.short_side.max) + "</p>" +
       histogram_chart("chart-short-side", st.short_side.histogram, "#2a8fa0");
  {
    std::vector<Bar> bars;
    for (auto& s : st.sizes) bars.push_back({s.label, double(s.count), ""});
    h += hbar_chart("chart-sizes", bars, "#2a8fa0");
  }
  h += "</section>";
  h += "<section id=\"rare\"><h2>Rare tags</h2><p class=\"muted\">" + std::to_string(st.rare_tag_count) +
       " tags appear in a single caption (typos, or details the model cannot learn from one image).</p><div class=\"tags\">";
  for (auto& t : st.rare_tags) h += "<span>" + esc(t) + "</span>";
  h += "</div></section>";
  h += "</main></body></html>\n";
  return h;
}

}  // namespace tagmetry
