// InferenceSession on ONNX Runtime's C++ API. ORT exceptions are caught here and become Status.
#include <onnxruntime_cxx_api.h>

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "ort_env.h"
#include "providers.h"
#include "tagmetry/infer.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

Ort::Env& ort_env() { return ort::env(); }

std::string element_type_name(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return "int8";
    default: return "other";
  }
}

TensorInfo describe(const std::string& name, const Ort::TypeInfo& type) {
  TensorInfo info;
  info.name = name;
  if (type.GetONNXType() == ONNX_TYPE_TENSOR) {
    auto t = type.GetTensorTypeAndShapeInfo();
    info.shape = t.GetShape();
    info.element_type = element_type_name(t.GetElementType());
  } else {
    info.element_type = "non-tensor";
  }
  return info;
}

bool has_provider(const std::string& provider) {
  auto all = available_execution_providers();
  return std::find(all.begin(), all.end(), provider) != all.end();
}

const char* provider_of(const std::string& device) {
  if (device == "cuda") return "CUDAExecutionProvider";
  if (device == "tensorrt") return "TensorrtExecutionProvider";
  if (device == "coreml") return "CoreMLExecutionProvider";
  return "CPUExecutionProvider";
}

// "CUDAExecutionProvider (all 367 nodes)" / "CUDAExecutionProvider (360 nodes), CPUExecutionProvider (7 nodes)".
std::string placement_text(const std::vector<std::pair<std::string, long>>& placements) {
  if (placements.size() == 1) return placements[0].first + " (all " + std::to_string(placements[0].second) + " nodes)";
  std::vector<std::string> parts;
  for (auto& [provider, n] : placements) parts.push_back(provider + " (" + std::to_string(n) + " nodes)");
  return join(parts, ", ");
}

// Appends the provider for `device` to `so`. The GPU providers are asked for even when
// GetAvailableProviders() does not list them (the asus4 build of ORT loads them on request without listing
// them); their library is loaded first by us so that a failure names the missing library.
void append_cuda(Ort::SessionOptions& so, const SessionOptions& options) {
  Ort::CUDAProviderOptions cuda;
  std::unordered_map<std::string, std::string> kv;
  for (auto& [k, v] : cuda_provider_options(options)) kv[k] = v;
  cuda.Update(kv);
  so.AppendExecutionProvider_CUDA_V2(*cuda);
}

Status add_provider(Ort::SessionOptions& so, const std::string& device, const SessionOptions& options,
                    const std::string& flag) {
  if (device == "cuda" || device == "tensorrt") {
    TM_RETURN_IF_ERROR(ort::probe_provider(device, flag));
    try {
      if (device == "tensorrt") {
        OrtTensorRTProviderOptions trt{};
        trt.device_id = options.device_id;
        so.AppendExecutionProvider_TensorRT(trt);
      }
      if (device == "cuda" || ort::probe_provider("cuda", flag).ok()) append_cuda(so, options);
    } catch (const Ort::Exception& e) {
      return unsupported(flag + ": ONNX Runtime cannot start the " + device + " provider: " + e.what());
    }
  } else if (device == "coreml") {
    if (!has_provider("CoreMLExecutionProvider"))
      return unsupported(flag + ": this ONNX Runtime build has no CoreML provider (available: " +
                         join(available_execution_providers(), ", ") + ")");
    so.AppendExecutionProvider("CoreML", {});
  } else if (device != "cpu") {
    return invalid_argument(flag + ": expected cpu, cuda, tensorrt or coreml");
  }
  return {};
}

class OrtSession final : public InferenceSession {
 public:
  OrtSession(Ort::Session session, std::string device, std::string placement, int device_id, bool io_binding)
      : session_(std::move(session)),
        device_(std::move(device)),
        placement_(std::move(placement)),
        device_id_(device_id),
        io_binding_(io_binding) {
    ort::session_opened();
    Ort::AllocatorWithDefaultOptions alloc;
    for (size_t i = 0; i < session_.GetInputCount(); ++i)
      inputs_.push_back(describe(session_.GetInputNameAllocated(i, alloc).get(), session_.GetInputTypeInfo(i)));
    for (size_t i = 0; i < session_.GetOutputCount(); ++i)
      outputs_.push_back(describe(session_.GetOutputNameAllocated(i, alloc).get(), session_.GetOutputTypeInfo(i)));
  }

  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  ~OrtSession() override {
    // The pinned buffer and the binding belong to the session's allocators: released first.
    pinned_buffer_.reset();
    binding_ = Ort::IoBinding{nullptr};
    pinned_allocator_ = Ort::Allocator{nullptr};
    session_ = Ort::Session{nullptr};
    ort::session_closed();
  }

  const std::string& device() const override { return device_; }
  const std::string& placement() const override { return placement_; }

  std::string end_profiling() override {
    if (!profiling_) return {};
    profiling_ = false;
    try {
      Ort::AllocatorWithDefaultOptions alloc;
      return session_.EndProfilingAllocated(alloc).get();
    } catch (const Ort::Exception&) {
      return {};
    }
  }
  void set_profiling(bool on) { profiling_ = on; }

  Result<OutputTensor> run(const float* data, const std::vector<int64_t>& shape) override {
    if (inputs_.empty() || outputs_.empty()) return model_error("model has no inputs or outputs");
    size_t count = 1;
    for (auto d : shape) count *= static_cast<size_t>(d);
    try {
      auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
      Ort::Value input = Ort::Value::CreateTensor<float>(mem, const_cast<float*>(data), count, shape.data(), shape.size());
      const char* in_name = inputs_[0].name.c_str();
      const char* out_name = outputs_[0].name.c_str();
      Ort::RunOptions run_options;
      run_options.SetRunLogSeverityLevel(ORT_LOGGING_LEVEL_ERROR);  // the session logs verbosely (placement)
      auto results = io_binding_ ? run_bound(run_options, data, count, shape)
                                 : session_.Run(run_options, &in_name, &input, 1, &out_name, 1);
      Ort::Value& out = results.front();
      auto info = out.GetTensorTypeAndShapeInfo();
      if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
        return model_error("model output '" + outputs_[0].name + "' is " + element_type_name(info.GetElementType()) +
                           ", expected float32");
      OutputTensor tensor;
      tensor.shape = info.GetShape();
      const float* values = out.GetTensorData<float>();
      tensor.values.assign(values, values + info.GetElementCount());
      return tensor;
    } catch (const Ort::Exception& e) {
      return model_error(std::string("inference failed: ") + e.what());
    }
  }

 private:
  // --device cuda with TAGMETRY_IO_BINDING=1: the batch is copied into page-locked ("CudaPinned") host memory
  // that the CUDA provider's allocator owns and bound there, so the host-to-device copy is one DMA instead
  // of ORT's staging through its own pinned buffer; the output is bound to pinned host memory as well.
  std::vector<Ort::Value> run_bound(const Ort::RunOptions& run_options, const float* data, size_t count,
                                    const std::vector<int64_t>& shape) {
    if (!binding_) {
      pinned_info_ = Ort::MemoryInfo("CudaPinned", OrtDeviceAllocator, device_id_, OrtMemTypeCPUOutput);
      pinned_allocator_ = Ort::Allocator(session_, pinned_info_);
      binding_ = Ort::IoBinding(session_);
    }
    if (!pinned_buffer_ || pinned_buffer_->size() < count * sizeof(float))
      pinned_buffer_.emplace(pinned_allocator_.GetAllocation(count * sizeof(float)));
    float* pinned = static_cast<float*>(pinned_buffer_->get());
    std::memcpy(pinned, data, count * sizeof(float));
    Ort::Value input = Ort::Value::CreateTensor<float>(pinned_info_, pinned, count, shape.data(), shape.size());
    binding_.ClearBoundInputs();
    binding_.ClearBoundOutputs();
    binding_.BindInput(inputs_[0].name.c_str(), input);
    binding_.BindOutput(outputs_[0].name.c_str(), pinned_info_);
    session_.Run(run_options, binding_);
    return binding_.GetOutputValues();
  }

  Ort::Session session_;
  std::string device_;
  std::string placement_;
  int device_id_ = 0;
  bool io_binding_ = false;
  Ort::MemoryInfo pinned_info_{nullptr};
  Ort::Allocator pinned_allocator_{nullptr};
  Ort::IoBinding binding_{nullptr};
  std::optional<Ort::MemoryAllocation> pinned_buffer_;
  bool profiling_ = false;
  std::vector<TensorInfo> inputs_;
  std::vector<TensorInfo> outputs_;
};

}  // namespace

std::vector<std::string> available_execution_providers() {
  try {
    ort_env();  // ORT needs its logger before any query
    return Ort::GetAvailableProviders();
  } catch (const Ort::Exception&) {
    return {"CPUExecutionProvider"};
  }
}

std::string onnxruntime_version() { return Ort::GetVersionString(); }

std::string onnxruntime_library_dir() { return ort::library_dir().string(); }

std::vector<std::pair<std::string, std::string>> gpu_runtime_libraries() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* name : {"libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10",
                           "libcufft.so.12", "libcudnn.so.9", "libnvinfer.so.10"}) {
    std::string where;
    if (void* h = dlopen(name, RTLD_LAZY | RTLD_LOCAL)) {
      link_map* map = nullptr;
      where = dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name ? map->l_name : name;
      dlclose(h);
    }
    out.emplace_back(name, where);
  }
  return out;
}

std::vector<DeviceCheck> check_devices() {
  std::vector<DeviceCheck> out;
  out.push_back({"cpu", "CPUExecutionProvider", true, "built in (" + onnxruntime_library_dir() + ")"});
  for (const char* device : {"cuda", "tensorrt"}) {
    DeviceCheck c{device, provider_of(device), false, ""};
    Ort::SessionOptions so;
    SessionOptions options;
    options.device = device;
    Status s = add_provider(so, device, options, std::string("--device ") + device);
    c.usable = s.ok();
    c.detail = s.ok() ? (ort::library_dir() / ("libonnxruntime_providers_" + c.device + ".so")).string() : s.message();
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> cuda_provider_options(const SessionOptions& options) {
  return {{"device_id", std::to_string(options.device_id)},
          {"use_tf32", options.tf32 ? "1" : "0"},
          {"cudnn_conv_algo_search", "EXHAUSTIVE"},
          {"do_copy_in_default_stream", "1"}};
}

Result<std::unique_ptr<InferenceSession>> InferenceSession::open(const std::filesystem::path& model,
                                                                const SessionOptions& options) {
  const std::string name = model.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model, ec)) return not_found(name + ": model file not found");
  try {
    Ort::SessionOptions so;
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    if (options.threads > 0) so.SetIntraOpNumThreads(options.threads);
    so.SetInterOpNumThreads(1);
    if (!options.profile_prefix.empty()) so.EnableProfiling(options.profile_prefix.c_str());
    std::string device = to_lower_ascii(options.device);
    const std::string flag = "--device " + options.device;
    TM_RETURN_IF_ERROR(add_provider(so, device, options, flag));
    so.SetLogSeverityLevel(ORT_LOGGING_LEVEL_VERBOSE);  // for the node placement lines, kept by PlacementLog
    ort::PlacementLog log;
    Ort::Session session(ort_env(), model.c_str(), so);
    auto placements = log.placements();
    // Never run on the CPU while the user asked for a GPU: ORT puts nodes its provider cannot run on the CPU.
    const std::string wanted = provider_of(device);
    long on_wanted = 0, total = 0;
    for (auto& [provider, n] : placements) {
      total += n;
      if (provider == wanted) on_wanted += n;
    }
    if (device != "cpu" && !placements.empty() && on_wanted == 0)
      return unsupported(flag + ": ONNX Runtime placed none of " + name + "'s nodes on " + wanted + " (" +
                         placement_text(placements) + ")");
    std::string placement = placements.empty() ? wanted : placement_text(placements);
    const char* io = std::getenv("TAGMETRY_IO_BINDING");
    const bool io_binding = device == "cuda" && io && std::string(io) == "1";
    auto opened = std::make_unique<OrtSession>(std::move(session), device, std::move(placement), options.device_id,
                                               io_binding);
    opened->set_profiling(!options.profile_prefix.empty());
    return std::unique_ptr<InferenceSession>(std::move(opened));
  } catch (const Ort::Exception& e) {
    std::string msg = e.what();
    auto nl = msg.find('\n');
    if (nl != std::string::npos) msg.resize(nl);
    // The provider loaded but could not start (no GPU, driver too old, out of memory): a device error, not
    // a bad model.
    const std::string device = to_lower_ascii(options.device);
    if ((device == "cuda" || device == "tensorrt") &&
        (msg.find("CUDA") != std::string::npos || msg.find("CUDNN") != std::string::npos ||
         msg.find("cuda") != std::string::npos || msg.find("TensorRT") != std::string::npos))
      return unsupported("--device " + options.device + ": ONNX Runtime cannot run " + name + " on the GPU (" + msg + ")");
    return model_error(name + ": cannot load model (" + msg + ")");
  }
}

}  // namespace tagmetry
