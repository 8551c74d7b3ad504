# app includes a private header of pixels by a relative path.
# expect: src/app_bad/app.cpp includes "../pixels/pixels_internal.h", outside its module's folder
set(TAGMETRY_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/../fixture")
tagmetry_declared_module(NAME base DIR src/base HEADERS base.h)
tagmetry_declared_module(NAME pixels DIR src/pixels PUBLIC_DEPS base HEADERS pixels.h)
tagmetry_declared_module(NAME app DIR src/app_bad DEPS pixels HEADERS app.h)
