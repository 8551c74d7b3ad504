#include "tagmetry/gguf_convert.h"

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "safetensors.h"
#include "tagmetry/files.h"
#include "tagmetry/gguf_writer.h"

namespace tagmetry {
namespace {

float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal
      float f = std::ldexp(static_cast<float>(mant), -24);
      return sign ? -f : f;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Appends the tensor's elements as F32.
void append_f32(const SafetensorsTensor& t, std::string& out) {
  const size_t n = t.nbytes / safetensors_dtype_size(t.dtype);
  out.reserve(out.size() + n * 4);
  for (size_t i = 0; i < n; ++i) {
    float f = 0;
    if (t.dtype == "F32") {
      std::memcpy(&f, t.data + i * 4, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, t.data + i * 2, 2);
      if (t.dtype == "BF16") {
        uint32_t bits = static_cast<uint32_t>(h) << 16;
        std::memcpy(&f, &bits, 4);
      } else {
        f = half_to_float(h);
      }
    }
    out.append(reinterpret_cast<const char*>(&f), 4);
  }
}

GgufType type_of(const std::string& dtype) {
  if (dtype == "F16") return GgufType::kF16;
  if (dtype == "BF16") return GgufType::kBF16;
  return GgufType::kF32;
}

// llama.cpp's LlamaModel.permute (convert_hf_to_gguf.py): within each head, rows (two halves of the
// rotary dimension) are interleaved, because ggml's RoPE rotates adjacent pairs while HF rotates halves.
void append_permuted_rows(const SafetensorsTensor& t, int n_head, std::string& out) {
  const int64_t rows = t.shape[0];
  const size_t row_bytes = t.nbytes / rows;
  const int64_t head_dim = rows / n_head, half = head_dim / 2;
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t two = 0; two < 2; ++two) {
        const int64_t src = h * head_dim + two * half + i;
        out.append(reinterpret_cast<const char*>(t.data + src * row_bytes), row_bytes);
      }
}

struct Config {
  std::string arch;
  int64_t vocab = 0, hidden = 0, layers = 0, ff = 0, heads = 0, kv_heads = 0, head_dim = 0, context = 0;
  int64_t experts = 0, experts_used = 0;
  double rope_theta = 10000.0, rms_eps = 1e-5;
  bool tied = false;
};

Result<Config> read_config(const std::filesystem::path& path) {
  TM_ASSIGN_OR_RETURN(std::string text, read_file(path));
  auto j = nlohmann::json::parse(text, nullptr, false);
  const std::string p = path.string();
  if (j.is_discarded() || !j.is_object()) return corrupt(p + ": not a JSON object");
  Config c;
  auto archs = j.value("architectures", nlohmann::json::array());
  c.arch = archs.empty() ? "" : archs[0].get<std::string>();
  if (c.arch != "MixtralForCausalLM" && c.arch != "MistralForCausalLM" && c.arch != "LlamaForCausalLM")
    return unsupported(p + ": architecture '" + c.arch +
                       "' is not supported (MixtralForCausalLM, MistralForCausalLM, LlamaForCausalLM)");
  auto need = [&](const char* key, int64_t& out) -> Status {
    if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() <= 0)
      return corrupt(p + ": missing or bad \"" + key + "\"");
    out = j[key].get<int64_t>();
    return {};
  };
  TM_RETURN_IF_ERROR(need("vocab_size", c.vocab));
  TM_RETURN_IF_ERROR(need("hidden_size", c.hidden));
  TM_RETURN_IF_ERROR(need("num_hidden_layers", c.layers));
  TM_RETURN_IF_ERROR(need("intermediate_size", c.ff));
  TM_RETURN_IF_ERROR(need("num_attention_heads", c.heads));
  c.kv_heads = j.value("num_key_value_heads", c.heads);
  c.head_dim = j.contains("head_dim") && j["head_dim"].is_number_integer() ? j["head_dim"].get<int64_t>()
                                                                          : c.hidden / c.heads;
  c.context = j.value("max_position_embeddings", int64_t{2048});
  if (j.contains("rope_theta") && j["rope_theta"].is_number()) c.rope_theta = j["rope_theta"].get<double>();
  if (j.contains("rms_norm_eps") && j["rms_norm_eps"].is_number()) c.rms_eps = j["rms_norm_eps"].get<double>();
  c.tied = j.value("tie_word_embeddings", false);
  if (c.arch == "MixtralForCausalLM") {
    TM_RETURN_IF_ERROR(need("num_local_experts", c.experts));
    TM_RETURN_IF_ERROR(need("num_experts_per_tok", c.experts_used));
  }
  if (c.head_dim % 2 != 0 || c.kv_heads <= 0 || c.heads % c.kv_heads != 0)
    return corrupt(p + ": inconsistent head counts");
  return c;
}

}  // namespace

Result<GgufConvertReport> convert_hf_to_gguf(const std::filesystem::path& model_dir,
                                             const std::filesystem::path& out) {
  TM_ASSIGN_OR_RETURN(Config c, read_config(model_dir / "config.json"));
  const std::filesystem::path st_path = model_dir / "model.safetensors";
  TM_ASSIGN_OR_RETURN(SafetensorsFile st, SafetensorsFile::open(st_path));
  const std::string sp = st_path.string();

  GgufConvertReport report;
  report.architecture = c.arch;
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_string("general.name", model_dir.filename().string());
  w.add_u32("llama.vocab_size", static_cast<uint32_t>(c.vocab));
  w.add_u32("llama.context_length", static_cast<uint32_t>(c.context));
  w.add_u32("llama.embedding_length", static_cast<uint32_t>(c.hidden));
  w.add_u32("llama.block_count", static_cast<uint32_t>(c.layers));
  w.add_u32("llama.feed_forward_length", static_cast<uint32_t>(c.ff));
  w.add_u32("llama.attention.head_count", static_cast<uint32_t>(c.heads));
  w.add_u32("llama.attention.head_count_kv", static_cast<uint32_t>(c.kv_heads));
  w.add_u32("llama.rope.dimension_count", static_cast<uint32_t>(c.head_dim));
  if (c.head_dim * c.heads != c.hidden) {
    w.add_u32("llama.attention.key_length", static_cast<uint32_t>(c.head_dim));
    w.add_u32("llama.attention.value_length", static_cast<uint32_t>(c.head_dim));
  }
  w.add_f32("llama.rope.freq_base", static_cast<float>(c.rope_theta));
  w.add_f32("llama.attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_eps));
  if (c.experts > 0) {
    w.add_u32("llama.expert_count", static_cast<uint32_t>(c.experts));
    w.add_u32("llama.expert_used_count", static_cast<uint32_t>(c.experts_used));
  }
  w.add_string("tokenizer.ggml.model", "none");

  // Looks a tensor up and checks its shape (HF order, outermost first).
  Status problem;
  auto get = [&](const std::string& name, std::vector<int64_t> shape) -> const SafetensorsTensor* {
    const SafetensorsTensor* t = st.find(name);
    if (!problem.ok()) return nullptr;
    if (!t) {
      problem = corrupt(sp + ": tensor '" + name + "' is missing");
      return nullptr;
    }
    if (t->shape != shape) {
      std::string want, got;
      for (auto d : shape) want += (want.empty() ? "" : "x") + std::to_string(d);
      for (auto d : t->shape) got += (got.empty() ? "" : "x") + std::to_string(d);
      problem = corrupt(sp + ": tensor '" + name + "' is " + got + ", config.json implies " + want);
      return nullptr;
    }
    if (t->dtype != "F32" && t->dtype != "F16" && t->dtype != "BF16") {
      problem = unsupported(sp + ": tensor '" + name + "' has dtype " + t->dtype + " (F32, F16, BF16 supported)");
      return nullptr;
    }
    report.parameters += static_cast<int64_t>(t->nbytes / safetensors_dtype_size(t->dtype));
    return t;
  };
  auto matrix = [&](const std::string& gguf, const std::string& hf, int64_t rows, int64_t cols, int permute_heads = 0) {
    const SafetensorsTensor* t = get(hf, {rows, cols});
    if (!t) return;
    w.add_tensor(gguf, {cols, rows}, type_of(t->dtype), [t, permute_heads](std::string& out) {
      if (permute_heads)
        append_permuted_rows(*t, permute_heads, out);
      else
        out.append(reinterpret_cast<const char*>(t->data), t->nbytes);
    });
  };
  auto norm = [&](const std::string& gguf, const std::string& hf) {
    const SafetensorsTensor* t = get(hf, {c.hidden});
    if (!t) return;
    w.add_tensor(gguf, {c.hidden}, GgufType::kF32, [t](std::string& out) { append_f32(*t, out); });
  };

  const int64_t q_rows = c.heads * c.head_dim, kv_rows = c.kv_heads * c.head_dim;
  matrix("token_embd.weight", "model.embed_tokens.weight", c.vocab, c.hidden);
  norm("output_norm.weight", "model.norm.weight");
  if (st.find("lm_head.weight") || !c.tied) matrix("output.weight", "lm_head.weight", c.vocab, c.hidden);
  for (int64_t l = 0; l < c.layers && problem.ok(); ++l) {
    const std::string hf = "model.layers." + std::to_string(l) + ".", g = "blk." + std::to_string(l) + ".";
    norm(g + "attn_norm.weight", hf + "input_layernorm.weight");
    norm(g + "ffn_norm.weight", hf + "post_attention_layernorm.weight");
    matrix(g + "attn_q.weight", hf + "self_attn.q_proj.weight", q_rows, c.hidden, static_cast<int>(c.heads));
    matrix(g + "attn_k.weight", hf + "self_attn.k_proj.weight", kv_rows, c.hidden, static_cast<int>(c.kv_heads));
    matrix(g + "attn_v.weight", hf + "self_attn.v_proj.weight", kv_rows, c.hidden);
    matrix(g + "attn_output.weight", hf + "self_attn.o_proj.weight", c.hidden, q_rows);
    if (c.experts == 0) {
      matrix(g + "ffn_gate.weight", hf + "mlp.gate_proj.weight", c.ff, c.hidden);
      matrix(g + "ffn_up.weight", hf + "mlp.up_proj.weight", c.ff, c.hidden);
      matrix(g + "ffn_down.weight", hf + "mlp.down_proj.weight", c.hidden, c.ff);
      continue;
    }
    // MoE: the router, then each projection's experts stacked (ggml ne = {cols, rows, n_expert}).
    const SafetensorsTensor* router = get(hf + "block_sparse_moe.gate.weight", {c.experts, c.hidden});
    if (router)
      w.add_tensor(g + "ffn_gate_inp.weight", {c.hidden, c.experts}, GgufType::kF32,
                   [router](std::string& out) { append_f32(*router, out); });
    struct Proj {
      const char* gguf;
      const char* hf;
      int64_t rows, cols;
    };
    for (const Proj& pj : {Proj{"ffn_gate_exps.weight", "w1", c.ff, c.hidden}, Proj{"ffn_down_exps.weight", "w2", c.hidden, c.ff},
                           Proj{"ffn_up_exps.weight", "w3", c.ff, c.hidden}}) {
      std::vector<const SafetensorsTensor*> parts;
      for (int64_t e = 0; e < c.experts; ++e)
        parts.push_back(get(hf + "block_sparse_moe.experts." + std::to_string(e) + "." + pj.hf + ".weight", {pj.rows, pj.cols}));
      if (!problem.ok()) break;
      for (auto* t : parts)
        if (t->dtype != parts[0]->dtype) problem = unsupported(sp + ": experts of one layer with different dtypes");
      if (!problem.ok()) break;
      w.add_tensor(g + pj.gguf, {pj.cols, pj.rows, c.experts}, type_of(parts[0]->dtype), [parts](std::string& out) {
        for (auto* t : parts) out.append(reinterpret_cast<const char*>(t->data), t->nbytes);
      });
    }
  }
  TM_RETURN_IF_ERROR(problem);
  report.tensors = static_cast<int>(w.tensor_count());
  TM_ASSIGN_OR_RETURN(report.bytes, w.write(out));
  return report;
}

}  // namespace tagmetry
