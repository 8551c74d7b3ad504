// Cached CLIP token counts of tag lines (see clip_token_counter.h).
#include "tagmetry/clip_token_counter.h"

#include <algorithm>

namespace tagmetry {

namespace {
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
}  // namespace

size_t ClipTokenCounter::count(std::string_view line) {
  size_t total = 0;
  const size_t n = line.size();
  size_t i = 0;
  while (i < n) {
    while (i < n && is_space(line[i])) ++i;
    if (i == n) break;
    const size_t start = i;
    uint64_t h = 1469598103934665603ull;
    for (; i < n && !is_space(line[i]); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      if (c >= 0x80) return tok_->count(line);
      h = (h ^ lower(c)) * 1099511628211ull;
    }
    total += lookup(line.substr(start, i - start), h);
  }
  return total;
}

uint32_t ClipTokenCounter::lookup(std::string_view chunk, uint64_t h) {
  size_t mask = slots_.size() - 1;
  for (size_t k = size_t(h) & mask;; k = (k + 1) & mask) {
    Slot& s = slots_[k];
    if (!s.used) break;
    if (s.hash == h && s.length == chunk.size() && same(chunk, s.offset)) return s.tokens;
  }
  std::string key(chunk);
  for (char& c : key) c = char(lower(static_cast<unsigned char>(c)));
  uint32_t tokens = uint32_t(tok_->count(key));
  if (keys_.size() + key.size() > (64u << 20)) clear();  // bound the memory on endless vocabularies
  if ((used_ + 1) * 2 > slots_.size()) grow();
  insert(h, uint32_t(keys_.size()), uint32_t(key.size()), tokens);
  keys_ += key;
  return tokens;
}

bool ClipTokenCounter::same(std::string_view chunk, uint32_t offset) const {
  const char* k = keys_.data() + offset;
  for (size_t j = 0; j < chunk.size(); ++j)
    if (char(lower(static_cast<unsigned char>(chunk[j]))) != k[j]) return false;
  return true;
}

void ClipTokenCounter::insert(uint64_t h, uint32_t offset, uint32_t length, uint32_t tokens) {
  size_t mask = slots_.size() - 1;
  size_t k = size_t(h) & mask;
  while (slots_[k].used) k = (k + 1) & mask;
  slots_[k] = Slot{h, offset, length, tokens, true};
  ++used_;
}

void ClipTokenCounter::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  used_ = 0;
  for (const Slot& s : old)
    if (s.used) insert(s.hash, s.offset, s.length, s.tokens);
}

void ClipTokenCounter::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  keys_.clear();
  used_ = 0;
}

}  // namespace tagmetry
