// `tagmetry buckets --html`: a self-contained page with the bucket histogram and every image with the
// part kohya's centred crop cuts away shaded, sortable by the fraction cut.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "tagmetry/kohya_bucket_report.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

std::string esc(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

// A relative URL path: each byte outside the unreserved set percent-encoded, '/' kept.
std::string url_path(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string o;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') o += static_cast<char>(c);
    else o += {'%', hex[c >> 4], hex[c & 15]};
  }
  return o;
}

std::string num(double v, const char* fmt) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

std::string kohya_buckets_html(const KohyaBucketsReport& r, const fs::path& image_root, const fs::path& html_dir) {
  std::string h;
  h += "<!doctype html><html><head><meta charset=\"utf-8\"><title>kohya buckets</title><style>"
       "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.3em}"
       ".bars{display:flex;align-items:flex-end;gap:6px;height:180px;border-bottom:1px solid #999;margin:1em 0 2.5em}"
       ".bar{background:#4a7bd0;min-width:28px;position:relative}.bar span{position:absolute;top:100%;left:0;"
       "font-size:11px;white-space:nowrap;transform:rotate(30deg);transform-origin:left top}"
       ".bar b{position:absolute;bottom:100%;width:100%;text-align:center;font-size:11px;font-weight:normal}"
       ".grid{display:flex;flex-wrap:wrap;gap:14px}.card{width:220px;font-size:12px}"
       ".pic{position:relative;width:220px;overflow:hidden;background:#ddd}"
       ".pic img{position:absolute;inset:0;width:100%;height:100%;image-orientation:none}"
       ".keep{position:absolute;outline:2px solid #ffcc00;box-shadow:0 0 0 2000px rgba(0,0,0,.6)}"
       "button{margin-right:.5em}</style></head><body>\n";
  h += "<h1>kohya buckets</h1><p>" + std::to_string(r.images.size()) + " images; " +
       std::to_string(r.steps.batches_per_epoch) + " batches an epoch, " + std::to_string(r.steps.steps_per_epoch) +
       " steps an epoch, " + std::to_string(r.steps.max_train_steps) + " steps, " + std::to_string(r.steps.epochs) +
       " epochs; mean aspect-ratio error " + num(r.mean_ar_error, "%.4f") + ".</p>\n";
  long long most = 1;
  for (auto& b : r.buckets) most = std::max(most, b.count);
  h += "<h2>Buckets (count with repeats)</h2><div class=\"bars\">";
  for (auto& b : r.buckets) {
    const std::string label = std::to_string(b.width) + "x" + std::to_string(b.height);
    h += "<div class=\"bar\" style=\"height:" + num(100.0 * static_cast<double>(b.count) / static_cast<double>(most), "%.1f") +
         "%\" title=\"" + label + ": " + std::to_string(b.images) + " images, count " + std::to_string(b.count) + ", " +
         std::to_string(b.batches) + " batches\"><b>" + std::to_string(b.count) + "</b><span>" + label + "</span></div>";
  }
  h += "</div>\n<h2>Images</h2><p>The shaded part is what kohya cuts away (centred crop; EXIF orientation "
       "ignored, as kohya ignores it). Sort: <button data-k=\"cut\">most cut</button><button data-k=\"scale\">"
       "most upscaled</button><button data-k=\"name\">name</button></p><div class=\"grid\" id=\"grid\">\n";
  std::error_code ec;
  const fs::path base = fs::absolute(html_dir, ec);
  for (auto& i : r.images) {
    const int rw = std::max(1, i.choice.resized_width), rh = std::max(1, i.choice.resized_height);
    fs::path file = fs::path(i.file).is_absolute() ? fs::path(i.file) : fs::absolute(image_root, ec) / i.file;
    const std::string src = url_path(file.lexically_relative(base).generic_string());
    const double l = 100.0 * i.crop.left / rw, t = 100.0 * i.crop.top / rh;
    const double w = 100.0 * (i.crop.right - i.crop.left) / rw, hh = 100.0 * (i.crop.bottom - i.crop.top) / rh;
    h += "<div class=\"card\" data-cut=\"" + num(i.crop.cut_fraction, "%.6f") + "\" data-scale=\"" +
         num(i.choice.scale, "%.6f") + "\" data-name=\"" + esc(i.file) + "\"><div class=\"pic\" style=\"aspect-ratio:" +
         std::to_string(rw) + "/" + std::to_string(rh) + "\"><img loading=\"lazy\" src=\"" + esc(src) + "\" alt=\"\">" +
         "<div class=\"keep\" style=\"left:" + num(l, "%.3f") + "%;top:" + num(t, "%.3f") + "%;width:" + num(w, "%.3f") +
         "%;height:" + num(hh, "%.3f") + "%\"></div></div>" + esc(i.file) + "<br>" + std::to_string(i.width) + "x" +
         std::to_string(i.height) + " → " + std::to_string(i.choice.bucket_width) + "x" +
         std::to_string(i.choice.bucket_height) + ", cut " + num(100.0 * i.crop.cut_fraction, "%.1f") + "%, scale " +
         num(i.choice.scale, "%.3f") + "</div>\n";
  }
  h += "</div><script>document.querySelectorAll('button[data-k]').forEach(b=>b.onclick=()=>{const k=b.dataset.k,"
       "g=document.getElementById('grid'),c=[...g.children];c.sort((x,y)=>k==='name'?x.dataset.name.localeCompare("
       "y.dataset.name):y.dataset[k]-x.dataset[k]);c.forEach(e=>g.appendChild(e));});"
       "document.querySelector('button[data-k=cut]').click();</script></body></html>\n";
  return h;
}

}  // namespace tagmetry
