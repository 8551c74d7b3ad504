// CLIP BPE tokenizer. Matches openai/CLIP simple_tokenizer.py (bytes_to_unicode, the pre-tokenizer
// pattern, bpe()) and Hugging Face CLIPTokenizer as used by kohya-ss sd-scripts. Symbols are ints: the
// BPE runs on vocabulary ids, with merge ranks in a hash table keyed by the id pair.
#include "tagmetry/clip_tokenizer.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "clip_text.h"
#include "tagmetry/data_paths.h"

namespace tagmetry {

namespace {

constexpr int kMergeCount = 49152 - 256 - 2;  // merges[1:48895] in simple_tokenizer
constexpr size_t kCacheShards = 16;
constexpr size_t kMaxEntriesPerShard = 1 << 16;

// CLIP's bytes_to_unicode(): printable Latin-1 bytes map to themselves, the others to 256+n.
// Returns the code point for each byte and the byte order (vocabulary index → byte).
struct ByteAlphabet {
  std::array<char32_t, 256> code_point{};  // byte → code point
  std::array<int, 256> id{};               // byte → vocabulary index (position in CLIP's list)
};

ByteAlphabet make_byte_alphabet() {
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<int> cs = bs;
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
      bs.push_back(b);
      cs.push_back(256 + n++);
    }
  }
  ByteAlphabet a;
  for (int i = 0; i < 256; ++i) {
    a.code_point[bs[i]] = static_cast<char32_t>(cs[i]);
    a.id[bs[i]] = i;
  }
  return a;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

uint64_t pair_key(int a, int b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

Result<std::string> read_maybe_gzipped(const std::filesystem::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files transparently
  if (!f) return io_error(path.string() + ": cannot open");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  std::string message = msg ? msg : "";
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) return corrupt(path.string() + ": " + message);
  return out;
}

}  // namespace

struct ClipTokenizer::Tables {
  ByteAlphabet bytes;
  std::vector<std::string> token_texts;  // id → token in the byte alphabet
  struct Merge {
    int rank;
    int merged;
  };
  std::unordered_map<uint64_t, Merge> merges;
  std::unordered_map<char32_t, unsigned char> byte_of_code_point;
};

struct ClipTokenizer::Cache {
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, std::vector<int>, Hash, std::equal_to<>> words;
  };
  std::array<Shard, kCacheShards> shards;
};

Result<ClipTokenizer> ClipTokenizer::load_default() {
  TM_ASSIGN_OR_RETURN(auto path, find_data_file("clip/bpe_simple_vocab_16e6.txt.gz"));
  return load(path);
}

Result<ClipTokenizer> ClipTokenizer::load(const std::filesystem::path& merges_file) {
  TM_ASSIGN_OR_RETURN(std::string text, read_maybe_gzipped(merges_file));
  auto tok = from_merges_text(text);
  if (!tok.ok()) return tok.status().with_context(merges_file.string());
  return tok;
}

Result<ClipTokenizer> ClipTokenizer::from_merges_text(std::string_view text) {
  auto tables = std::make_shared<Tables>();
  tables->bytes = make_byte_alphabet();
  // Vocabulary: the 256 byte symbols in CLIP's order, the same with "</w>", then one per merge.
  std::vector<std::string>& vocab = tables->token_texts;
  vocab.resize(512);
  for (int b = 0; b < 256; ++b) {
    std::string s;
    append_utf8(s, tables->bytes.code_point[b]);
    vocab[tables->bytes.id[b]] = s;
    vocab[256 + tables->bytes.id[b]] = s + "</w>";
    tables->byte_of_code_point[tables->bytes.code_point[b]] = static_cast<unsigned char>(b);
  }
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(kMergeCount);
  size_t pos = text.find('\n');  // skip the "#version" header
  if (pos == std::string_view::npos) return corrupt("not a CLIP merges file (no lines)");
  ++pos;
  while (pos < text.size() && static_cast<int>(merges.size()) < kMergeCount) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 >= line.size())
      return corrupt("malformed merge line " + std::to_string(merges.size() + 2) + ": '" + std::string(line) + "'");
    merges.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
  }
  if (static_cast<int>(merges.size()) != kMergeCount)
    return corrupt("expected " + std::to_string(kMergeCount) + " merges, found " + std::to_string(merges.size()));
  for (auto& [a, b] : merges) vocab.push_back(a + b);
  vocab.push_back("<|startoftext|>");
  vocab.push_back("<|endoftext|>");
  // encoder = dict(zip(vocab, range(len(vocab)))): a later duplicate wins.
  std::unordered_map<std::string, int> encoder;
  encoder.reserve(vocab.size() * 2);
  for (size_t i = 0; i < vocab.size(); ++i) encoder[vocab[i]] = static_cast<int>(i);
  tables->merges.reserve(merges.size() * 2);
  for (size_t r = 0; r < merges.size(); ++r) {
    auto ia = encoder.find(merges[r].first), ib = encoder.find(merges[r].second);
    auto im = encoder.find(merges[r].first + merges[r].second);
    if (ia == encoder.end() || ib == encoder.end())
      return corrupt("merge " + std::to_string(r) + " uses a symbol not in the vocabulary");
    tables->merges[pair_key(ia->second, ib->second)] = Tables::Merge{static_cast<int>(r), im->second};
  }
  ClipTokenizer t;
  t.tables_ = std::move(tables);
  t.cache_ = std::make_shared<Cache>();
  return t;
}

// BPE of one pre-tokenized word (UTF-8), appending its ids. Cached per word.
void ClipTokenizer::append_word(std::string_view word, std::vector<int>& out) const {
  if (word == "<|startoftext|>") {
    out.push_back(kClipBosId);
    return;
  }
  if (word == "<|endoftext|>") {
    out.push_back(kClipEosId);
    return;
  }
  const size_t h = std::hash<std::string_view>{}(word);
  Cache::Shard& shard = cache_->shards[h % kCacheShards];
  {
    std::shared_lock lock(shard.mu);
    auto it = shard.words.find(word);
    if (it != shard.words.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const Tables& t = *tables_;
  std::vector<int> syms;
  syms.reserve(word.size());
  for (unsigned char c : word) syms.push_back(t.bytes.id[c]);
  if (syms.empty()) return;
  syms.back() += 256;  // the last symbol carries "</w>"
  std::vector<int> next;
  while (syms.size() > 1) {
    int best_rank = std::numeric_limits<int>::max();
    int first = -1, second = -1, merged = -1;
    for (size_t i = 0; i + 1 < syms.size(); ++i) {
      auto it = t.merges.find(pair_key(syms[i], syms[i + 1]));
      if (it != t.merges.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank;
        first = syms[i];
        second = syms[i + 1];
        merged = it->second.merged;
      }
    }
    if (first < 0) break;
    next.clear();
    for (size_t i = 0; i < syms.size();) {
      if (i + 1 < syms.size() && syms[i] == first && syms[i + 1] == second) {
        next.push_back(merged);
        i += 2;
      } else {
        next.push_back(syms[i++]);
      }
    }
    syms.swap(next);
  }
  out.insert(out.end(), syms.begin(), syms.end());
  std::unique_lock lock(shard.mu);
  if (shard.words.size() < kMaxEntriesPerShard) shard.words.emplace(std::string(word), std::move(syms));
}

std::vector<int> ClipTokenizer::encode(std::string_view text) const {
  std::vector<int> ids;
  std::string normalized = clip_normalize(text);
  clip_text::for_each_piece(normalized, [&](std::string_view piece) { append_word(piece, ids); });
  return ids;
}

size_t ClipTokenizer::count(std::string_view text) const {
  // A per-thread word → token-count cache in front of the shared one: no locking on the hot path.
  struct LocalCounts {
    const void* owner = nullptr;
    std::unordered_map<std::string, uint32_t, Cache::Hash, std::equal_to<>> counts;
  };
  thread_local LocalCounts local;
  thread_local std::vector<int> scratch;
  if (local.owner != cache_.get() || local.counts.size() > kMaxEntriesPerShard * 4) {
    local.counts.clear();
    local.owner = cache_.get();
  }
  std::string normalized = clip_normalize(text);
  size_t total = 0;
  clip_text::for_each_piece(normalized, [&](std::string_view piece) {
    auto it = local.counts.find(piece);
    if (it != local.counts.end()) {
      total += it->second;
      return;
    }
    scratch.clear();
    append_word(piece, scratch);
    local.counts.emplace(std::string(piece), static_cast<uint32_t>(scratch.size()));
    total += scratch.size();
  });
  return total;
}

std::vector<std::string> ClipTokenizer::pre_tokenize(std::string_view text) const {
  std::vector<std::string> pieces;
  std::string normalized = clip_normalize(text);
  clip_text::for_each_piece(normalized, [&](std::string_view piece) { pieces.emplace_back(piece); });
  return pieces;
}

const std::string& ClipTokenizer::token_text(int id) const {
  static const std::string kEmpty;
  if (id < 0 || static_cast<size_t>(id) >= tables_->token_texts.size()) return kEmpty;
  return tables_->token_texts[static_cast<size_t>(id)];
}

std::string ClipTokenizer::decode(const std::vector<int>& ids) const {
  std::string joined;
  for (int id : ids) joined += token_text(id);
  std::string bytes;
  clip_text::for_each_code_point(joined, [&](char32_t c) {
    auto it = tables_->byte_of_code_point.find(c);
    if (it != tables_->byte_of_code_point.end()) bytes += static_cast<char>(it->second);
  });
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    if (bytes.compare(i, 4, "</w>") == 0) {
      out += ' ';
      i += 4;
    } else {
      out += bytes[i++];
    }
  }
  return out;
}

ClipChunking clip_chunking(size_t total_tokens, int max_token_length) {
  ClipChunking c;
  c.total = total_tokens;
  const size_t limit = max_token_length > 0 ? static_cast<size_t>(max_token_length) : kClipChunkTokens;
  c.kept = std::min(total_tokens, limit);
  c.truncated = total_tokens - c.kept;
  // kohya always feeds max_token_length / 75 chunks (padding the unused ones); we list the chunks that
  // hold at least one token, and chunk 0 always.
  for (size_t start = 0; start < limit; start += kClipChunkTokens)
    if (start == 0 || start < c.kept) c.chunk_starts.push_back(start);
  return c;
}

}  // namespace tagmetry
