// A libonnxruntime_providers_cuda.so whose CUDA dependency (libcublasLt.so.99) is missing at run time.
extern "C" int tagmetry_fake_cublas_lt_create();
extern "C" int tagmetry_fake_provider_uses_cublas() { return tagmetry_fake_cublas_lt_create(); }
