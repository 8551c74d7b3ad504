// InferenceSession on ONNX Runtime's C++ API. ORT exceptions are caught here and become Status.
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <mutex>

#include "tagmetry/infer.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace {

Ort::Env& ort_env() {
  static Ort::Env env(ORT_LOGGING_LEVEL_FATAL, "tagmetry");  // errors reach users as Status
  return env;
}

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

class OrtSession final : public InferenceSession {
 public:
  OrtSession(Ort::Session session, std::string device) : session_(std::move(session)), device_(std::move(device)) {
    Ort::AllocatorWithDefaultOptions alloc;
    for (size_t i = 0; i < session_.GetInputCount(); ++i)
      inputs_.push_back(describe(session_.GetInputNameAllocated(i, alloc).get(), session_.GetInputTypeInfo(i)));
    for (size_t i = 0; i < session_.GetOutputCount(); ++i)
      outputs_.push_back(describe(session_.GetOutputNameAllocated(i, alloc).get(), session_.GetOutputTypeInfo(i)));
  }

  const std::vector<TensorInfo>& inputs() const override { return inputs_; }
  const std::vector<TensorInfo>& outputs() const override { return outputs_; }
  const std::string& device() const override { return device_; }

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
      auto results = session_.Run(Ort::RunOptions{nullptr}, &in_name, &input, 1, &out_name, 1);
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
  Ort::Session session_;
  std::string device_;
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
    if (device == "cuda") {
      if (!has_provider("CUDAExecutionProvider"))
        return unsupported("--device cuda: this ONNX Runtime build has no CUDA provider (available: " +
                           join(available_execution_providers(), ", ") +
                           "); build with -DTAGMETRY_ONNXRUNTIME_ROOT pointing at a GPU build of ONNX Runtime");
      OrtCUDAProviderOptions cuda{};
      cuda.device_id = options.device_id;
      try {
        so.AppendExecutionProvider_CUDA(cuda);
      } catch (const Ort::Exception& e) {
        // The npm build lists CUDA but ships without libonnxruntime_providers_cuda.so / CUDA libraries.
        return unsupported(std::string("--device cuda: the CUDA provider of this ONNX Runtime build cannot be loaded (") +
                           e.what() + "); install a GPU build of ONNX Runtime and pass -DTAGMETRY_ONNXRUNTIME_ROOT");
      }
    } else if (device == "tensorrt") {
      if (!has_provider("TensorrtExecutionProvider"))
        return unsupported("--device tensorrt: this ONNX Runtime build has no TensorRT provider (available: " +
                           join(available_execution_providers(), ", ") + ")");
      OrtTensorRTProviderOptions trt{};
      trt.device_id = options.device_id;
      try {
        so.AppendExecutionProvider_TensorRT(trt);
        OrtCUDAProviderOptions cuda{};
        cuda.device_id = options.device_id;
        if (has_provider("CUDAExecutionProvider")) so.AppendExecutionProvider_CUDA(cuda);
      } catch (const Ort::Exception& e) {
        return unsupported(std::string("--device tensorrt: the TensorRT provider cannot be loaded (") + e.what() + ")");
      }
    } else if (device == "coreml") {
      if (!has_provider("CoreMLExecutionProvider"))
        return unsupported("--device coreml: this ONNX Runtime build has no CoreML provider (available: " +
                           join(available_execution_providers(), ", ") + ")");
      so.AppendExecutionProvider("CoreML", {});
    } else if (device != "cpu") {
      return invalid_argument("--device " + options.device + ": expected cpu, cuda, tensorrt or coreml");
    }
    Ort::Session session(ort_env(), model.c_str(), so);
    auto opened = std::make_unique<OrtSession>(std::move(session), device);
    opened->set_profiling(!options.profile_prefix.empty());
    return std::unique_ptr<InferenceSession>(std::move(opened));
  } catch (const Ort::Exception& e) {
    std::string msg = e.what();
    auto nl = msg.find('\n');
    if (nl != std::string::npos) msg.resize(nl);
    return model_error(name + ": cannot load model (" + msg + ")");
  }
}

}  // namespace tagmetry
