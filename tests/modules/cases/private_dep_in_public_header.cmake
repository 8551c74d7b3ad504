# pixels.h (public) includes tagmetry/base.h, but pixels declares base as a private dependency.
# expect: include/tagmetry/pixels.h \(a public header of pixels\) includes tagmetry/base.h of module base: add base to PUBLIC_DEPS in src/pixels/CMakeLists.txt
set(TAGMETRY_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/../fixture")
tagmetry_declared_module(NAME base DIR src/base HEADERS base.h)
tagmetry_declared_module(NAME pixels DIR src/pixels DEPS base HEADERS pixels.h)
tagmetry_declared_module(NAME app DIR src/app DEPS pixels base HEADERS app.h)
