#pragma once
// ONNX Runtime behind a small interface: open a model on an execution provider, introspect its inputs
// and outputs, run float32 batches. Only this module includes ORT headers.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tagmetry/operation.h"
#include "tagmetry/status.h"

namespace tagmetry {

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;  // -1 for dynamic dimensions
  std::string element_type;    // "float32", "float16", "int64", …
};

struct SessionOptions {
  int threads = 0;            // intra-op threads; 0 = ONNX Runtime's default (one per core)
  std::string device = "cpu"; // cpu | cuda | tensorrt | coreml
  int device_id = 0;
  // cuda: allow TF32 tensor-core arithmetic for float32 MatMul/Conv (ORT's use_tf32; Ampere and newer).
  bool tf32 = true;
  // When set, ONNX Runtime writes a per-node timing profile (Chrome trace JSON) to a file whose name starts
  // with this prefix; InferenceSession::end_profiling() finishes it and returns its path.
  std::string profile_prefix;
};

struct OutputTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;  // row-major
};

// What a tagger model's first output holds.
enum class OutputKind {
  kLogits,         // raw scores: Tagmetry applies a sigmoid
  kProbabilities,  // already in [0, 1] (the graph ends in Sigmoid or Softmax)
};

// "logits" or "probabilities".
const char* output_kind_name(OutputKind kind);

// The metadata key (ONNX ModelProto.metadata_props) with which a model declares its output kind:
// "logits" or "probabilities". It is read before the graph, for models whose tail the graph reader cannot
// see through (a Clip or Mul after the Sigmoid).
inline constexpr const char* kOutputKindMetadataKey = "tagmetry.output";

// What can be read from the graph itself without running it.
struct GraphSummary {
  int64_t ir_version = 0;
  int64_t opset = 0;
  size_t node_count = 0;
  std::string output_op;        // op producing the first graph output (through Identity/Reshape/…)
  bool output_is_sigmoid = false;
  // What the first output holds, read from the model (never guessed from its values): the metadata's
  // declaration when there is one, else kProbabilities when the output comes from a Sigmoid or Softmax,
  // else kLogits.
  OutputKind output_kind = OutputKind::kLogits;
  // Where output_kind comes from, for `models info` and the spec: "metadata tagmetry.output=probabilities",
  // "output from Sigmoid", "output from Add".
  std::string output_kind_source;
};

// Reads the ONNX protobuf (memory-mapped, weights skipped) and summarises it. Errors for files that are
// not ONNX models (truncated, wrong format), or whose tagmetry.output metadata is neither "logits" nor
// "probabilities", naming the file.
Result<GraphSummary> inspect_onnx_graph(const std::filesystem::path& model);

// Execution providers compiled into the loaded ONNX Runtime ("CPUExecutionProvider", …).
std::vector<std::string> available_execution_providers();

// The ONNX Runtime version string ("1.30.0").
std::string onnxruntime_version();

// The CUDA provider options (ORT's OrtCUDAProviderOptionsV2 keys, as ORT 1.29's
// cuda_execution_provider_info.cc names them) a session on --device cuda is created with: device_id,
// use_tf32 ("1"/"0" from `tf32`), cudnn_conv_algo_search (EXHAUSTIVE: once per input shape, the batch size
// stays fixed) and do_copy_in_default_stream (1: copies and kernels on one stream, no races).
std::vector<std::pair<std::string, std::string>> cuda_provider_options(const SessionOptions& options);

// Whether a --device can be used on this machine: its provider library loads with all its dependencies
// (what `tagmetry doctor` prints). `libraries` lists the CUDA/cuDNN libraries the GPU providers need and
// where each was found ("libcublasLt.so.13 -> /usr/local/cuda/lib64/libcublasLt.so.13" or "… not found").
struct DeviceCheck {
  std::string device;    // cpu | cuda | tensorrt
  std::string provider;  // CPUExecutionProvider, …
  bool usable = false;
  std::string detail;    // why not, or where the provider library is
};
std::vector<DeviceCheck> check_devices();
std::vector<std::pair<std::string, std::string>> gpu_runtime_libraries();  // name, path ("" = not found)
// `tagmetry doctor`: what check_devices() and gpu_runtime_libraries() find, as text or JSON.
struct DoctorParams {
  bool json = false;
};
// The declaration of `tagmetry doctor` (docs/gpu.md).
const Operation<DoctorParams>& doctor_operation();

// The folder of the loaded libonnxruntime.so.1.
std::string onnxruntime_library_dir();

// Releases ONNX Runtime's environment (and with it the provider libraries) once no session is open. main()
// calls it before returning so that nothing of ORT or CUDA is torn down by static destructors at exit.
void shutdown_inference();

// One loaded model. run() may be called from one thread at a time per session (ORT allows concurrent
// Run, but the pipeline uses one inference thread); open() is thread-safe.
class InferenceSession {
 public:
  virtual ~InferenceSession() = default;

  // Loads `model` on `options.device`. A device this ORT build lacks is a kUnsupported error that says
  // which providers exist; a file that is not a valid model is a kModel error naming it.
  static Result<std::unique_ptr<InferenceSession>> open(const std::filesystem::path& model,
                                                        const SessionOptions& options);

  virtual const std::vector<TensorInfo>& inputs() const = 0;
  virtual const std::vector<TensorInfo>& outputs() const = 0;
  virtual const std::string& device() const = 0;
  // Where ONNX Runtime placed the model's nodes, as it logged it: "CUDAExecutionProvider (all 367 nodes)" or
  // "CUDAExecutionProvider (360 nodes), CPUExecutionProvider (7 nodes)".
  virtual const std::string& placement() const = 0;

  // Runs the model's first input with `data` of `shape` (float32) and returns its first output.
  virtual Result<OutputTensor> run(const float* data, const std::vector<int64_t>& shape) = 0;

  // With SessionOptions::profile_prefix set: stops profiling and returns the profile's path ("" otherwise).
  virtual std::string end_profiling() = 0;
};

}  // namespace tagmetry
