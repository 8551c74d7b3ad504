// SHA-256 throughput, portable code vs the SHA-NI path, on an in-memory buffer and on files.
//
//   sha256_bench [--mb N] [--rounds R] [FILE...]
//
// For each implementation the buffer (N MiB of pseudo-random bytes, default 256) is hashed R times
// (default 3) and the best round is reported, then each FILE is hashed with sha256_file() R times
// (the first round may read from disk; later ones from the page cache). Also times small messages
// (100 bytes, 4 KiB) to show the per-call overhead. All digests of both implementations must agree.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "sha256_internal.h"
#include "tagmetry/sha256.h"

namespace {

using tagmetry::sha256_internal::Sha256Impl;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Timing {
  double best_s = 1e300;
  std::string digest;
};

template <typename F>
Timing best_of(int rounds, F&& f) {
  Timing t;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    std::string d = f();
    t.best_s = std::min(t.best_s, seconds_since(t0));
    if (!t.digest.empty() && d != t.digest) {
      std::fprintf(stderr, "digest changed between rounds\n");
      std::exit(1);
    }
    t.digest = d;
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mb = 256;
  int rounds = 3;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--mb") && i + 1 < argc) {
      mb = std::strtoul(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      files.push_back(argv[i]);
    }
  }

  std::string buffer(mb << 20, '\0');
  std::mt19937_64 rng(42);
  for (size_t i = 0; i + 8 <= buffer.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(buffer.data() + i, &v, 8);
  }

  std::vector<Sha256Impl> impls = {Sha256Impl::kPortable};
  if (tagmetry::sha256_internal::sha_ni_available()) impls.push_back(Sha256Impl::kShaNi);
  std::printf("SHA-NI available: %s\n", tagmetry::sha256_internal::sha_ni_available() ? "yes" : "no");
  std::printf("%-9s %-28s %10s %10s\n", "impl", "input", "MB/s", "best s");

  std::vector<std::string> first_digests;
  size_t check = 0;
  bool mismatch = false;
  for (Sha256Impl impl : impls) {
    tagmetry::sha256_internal::force_portable(impl == Sha256Impl::kPortable);
    const char* name = impl == Sha256Impl::kPortable ? "portable" : "sha-ni";
    size_t k = 0;
    auto report = [&](const std::string& what, double bytes, const Timing& t) {
      std::printf("%-9s %-28s %10.1f %10.4f\n", name, what.c_str(), bytes / 1e6 / t.best_s, t.best_s);
      if (impl == impls.front()) {
        first_digests.push_back(t.digest);
      } else if (first_digests[k] != t.digest) {
        std::printf("  DIGEST MISMATCH: %s vs %s\n", first_digests[k].c_str(), t.digest.c_str());
        mismatch = true;
      }
      ++k;
      ++check;
    };

    Timing big = best_of(rounds, [&] { return tagmetry::sha256_hex(buffer); });
    report(std::to_string(mb) + " MiB buffer", double(buffer.size()), big);

    for (size_t len : {size_t{100}, size_t{4096}}) {
      const size_t count = std::min<size_t>(buffer.size() / len, (64u << 20) / len);
      Timing t = best_of(rounds, [&] {
        tagmetry::Sha256 acc;  // digest of digests so rounds can be compared
        for (size_t i = 0; i < count; ++i) acc.update(tagmetry::sha256_hex(std::string_view(buffer).substr(i * len, len)));
        return acc.finish_hex();
      });
      report(std::to_string(count) + " x " + std::to_string(len) + " B messages", double(count * len), t);
    }

    for (const std::string& path : files) {
      std::error_code ec;
      const double size = double(std::filesystem::file_size(path, ec));
      Timing t = best_of(rounds, [&] {
        auto r = tagmetry::sha256_file(path);
        if (!r.ok()) {
          std::fprintf(stderr, "%s\n", r.status().message().c_str());
          std::exit(1);
        }
        return *r;
      });
      report(std::filesystem::path(path).filename().string() + " (file)", size, t);
    }
  }
  tagmetry::sha256_internal::force_portable(false);
  if (mismatch) return 1;
  std::printf("all %zu digests agree between implementations\n", check / impls.size());
  return 0;
}
