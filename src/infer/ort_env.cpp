// The Ort::Env, its log sink and its orderly release (see shutdown_inference in infer.h).
#include "ort_env.h"

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "tagmetry/infer.h"

namespace tagmetry::ort {
namespace {

thread_local PlacementLog* t_capture = nullptr;

// ORT logs at FATAL only (errors reach users as Status), except sessions opened with a verbose session log
// level, whose placement lines go to the PlacementLog of the opening thread.
void log_sink(void*, OrtLoggingLevel, const char*, const char*, const char*, const char* message) {
  if (t_capture && message) t_capture->lines.emplace_back(message);
}

std::mutex g_mutex;
Ort::Env* g_env = nullptr;
std::atomic<int> g_sessions{0};

}  // namespace

Ort::Env& env() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_env) g_env = new Ort::Env(ORT_LOGGING_LEVEL_FATAL, "tagmetry", log_sink, nullptr);
  return *g_env;
}

void session_opened() { ++g_sessions; }
void session_closed() { --g_sessions; }

PlacementLog::PlacementLog() { t_capture = this; }
PlacementLog::~PlacementLog() { t_capture = nullptr; }

std::vector<std::pair<std::string, long>> PlacementLog::placements() const {
  // ORT writes " All nodes placed on [CPUExecutionProvider]. Number of nodes: 3" or one
  // " Node(s) placed on [X]. Number of nodes: N" line per provider.
  std::vector<std::pair<std::string, long>> out;
  for (const auto& line : lines) {
    auto at = line.find("placed on [");
    if (at == std::string::npos) continue;
    auto open = at + 11, close = line.find(']', open);
    if (close == std::string::npos) continue;
    long count = 0;
    auto n = line.find("Number of nodes: ", close);
    if (n != std::string::npos) count = std::strtol(line.c_str() + n + 17, nullptr, 10);
    out.emplace_back(line.substr(open, close - open), count);
  }
  return out;
}

}  // namespace tagmetry::ort

namespace tagmetry {

// The environment owns the loaded provider libraries (ORT unloads them when it is released). Left to
// static destruction, it would be released after the CUDA runtime's own exit handlers have run (they were
// registered later, so they run first), and the CUDA provider's shutdown then frees into a torn-down heap:
// "corrupted double-linked list", exit 134. So main() releases it here, before returning. A session still
// open (a leak elsewhere) keeps it: releasing under a live session is worse than not releasing.
// TAGMETRY_ORT_RELEASE=0 keeps the environment to the end (never released), to compare on a machine.
void shutdown_inference() {
  std::lock_guard<std::mutex> lock(ort::g_mutex);
  if (!ort::g_env || ort::g_sessions.load() != 0) return;
  const char* mode = std::getenv("TAGMETRY_ORT_RELEASE");
  if (mode && std::string(mode) == "0") return;
  delete ort::g_env;
  ort::g_env = nullptr;
}

}  // namespace tagmetry
