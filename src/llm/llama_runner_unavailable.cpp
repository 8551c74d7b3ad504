// LlamaRunner when Tagmetry is built without llama.cpp (-DTAGMETRY_LLAMA=OFF, or its source missing).
#include "llama_runner.h"

namespace tagmetry {

struct LlamaRunner::Impl {};

std::string llama_unavailable_reason() {
  return "tagmetry complete is unavailable: " TAGMETRY_LLAMA_UNAVAILABLE
         " (see docs/complete.md)";
}

LlamaRunner::~LlamaRunner() = default;

Result<std::unique_ptr<LlamaRunner>> LlamaRunner::load(const std::filesystem::path&, int, int) {
  return unsupported(llama_unavailable_reason());
}
int32_t LlamaRunner::n_vocab() const { return 0; }
int LlamaRunner::n_ctx() const { return 0; }
Result<const float*> LlamaRunner::start(const std::vector<int32_t>&) { return unsupported(llama_unavailable_reason()); }
Result<const float*> LlamaRunner::next(int32_t) { return unsupported(llama_unavailable_reason()); }
Result<const float*> LlamaRunner::decode(std::vector<int32_t>) { return unsupported(llama_unavailable_reason()); }

}  // namespace tagmetry
