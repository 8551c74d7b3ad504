# base (the lowest module) includes a header of pixels, which depends on base.
# expect: src/base_bad/base.cpp includes tagmetry/pixels.h of module pixels, but pixels depends on base: this include goes the wrong way
set(TAGMETRY_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/../fixture")
tagmetry_declared_module(NAME base DIR src/base_bad HEADERS base.h)
tagmetry_declared_module(NAME pixels DIR src/pixels PUBLIC_DEPS base HEADERS pixels.h)
tagmetry_declared_module(NAME app DIR src/app DEPS pixels HEADERS app.h)
