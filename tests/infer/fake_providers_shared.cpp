// An (empty) libonnxruntime_providers_shared.so beside the fake CUDA provider.
extern "C" int tagmetry_fake_providers_shared() { return 0; }
