// LlamaRunner when Tagmetry is built without llama.cpp (-DTAGMETRY_LLAMA=OFF, or its source missing).
#include "llama_runner.h"

namespace tagmetry {

struct LlamaRunner::Impl {};

std::string llama_unavailable_reason() {
  return "tagmetry complete is unavailable: " TAGMETRY_LLAMA_UNAVAILABLE
         " (see docs/complete.md)";
}

GgufVocabInfo read_gguf_vocab_info(const std::filesystem::path&) { return {}; }

LlamaRunner::~LlamaRunner() = default;

Result<std::unique_ptr<LlamaRunner>> LlamaRunner::load(const std::filesystem::path&, int, int) {
  return unsupported(llama_unavailable_reason());
}
int32_t LlamaRunner::n_vocab() const { return 0; }
int LlamaRunner::n_ctx() const { return 0; }
bool LlamaRunner::has_vocabulary() const { return false; }
bool LlamaRunner::has_token(const std::string&) const { return false; }
Result<std::vector<int32_t>> LlamaRunner::tokenize(const std::string&) const {
  return unsupported(llama_unavailable_reason());
}
std::string LlamaRunner::piece(int32_t) const { return {}; }
bool LlamaRunner::is_end(int32_t) const { return true; }
Result<const float*> LlamaRunner::start(const std::vector<int32_t>&) { return unsupported(llama_unavailable_reason()); }
Result<const float*> LlamaRunner::next(int32_t) { return unsupported(llama_unavailable_reason()); }
Result<const float*> LlamaRunner::decode(std::vector<int32_t>) { return unsupported(llama_unavailable_reason()); }

}  // namespace tagmetry
