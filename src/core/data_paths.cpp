#include "tagmetry/data_paths.h"

#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace tagmetry {
namespace fs = std::filesystem;

namespace {
fs::path executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}
}  // namespace

Result<fs::path> find_data_file(std::string_view relative) {
  std::vector<fs::path> roots;
  if (const char* env = std::getenv("TAGMETRY_DATA_DIR"); env && *env) roots.emplace_back(env);
  fs::path exe_dir = executable_dir();
  if (!exe_dir.empty()) roots.push_back(exe_dir / ".." / "share" / "tagmetry");
  roots.emplace_back(TAGMETRY_SOURCE_DATA_DIR);
  std::error_code ec;
  for (auto& root : roots) {
    fs::path candidate = root / fs::path(relative);
    if (fs::is_regular_file(candidate, ec)) return candidate.lexically_normal();
  }
  return not_found("data file " + std::string(relative) + " not found (looked in $TAGMETRY_DATA_DIR, " +
                   (exe_dir / ".." / "share" / "tagmetry").lexically_normal().string() + ", " +
                   TAGMETRY_SOURCE_DATA_DIR + ")");
}

fs::path user_cache_dir() {
  if (const char* env = std::getenv("TAGMETRY_CACHE"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "tagmetry";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "tagmetry";
  return fs::temp_directory_path() / "tagmetry-cache";
}

}  // namespace tagmetry
