#include "cli_output.h"
#include "tagmetry/dataset.h"

#include <cstdio>
#include <fstream>
#include <iterator>

#include "tagmetry/progress.h"

namespace tagmetry::cli {

std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

void print_error(const Status& status) { print_error(status.message()); }

void print_error(const std::string& message) { std::fprintf(stderr, "tagmetry: %s\n", message.c_str()); }

void print_warning(const std::string& message) {
  std::fprintf(stderr, "tagmetry: warning: %s\n", message.c_str());
}

void print_note(const std::string& message) { std::fprintf(stderr, "tagmetry: %s\n", message.c_str()); }

int exit_code_for(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk: return kExitOk;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kModel:
    case ErrorCode::kUnsupported:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
      return kExitUsage;
    default: return kExitSomeFailed;
  }
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
