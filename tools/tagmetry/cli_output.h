#pragma once
// How the CLI reports: one-line errors on stderr ("tagmetry: img003.png: not an image"), and exit codes
// from Status codes.

#include <string>

#include "command.h"
#include "tagmetry/status.h"

namespace tagmetry::cli {

// Prints "tagmetry: <message>" to stderr.
void print_error(const Status& status);
void print_error(const std::string& message);
void print_warning(const std::string& message);
// An informational line on stderr ("tagmetry: MESSAGE"), kept off stdout so --json output stays clean.
void print_note(const std::string& message);

// Maps a fatal Status to an exit code: usage/model/config problems → 2, everything else → 1.
int exit_code_for(const Status& status);

// The command line as typed, for the caption journal (read from /proc/self/cmdline); `fallback` where
// /proc is not available.
std::string command_line(const std::string& fallback);

// True when progress should be drawn (stderr is a terminal and JSON output is off).
bool show_progress(bool json);

// The caption extension a command uses: `current` when the user gave --caption-extension (`given`),
// else detect_caption_extension(dir) (".caption" when only those exist), with a note on stderr when it
// switched (unless `quiet`).
std::string resolve_caption_extension(const std::string& dir, bool recursive, const std::string& current, bool given,
                                      bool quiet = false);

}  // namespace tagmetry::cli
