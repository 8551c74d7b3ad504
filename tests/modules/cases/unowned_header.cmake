# No module lists pixels.h among its HEADERS.
# expect: include/tagmetry/pixels.h belongs to no module: list it in HEADERS of the module that implements it
set(TAGMETRY_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/../fixture")
tagmetry_declared_module(NAME base DIR src/base HEADERS base.h)
tagmetry_declared_module(NAME pixels DIR src/pixels PUBLIC_DEPS base)
tagmetry_declared_module(NAME app DIR src/app DEPS pixels HEADERS app.h)
