// Benchmark of `tagmetry serve` on a large dataset (issue #8 targets: the gallery's first screen of a
// 100,000-image dataset in under 1 s with thumbnails cached, server memory under 500 MB, list/filter API
// calls under 50 ms).
//
//   server_bench DATASET [--web-root DIR] [--rounds N] [--screen N]
//
// Runs the server in-process on a free port and measures, with an HTTP client:
//   - startup: scanning the folder and reading every caption (the index);
//   - the first screen, as a browser loads it: index.html and its assets, /api/session, the first page of
//     /api/images, /api/tags, /api/history, then the first screen's thumbnails (already cached), over 6
//     connections like a browser; median of N rounds;
//   - API latency (median and 95th percentile) of list, filter, tag and detail calls;
//   - a tag-wide rename from the tag list (issue #21 targets: preview <= 300 ms, rename of a tag on 10,000
//     captions <= 3 s): the tag whose count is nearest 10,000 renamed with POST /api/batch (dry run with
//     the first 200 changes, then the write), then undone with POST /api/undo (the dataset is left as
//     it was);
//   - memory: the process's resident set (VmRSS) and peak (VmHWM).
// The dataset: bench/stats/make_dataset.py OUT 100000 (tiny PNGs with 15-45 tags each).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tagmetry/server.h"

namespace {
using Clock = std::chrono::steady_clock;
using tagmetry::Server;

// CPU time of this process (every thread: the server runs in it), in ms: on a loaded machine the wall
// time of a step is mostly waiting for a core, its CPU time is not.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

long status_kb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::string(key).size()));
  return -1;
}

struct Stats {
  double median = 0, p95 = 0;
};
Stats summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stats s;
  if (v.empty()) return s;
  s.median = v[v.size() / 2];
  s.p95 = v[std::min(v.size() - 1, static_cast<size_t>(v.size() * 0.95))];
  return s;
}

std::string must_get(httplib::Client& c, const std::string& path) {
  auto r = c.Get(path);
  if (!r || r->status != 200) {
    std::fprintf(stderr, "GET %s failed (%d)\n", path.c_str(), r ? r->status : -1);
    std::exit(1);
  }
  return r->body;
}

nlohmann::json must_post(httplib::Client& c, const std::string& path, const std::string& token,
                         const nlohmann::json& body) {
  httplib::Headers headers{{"X-Tagmetry-Token", token}};
  auto r = c.Post(path, headers, body.dump(), "application/json");
  if (!r || r->status != 200) {
    std::fprintf(stderr, "POST %s failed (%d): %s\n", path.c_str(), r ? r->status : -1, r ? r->body.c_str() : "");
    std::exit(1);
  }
  return nlohmann::json::parse(r->body);
}

// The tag-wide rename of the tag list: preview (dry run), apply, undo, each timed once.
void tag_wide_rename(httplib::Client& client, const std::string& token) {
  client.set_read_timeout(120, 0);
  auto tags = nlohmann::json::parse(must_get(client, "/api/tags?sort=count&limit=100000"));
  std::string tag;
  long best = -1;
  for (auto& t : tags["tags"]) {
    long count = t["count"].get<long>();
    if (best < 0 || std::labs(count - 10000) < std::labs(best - 10000)) best = count, tag = t["tag"].get<std::string>();
  }
  if (tag.empty()) return;
  nlohmann::json body{{"filter", {{"all", {tag}}}},
                      {"op", {{"kind", "replace"}, {"tags", {tag, tag + "_renamed", "bench_extra_tag"}}}},
                      {"dry_run", true},
                      {"max_changes", 200}};
  std::vector<double> previews, preview_cpu;
  nlohmann::json preview;
  for (int i = 0; i < 5; ++i) {
    auto tp = Clock::now();
    double c0 = cpu_ms();
    preview = must_post(client, "/api/batch", token, body);
    previews.push_back(ms_since(tp));
    preview_cpu.push_back(cpu_ms() - c0);
  }
  body["dry_run"] = false;
  auto ta = Clock::now();
  double c1 = cpu_ms();
  auto applied = must_post(client, "/api/batch", token, body);
  double apply_ms = ms_since(ta), apply_cpu = cpu_ms() - c1;
  // The next list call rebuilds the tag postings the write made stale (the gallery's refresh).
  auto tl = Clock::now();
  must_get(client, "/api/images?limit=200&all=" + tag + "_renamed");
  double list_ms = ms_since(tl);
  auto tu = Clock::now();
  double c2 = cpu_ms();
  auto undone = must_post(client, "/api/undo", token, nlohmann::json::object());
  double undo_ms = ms_since(tu), undo_cpu = cpu_ms() - c2;
  std::printf("\ntag-wide replace of '%s' (%ld captions) by 2 tags, as the tag list's dialog does it:\n"
              "  preview (dry run, 200 changes listed): median %.0f ms wall, %.0f ms CPU (%zu to change)\n"
              "  apply: %.0f ms wall, %.0f ms CPU (%zu changed, operation %s); next filtered list %.0f ms\n"
              "  undo: %.0f ms wall, %.0f ms CPU (%zu reverted)\n",
              tag.c_str(), best, summarise(previews).median, summarise(preview_cpu).median,
              preview["changed"].get<size_t>(), apply_ms, apply_cpu, applied["changed"].get<size_t>(),
              applied["operation_id"].dump().c_str(), list_ms, undo_ms, undo_cpu, undone["reverted"].size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: server_bench DATASET [--web-root DIR] [--rounds N] [--screen N]\n");
    return 2;
  }
  std::string dataset = argv[1];
  tagmetry::ServeParams params;
  params.port = 0;
  params.poll_seconds = 0;
  int rounds = 5, screen = 40;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--web-root") params.web_root = argv[i + 1];
    else if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
    else if (a == "--screen") screen = std::atoi(argv[i + 1]);
  }

  auto t0 = Clock::now();
  auto server = Server::create(dataset, params);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().message().c_str());
    return 1;
  }
  double startup_ms = ms_since(t0);
  if (!(*server)->bind().ok()) return 1;
  std::thread runner([&] { (void)(*server)->run(); });
  httplib::Client client("127.0.0.1", (*server)->port());
  for (int i = 0; i < 500 && !client.Get("/api/session"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::printf("dataset: %s, %zu images\n", dataset.c_str(), (*server)->images());
  std::printf("startup (scan + read every caption): %.0f ms\n", startup_ms);
  std::printf("front end: %s\n", (*server)->web_root().empty() ? "(none found: HTML page only)" : (*server)->web_root().c_str());

  // Thumbnails of the first screen, made once (the target is for cached thumbnails).
  auto tc = Clock::now();
  for (int i = 0; i < screen; ++i) must_get(client, "/api/image/" + std::to_string(i) + "/thumb?size=256");
  std::printf("making %d thumbnails (cold, once): %.0f ms\n", screen, ms_since(tc));
  // Warm the vocabulary the tag sidebar uses (loaded once per server run).
  auto tv = Clock::now();
  must_get(client, "/api/tags?limit=1");
  std::printf("first /api/tags (loads the tag list and Japanese dictionary once): %.0f ms\n", ms_since(tv));

  // First screen, as a browser loads it.
  std::string html = must_get(client, "/");
  std::vector<std::string> assets;
  std::regex asset_re(R"re((?:src|href)="\.?(/assets/[^"]+)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), asset_re); it != std::sregex_iterator(); ++it)
    assets.push_back((*it)[1]);
  std::vector<double> screens;
  for (int r = 0; r < rounds; ++r) {
    auto ts = Clock::now();
    httplib::Client c("127.0.0.1", (*server)->port());
    must_get(c, "/");
    for (auto& a : assets) must_get(c, a);
    must_get(c, "/api/session");
    must_get(c, "/api/images?offset=0&limit=200");
    must_get(c, "/api/tags?sort=count&limit=500");
    must_get(c, "/api/history");
    std::atomic<int> next{0};
    std::vector<std::thread> conns;
    for (int k = 0; k < 6; ++k)
      conns.emplace_back([&] {
        httplib::Client cc("127.0.0.1", (*server)->port());
        for (int i; (i = next++) < screen;) must_get(cc, "/api/image/" + std::to_string(i) + "/thumb?size=256");
      });
    for (auto& t : conns) t.join();
    screens.push_back(ms_since(ts));
  }
  Stats first = summarise(screens);
  std::printf("first screen (html + %zu assets + session + 200 items + tags + history + %d cached thumbnails): "
              "median %.0f ms (max %.0f)\n",
              assets.size(), screen, first.median, *std::max_element(screens.begin(), screens.end()));

  // API latency.
  auto tags = nlohmann::json::parse(must_get(client, "/api/tags?sort=count&limit=50"));
  auto t = [&](int i) {
    std::string out;
    for (unsigned char ch : tags["tags"][i]["tag"].get<std::string>()) {
      char buf[4];
      if (std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.') out.push_back(static_cast<char>(ch));
      else std::snprintf(buf, sizeof(buf), "%%%02X", ch), out += buf;
    }
    return out;
  };
  std::vector<std::pair<std::string, std::string>> calls = {
      {"list, first page", "/api/images?offset=0&limit=200"},
      {"list, page 400", "/api/images?offset=80000&limit=200"},
      {"filter AND of 2 frequent tags", "/api/images?limit=200&all=" + t(1) + "&all=" + t(2)},
      {"filter OR + NOT", "/api/images?limit=200&any=" + t(5) + "&any=" + t(6) + "&none=" + t(1)},
      {"filter AND 3 + NOT 1", "/api/images?limit=200&all=" + t(1) + "&all=" + t(3) + "&all=" + t(4) + "&none=" + t(7)},
      {"filter text substring", "/api/images?limit=200&text=hair"},
      {"ids of a filter (select all)", "/api/images/ids?all=" + t(2)},
      {"tags sidebar (all tags)", "/api/tags?sort=count"},
      {"tags search", "/api/tags?search=hair"},
      {"image detail", "/api/image/12345"},
      {"autocomplete", "/api/vocab?q=long&limit=10"},
  };
  std::printf("\n| call | median ms | p95 ms |\n|---|---|---|\n");
  for (auto& [name, path] : calls) {
    std::vector<double> v;
    for (int i = 0; i < 30; ++i) {
      auto ti = Clock::now();
      must_get(client, path);
      v.push_back(ms_since(ti));
    }
    Stats s = summarise(v);
    std::printf("| %s | %.1f | %.1f |\n", name.c_str(), s.median, s.p95);
  }
  tag_wide_rename(client, (*server)->token());
  std::printf("\nmemory: VmRSS %.0f MB, peak VmHWM %.0f MB\n", status_kb("VmRSS:") / 1024.0, status_kb("VmHWM:") / 1024.0);
  (*server)->stop();
  runner.join();
  return 0;
}
