#include "llama_runner.h"

#include <ggml-cpu.h>
#include <gguf.h>
#include <llama.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

namespace tagmetry {
namespace {

// llama.cpp logs to stderr by default; keep its first error for our messages and print everything only
// with TAGMETRY_LLAMA_LOG=1.
std::mutex g_log_mutex;
std::string g_first_error;

void log_callback(ggml_log_level level, const char* text, void*) {
  static const bool verbose = [] {
    const char* v = std::getenv("TAGMETRY_LLAMA_LOG");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  if (verbose) std::fputs(text, stderr);
  if (level == GGML_LOG_LEVEL_ERROR) {
    // The first error says what went wrong ("error loading model: unknown model architecture: 'x'");
    // the ones after it only say that loading failed. Drop the "function_name: " prefix.
    std::lock_guard<std::mutex> lock(g_log_mutex);
    if (!g_first_error.empty()) return;
    std::string t(text);
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    size_t colon = t.find(": ");
    if (colon != std::string::npos && t.find(' ') > colon) t = t.substr(colon + 2);
    g_first_error = t;
  }
}

void init_backend_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(log_callback, nullptr);
    llama_backend_init();
  });
}

std::string take_logged_error() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  return std::exchange(g_first_error, {});
}

}  // namespace

std::string llama_unavailable_reason() { return {}; }

GgufVocabInfo read_gguf_vocab_info(const std::filesystem::path& gguf) {
  GgufVocabInfo info;
  init_backend_once();
  gguf_init_params gp{};
  gp.no_alloc = true;
  gp.ctx = nullptr;
  gguf_context* g = gguf_init_from_file(gguf.string().c_str(), gp);
  take_logged_error();
  if (!g) return info;
  info.readable = true;
  int64_t k = gguf_find_key(g, "tokenizer.ggml.model");
  if (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_STRING) info.tokenizer_model = gguf_get_val_str(g, k);
  k = gguf_find_key(g, "tokenizer.ggml.tokens");
  if (k >= 0 && gguf_get_kv_type(g, k) == GGUF_TYPE_ARRAY && gguf_get_arr_type(g, k) == GGUF_TYPE_STRING) {
    const size_t n = gguf_get_arr_n(g, k);
    for (size_t i = 0; i < n; ++i) {
      const char* t = gguf_get_arr_str(g, k, i);
      if (std::strcmp(t, "<|gen_meta|>") == 0) info.tipo_tokens = true;
      if (std::strcmp(t, "<|input_end|>") == 0) info.dtg_tokens = true;
    }
  }
  gguf_free(g);
  return info;
}

struct LlamaRunner::Impl {
  llama_model* model = nullptr;
  llama_context* ctx = nullptr;
  ggml_threadpool* threadpool = nullptr;
  int32_t n_vocab = 0;
  ~Impl() {
    if (ctx) llama_free(ctx);
    if (threadpool) ggml_threadpool_free(threadpool);
    if (model) llama_model_free(model);
  }
};

LlamaRunner::~LlamaRunner() = default;

Result<std::unique_ptr<LlamaRunner>> LlamaRunner::load(const std::filesystem::path& gguf, int n_ctx,
                                                       int n_threads) {
  const std::string p = gguf.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(gguf, ec)) return not_found(p + ": no such model file");
  // Check the magic first: llama.cpp's message for a non-GGUF file is less direct.
  {
    char magic[4] = {};
    std::FILE* f = std::fopen(p.c_str(), "rb");
    size_t got = f ? std::fread(magic, 1, 4, f) : 0;
    if (f) std::fclose(f);
    if (got != 4 || std::memcmp(magic, "GGUF", 4) != 0) return corrupt(p + ": not a GGUF file");
  }
  init_backend_once();
  take_logged_error();
  std::unique_ptr<LlamaRunner> r(new LlamaRunner());
  r->impl_ = std::make_unique<Impl>();
  r->path_ = p;
  llama_model_params mp = llama_model_default_params();
  // CPU unless a GPU backend is built in (-DGGML_CUDA=ON) and TAGMETRY_LLAMA_GPU_LAYERS asks for layers on
  // it (docs/complete.md#cuda). ggml's CUDA kernels are not bit-reproducible: the same seed may differ.
  mp.n_gpu_layers = 0;
  if (const char* g = std::getenv("TAGMETRY_LLAMA_GPU_LAYERS"); g && *g) mp.n_gpu_layers = std::atoi(g);
  r->impl_->model = llama_model_load_from_file(p.c_str(), mp);
  if (!r->impl_->model) {
    std::string why = take_logged_error();
    return corrupt(p + ": llama.cpp cannot load it" + (why.empty() ? "" : ": " + why));
  }
  char arch[64] = {};
  llama_model_meta_val_str(r->impl_->model, "general.architecture", arch, sizeof arch);
  r->arch_ = arch;
  r->impl_->n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(r->impl_->model));
  if (r->impl_->n_vocab <= 0) return corrupt(p + ": the GGUF has no vocabulary size (llama.vocab_size)");

  llama_context_params cp = llama_context_default_params();
  int train_ctx = llama_model_n_ctx_train(r->impl_->model);
  cp.n_ctx = n_ctx > 0 ? n_ctx : std::min(train_ctx > 0 ? train_ctx : 4096, 4096);
  cp.n_batch = cp.n_ctx;
  cp.n_ubatch = std::min<uint32_t>(cp.n_ctx, 512);
  cp.n_seq_max = 1;
  int threads = n_threads > 0 ? n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.no_perf = true;
  r->impl_->ctx = llama_init_from_model(r->impl_->model, cp);
  if (!r->impl_->ctx) {
    std::string why = take_logged_error();
    return corrupt(p + ": llama.cpp cannot create a context" + (why.empty() ? "" : ": " + why));
  }
  // One thread pool for the context's life, as llama-bench and llama-cli attach: without it ggml's CPU
  // backend starts and joins its worker threads on every llama_decode, i.e. on every generated token.
  if (threads > 1) {
    ggml_threadpool_params tpp = ggml_threadpool_params_default(threads);
    r->impl_->threadpool = ggml_threadpool_new(&tpp);
    if (r->impl_->threadpool) llama_attach_threadpool(r->impl_->ctx, r->impl_->threadpool, nullptr);
  }
  return r;
}

int32_t LlamaRunner::n_vocab() const { return impl_->n_vocab; }
int LlamaRunner::n_ctx() const { return static_cast<int>(llama_n_ctx(impl_->ctx)); }

Result<const float*> LlamaRunner::decode(std::vector<int32_t> tokens) {
  if (n_past_ + static_cast<int>(tokens.size()) > n_ctx())
    return invalid_argument(path_ + ": prompt and completion exceed the context of " + std::to_string(n_ctx()) +
                            " tokens");
  for (int32_t t : tokens)
    if (t < 0 || t >= impl_->n_vocab)
      return invalid_argument(path_ + ": token id " + std::to_string(t) + " outside the model's vocabulary of " +
                              std::to_string(impl_->n_vocab) + " (tokenizer.json does not belong to this model?)");
  llama_batch batch = llama_batch_get_one(tokens.data(), static_cast<int32_t>(tokens.size()));
  int rc = llama_decode(impl_->ctx, batch);
  if (rc != 0) {
    std::string why = take_logged_error();
    return model_error(path_ + ": llama_decode failed (" + std::to_string(rc) + ")" + (why.empty() ? "" : ": " + why));
  }
  n_past_ += static_cast<int>(tokens.size());
  const float* logits = llama_get_logits_ith(impl_->ctx, -1);
  if (!logits) return model_error(path_ + ": llama.cpp returned no logits");
  return logits;
}

bool LlamaRunner::has_vocabulary() const {
  return llama_vocab_type(llama_model_get_vocab(impl_->model)) != LLAMA_VOCAB_TYPE_NONE;
}

bool LlamaRunner::has_token(const std::string& text) const {
  if (!has_vocabulary()) return false;
  const llama_vocab* v = llama_model_get_vocab(impl_->model);
  for (int32_t id = 0; id < impl_->n_vocab; ++id) {
    const char* t = llama_vocab_get_text(v, id);
    if (t && text == t) return true;
  }
  return false;
}

Result<std::vector<int32_t>> LlamaRunner::tokenize(const std::string& text) const {
  if (!has_vocabulary()) return invalid_argument(path_ + ": the GGUF has no vocabulary to tokenize with");
  const llama_vocab* v = llama_model_get_vocab(impl_->model);
  const int32_t len = static_cast<int32_t>(text.size());
  int32_t n = llama_tokenize(v, text.data(), len, nullptr, 0, true, true);
  if (n == INT32_MIN) return invalid_argument(path_ + ": prompt too long to tokenize");
  std::vector<int32_t> ids(n < 0 ? -n : n);
  n = llama_tokenize(v, text.data(), len, ids.data(), static_cast<int32_t>(ids.size()), true, true);
  if (n < 0) return internal_error(path_ + ": llama_tokenize failed");
  ids.resize(n);
  return ids;
}

std::string LlamaRunner::piece(int32_t token) const {
  const llama_vocab* v = llama_model_get_vocab(impl_->model);
  char buf[256];
  int32_t n = llama_token_to_piece(v, token, buf, sizeof buf, 0, true);
  if (n >= 0) return std::string(buf, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(-n), '\0');
  n = llama_token_to_piece(v, token, big.data(), static_cast<int32_t>(big.size()), 0, true);
  big.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return big;
}

bool LlamaRunner::is_end(int32_t token) const { return llama_vocab_is_eog(llama_model_get_vocab(impl_->model), token); }

Result<const float*> LlamaRunner::start(const std::vector<int32_t>& prompt) {
  if (prompt.empty()) return invalid_argument("empty prompt");
  // Forget the cells only (data = false): the stale keys and values are masked out, and zeroing the whole
  // cache (n_ctx x layers x 2 x n_embd fp16: 126 MB for TIPO-200M at n_ctx 2048) costs tens of ms a pass.
  llama_memory_clear(llama_get_memory(impl_->ctx), false);
  n_past_ = 0;
  return decode(prompt);
}

Result<const float*> LlamaRunner::next(int32_t token) { return decode({token}); }

}  // namespace tagmetry
