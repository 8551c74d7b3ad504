#pragma once
// SHA-256 (FIPS 180-4), used to verify downloaded model files against the sha256 the Hugging Face Hub
// publishes for LFS files (X-Linked-Etag). Small and dependency-free; not constant-time (no secrets here).

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "tagmetry/status.h"

namespace tagmetry {

// Incremental hasher. Not thread-safe; one object per stream.
class Sha256 {
 public:
  Sha256() { reset(); }

  // Starts over as if newly constructed.
  void reset();
  // Adds `size` bytes at `data` to the message.
  void update(const void* data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Returns the digest of everything added so far as 64 lowercase hex digits. The hasher must be
  // reset() before it is used again.
  std::string finish_hex();
  // Bytes added since the last reset().
  uint64_t size() const { return length_; }

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_{};
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

// Returns the SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

// Returns the SHA-256 of the file's contents as 64 lowercase hex digits; errors name the file.
Result<std::string> sha256_file(const std::filesystem::path& path);

// sha256_file() of a large file that rarely changes (a model), remembered per user in
// user_cache_dir()/file-hashes.tsv by absolute path, size and modification time: a model is hashed once
// per machine instead of once per dataset. A cache that cannot be read or written is only slower.
Result<std::string> sha256_file_cached(const std::filesystem::path& path);

// True when `s` is exactly 64 hex digits (either case): the form of a sha256 ETag.
bool is_sha256_hex(std::string_view s);

}  // namespace tagmetry
