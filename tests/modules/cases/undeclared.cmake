# app includes tagmetry/pixels.h but declares only base.
# expect: src/app/app.cpp includes tagmetry/pixels.h of module pixels, which app does not depend on: add pixels to DEPS in src/app/CMakeLists.txt
set(TAGMETRY_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/../fixture")
tagmetry_declared_module(NAME base DIR src/base HEADERS base.h)
tagmetry_declared_module(NAME pixels DIR src/pixels PUBLIC_DEPS base HEADERS pixels.h)
tagmetry_declared_module(NAME app DIR src/app DEPS base HEADERS app.h)
