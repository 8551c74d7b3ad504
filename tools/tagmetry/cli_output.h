#pragma once
// How the CLI reports: one-line errors on stderr ("tagmetry: img003.png: not an image"), exit codes
// from Status codes, and for --json runs a JSON error object on stdout when the run stops.

#include <string>

#include "command.h"
#include "exit_codes.h"  // exit_code_for, item_exit_code_for
#include "tagmetry/status.h"

namespace tagmetry::cli {

// Prints "tagmetry: <message>" to stderr. The last error printed is remembered for
// finish_json_run(); a plain message counts as an invalid_argument (usage) error.
void print_error(const Status& status);
void print_error(const std::string& message);
void print_warning(const std::string& message);
// An informational line on stderr ("tagmetry: MESSAGE"), kept off stdout so --json output stays clean.
void print_note(const std::string& message);

// For --json runs. start_json_run() begins counting the bytes the command writes on stdout (printf and
// std::cout alike); finish_json_run(code) then prints {"error": {"code": "not_found", "message": "…"}}
// on stdout, from the last print_error(), when the run ends with kExitUsage and printed nothing else on
// stdout. Returns `code`. Call both from the main thread.
void start_json_run();
int finish_json_run(int code);

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
