#pragma once
// The CLI's exit status for a library error, decided by its code alone (never by its message text):
// 0 ok, 1 some items failed, 2 usage / model / input errors that stopped the run.

#include "tagmetry/status.h"

namespace tagmetry::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;           // everything done (or skipped by rule)
inline constexpr int kExitSomeFailed = 1;   // some items failed; the rest were processed
inline constexpr int kExitUsage = 2;        // usage error, or a model/config error that stops the run

// Maps a fatal Status (one that stopped the run) to an exit code: kExitUsage, or kExitSomeFailed for a
// run the user interrupted (kCancelled).
int exit_code_for(const Status& status);
// Maps the Status of one failed item among several (one model of `models pull a b`): usage, model,
// not-found, exists and busy (another run holds the dataset: nothing was done) → 2, the rest (network,
// I/O, corrupt data) → 1.
int item_exit_code_for(const Status& status);

}  // namespace tagmetry::cli
