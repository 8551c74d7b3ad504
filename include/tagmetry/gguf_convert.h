#pragma once
// Hugging Face checkpoint -> GGUF for llama.cpp, in C++ (no Python at pull time). Handles the decoder-only
// architectures the completion models use: MixtralForCausalLM (Dart v2 MoE), MistralForCausalLM (Dart v2)
// and LlamaForCausalLM, from config.json + model.safetensors. Tensors are renamed and laid out as
// llama.cpp's convert_hf_to_gguf.py does for these (Q/K rows permuted for llama.cpp's RoPE, MoE experts
// stacked into one tensor per projection); data types are kept (F32/F16/BF16; norms as F32), so nothing is
// rounded. The GGUF has no vocabulary (tokenizer.ggml.model = "none", llama.vocab_size = rows of the
// embedding): the tokenizer stays in Tagmetry (see dart_tokenizer.h).

#include <cstdint>
#include <filesystem>
#include <string>

#include "tagmetry/status.h"

namespace tagmetry {

struct GgufConvertReport {
  std::string architecture;  // config.json "architectures"[0]
  int tensors = 0;           // tensors written
  uint64_t bytes = 0;        // size of the GGUF file
  int64_t parameters = 0;
};

// Writes `out` (atomically: temp file + rename) from `model_dir`/config.json and model.safetensors.
// Errors name the file: kNotFound (missing file), kCorrupt (bad safetensors header, a tensor whose shape
// does not match config.json), kUnsupported (another architecture or data type), kIo.
Result<GgufConvertReport> convert_hf_to_gguf(const std::filesystem::path& model_dir,
                                             const std::filesystem::path& out);

}  // namespace tagmetry
