#pragma once
// Private to the library, its tests and benchmarks: which SHA-256 compression function Sha256 uses.
// Sha256 picks the x86 SHA extensions (SHA-NI) when the CPU has them and the portable C++ code
// otherwise; these hooks let a test or benchmark run both on a machine that has SHA-NI.

#include <cstddef>
#include <cstdint>

namespace tagmetry::sha256_internal {

enum class Sha256Impl { kPortable, kShaNi };

// True when this build has the SHA-NI code (x86-64 with GCC/Clang) and the CPU supports it
// (SHA, SSSE3 and SSE4.1 per CPUID). Thread-safe.
bool sha_ni_available();

// The implementation Sha256::update() uses now. Thread-safe.
Sha256Impl active_impl();

// Forces the portable implementation (true) or restores the automatic choice (false) for every
// Sha256 in the process, from the next update() on. For tests and benchmarks only: do not call it
// while another thread is hashing if that thread's timing matters (the result is the same either way).
void force_portable(bool on);

// Runs the compression function of the active implementation over `blocks` consecutive 64-byte
// blocks at `data`, updating the eight state words in place (FIPS 180-4 section 6.2.2).
void compress_blocks(uint32_t state[8], const uint8_t* data, size_t blocks);

}  // namespace tagmetry::sha256_internal
