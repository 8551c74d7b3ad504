#include "cli_output.h"
#include "tagmetry/dataset.h"

#include <ext/stdio_sync_filebuf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tagmetry/progress.h"

namespace tagmetry::cli {
namespace {

Status& last_error() {
  static Status last;
  return last;
}

size_t g_stdout_bytes = 0;

// The write function of the counting stdout: everything goes on to fd 1 and is counted.
ssize_t write_counted(void*, const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(STDOUT_FILENO, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return done > 0 ? static_cast<ssize_t>(done) : -1;
    done += static_cast<size_t>(n);
  }
  g_stdout_bytes += done;
  return static_cast<ssize_t>(done);
}

}  // namespace

std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

void print_error(const Status& status) {
  last_error() = status;
  std::fprintf(stderr, "tagmetry: %s\n", status.message().c_str());
}

void print_error(const std::string& message) { print_error(invalid_argument(message)); }

void print_warning(const std::string& message) {
  std::fprintf(stderr, "tagmetry: warning: %s\n", message.c_str());
}

void print_note(const std::string& message) { std::fprintf(stderr, "tagmetry: %s\n", message.c_str()); }

void start_json_run() {
  // stdout is replaced by a stream that counts what passes through it; std::cout (which libstdc++ ties
  // to the FILE it was built with) is pointed at the same stream, so the two stay in order.
  std::fflush(stdout);
  FILE* counted = fopencookie(nullptr, "w", cookie_io_functions_t{nullptr, write_counted, nullptr, nullptr});
  if (!counted) return;
  std::setvbuf(counted, nullptr, ::isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
  stdout = counted;
  // Never destroyed: std::cout is flushed after static objects are gone.
  static auto* buffer = new __gnu_cxx::stdio_sync_filebuf<char>(counted);
  std::cout.rdbuf(buffer);
}

int finish_json_run(int code) {
  std::fflush(stdout);
  if (code != kExitUsage || g_stdout_bytes > 0) return code;
  Status error = last_error();
  if (error.ok()) error = invalid_argument("the run stopped (see the messages above)");
  nlohmann::json j{{"error", {{"code", error_code_name(error.code())}, {"message", error.message()}}}};
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  std::fflush(stdout);
  return code;
}

std::string command_line(const std::string& fallback) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  for (char c : raw) out += c == '\0' ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? fallback : out;
}

bool show_progress(bool json) { return !json && ProgressReporter::stderr_is_terminal(); }

std::string resolve_caption_extension(const std::string& dir, bool recursive, const std::string& current, bool given,
                                      bool quiet) {
  if (given) return current;
  CaptionExtensionChoice c = detect_caption_extension(dir, recursive, current);
  if (c.switched && !quiet) print_note(c.note);
  return c.extension;
}

}  // namespace tagmetry::cli
