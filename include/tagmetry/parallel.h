#pragma once
// For the library's modules, not the tools (core module): loops over index ranges on a few threads (the
// calling one included), shared by the dataset, stats, store and server modules.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace tagmetry::core_internal {

// Threads to use: `requested` when > 0, else one per core; at most 16.
inline unsigned worker_threads(int requested) {
  if (requested > 0) return static_cast<unsigned>(std::min(requested, 16));
  return std::clamp(std::thread::hardware_concurrency(), 1u, 16u);
}

// Calls fn(worker, begin, end) over [0, n) in chunks of `chunk`, on at most `threads` threads (worker in
// [0, threads); no more threads than chunks); returns when every chunk is done. Chunks are handed out in
// increasing order.
template <class Fn>
void parallel_chunks(size_t n, size_t chunk, unsigned threads, Fn&& fn) {
  chunk = std::max<size_t>(chunk, 1);
  threads = static_cast<unsigned>(std::clamp<size_t>((n + chunk - 1) / chunk, 1, std::max(threads, 1u)));
  std::atomic<size_t> next{0};
  auto work = [&](unsigned worker) {
    for (size_t i; (i = next.fetch_add(chunk)) < n;) fn(worker, i, std::min(n, i + chunk));
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& t : pool) t.join();
}

// Calls fn(i) for i in [0, n) on at most `threads` threads, in chunks of `chunk`.
template <class Fn>
void parallel_for(size_t n, size_t chunk, unsigned threads, Fn&& fn) {
  parallel_chunks(n, chunk, threads, [&](unsigned, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) fn(i);
  });
}

}  // namespace tagmetry::core_internal
