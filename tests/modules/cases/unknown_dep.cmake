# app names a module that does not exist.
# expect: src/app/CMakeLists.txt: module app depends on pixles, which is no module
set(TAGMETRY_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/../fixture")
tagmetry_declared_module(NAME base DIR src/base HEADERS base.h)
tagmetry_declared_module(NAME pixels DIR src/pixels PUBLIC_DEPS base HEADERS pixels.h)
tagmetry_declared_module(NAME app DIR src/app DEPS pixels pixles HEADERS app.h)
