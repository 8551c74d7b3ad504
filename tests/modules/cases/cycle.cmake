# base is declared to depend on app, which depends on base through pixels.
# expect: module dependencies form a cycle: base -> app -> pixels -> base
set(TAGMETRY_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/../fixture")
tagmetry_declared_module(NAME base DIR src/base DEPS app HEADERS base.h)
tagmetry_declared_module(NAME pixels DIR src/pixels PUBLIC_DEPS base HEADERS pixels.h)
tagmetry_declared_module(NAME app DIR src/app DEPS pixels HEADERS app.h)
