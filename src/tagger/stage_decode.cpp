// decode: worker threads that hash, and decode only what has no stored scores and belongs to this shard
// (tag_stages.h).
#include "tag_stages.h"
#include "tagmetry/image.h"
#include "tagmetry/strings.h"

namespace tagmetry::tagging {

DecodeStage::DecodeStage(const DecodeInputs& in) : in_(in), pool_(in.buffers, in.tagger->input_size()) {
  for (size_t t = 0; t < (in_.work->empty() ? 0 : in_.threads); ++t) threads_.emplace_back([this] { decode_loop(); });
}

DecodeStage::~DecodeStage() { stop(); }

void DecodeStage::stop() {
  stop_ = true;
  pool_.wake_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void DecodeStage::decode_loop() {
  const auto& work = *in_.work;
  while (!stop_) {
    size_t k = next_++;
    if (k >= work.size()) break;
    Prepared p;
    p.index = work[k];
    const DatasetItem& item = in_.ds->items[p.index];
    auto sha = content_hash(item.image, item.relpath, *in_.known_images, &p.record);
    if (!sha.ok()) {
      p.status = sha.status();
      ready_.push(std::move(p));
      continue;
    }
    if (in_.sharded && shard_of(*sha, in_.shard.second) != in_.shard.first) {
      p.other_shard = true;
      ready_.push(std::move(p));
      continue;
    }
    if (in_.cached->count(*sha)) {
      p.cached = true;
      ready_.push(std::move(p));
      continue;
    }
    p.buffer = pool_.acquire(stop_);
    if (!p.buffer) break;
    ImageInfo original;
    auto image = load_padded_square(item.image, in_.tagger->spec().side, {}, &original);
    if (image.ok()) {
      in_.tagger->preprocess(*image, p.buffer->data());
      p.width = original.width;
      p.height = original.height;
    } else {
      pool_.release(p.buffer);
      p.buffer = nullptr;
      p.status = image.status();
    }
    ready_.push(std::move(p));
  }
}

TagItemResult decode_failure(const Prepared& p, const DatasetItem& item) {
  std::string msg = p.status.message();
  // Decoder messages already name the file by full path; report it relative to the dataset.
  msg = replace_all(msg, item.image.string(), item.relpath);
  if (msg.starts_with(": ")) msg = msg.substr(2);
  return {item.relpath, ItemOutcome::kFailed, msg, {}, 0, 0};
}

}  // namespace tagmetry::tagging
