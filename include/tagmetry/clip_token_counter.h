#pragma once
// ClipTokenizer::count() for many tag lines, with a cache per whitespace-separated chunk. Exact: CLIP's
// normalisation of ASCII text only collapses whitespace and lower-cases, and its pre-tokenizer never
// makes a piece across whitespace and starts afresh after it, so a line's count is the sum of its
// chunks' counts. Lines with other bytes go to the tokenizer whole.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tagmetry/clip_tokenizer.h"

namespace tagmetry {

// Not thread-safe: one per thread. The cache is an open-addressing table of lower-cased chunks hashed
// while the line is split (one pass, no allocation on a hit), cleared past 64 MiB of chunks.
class ClipTokenCounter {
 public:
  // `tok` must outlive the counter.
  explicit ClipTokenCounter(const ClipTokenizer* tok) : tok_(tok), slots_(1u << 12) {}
  // Returns tok->count(line).
  size_t count(std::string_view line);

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0, length = 0, tokens = 0;
    bool used = false;
  };
  uint32_t lookup(std::string_view chunk, uint64_t h);
  bool same(std::string_view chunk, uint32_t offset) const;
  void insert(uint64_t h, uint32_t offset, uint32_t length, uint32_t tokens);
  void grow();
  void clear();

  const ClipTokenizer* tok_;
  std::vector<Slot> slots_;
  std::string keys_;
  size_t used_ = 0;
};

}  // namespace tagmetry
