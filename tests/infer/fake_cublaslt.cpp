// Link-time stand-in for a CUDA library (see CMakeLists.txt); never present where the tests run.
extern "C" int tagmetry_fake_cublas_lt_create() { return 0; }
