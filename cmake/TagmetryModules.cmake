# Tagmetry's modules: one static library per src/<module>/ folder (docs/design.md, "Modules").
#
# tagmetry_module(NAME name
#                 [PUBLIC_DEPS module ...]  # modules whose headers this module's public headers include
#                 [DEPS module ...]         # modules only its own .cpp/.h files include
#                 [HEADERS x.h ...]         # its public headers, in include/tagmetry/
#                 SOURCES a.cpp ...)
# makes the library tagmetry_<name>: include/ is its public include path, its own folder a private one
# (so its private headers are reachable from nowhere else), and it links the listed modules. The build
# checks that every file includes only headers of modules it may see (cmake/check_module_deps.cmake).
# Third-party libraries: target_link_libraries(tagmetry_<name> ...) after the call.
function(tagmetry_module)
  cmake_parse_arguments(M "" "NAME" "DEPS;PUBLIC_DEPS;HEADERS;SOURCES" ${ARGN})
  if(NOT M_NAME OR NOT M_SOURCES OR M_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tagmetry_module(NAME name [PUBLIC_DEPS ..] [DEPS ..] [HEADERS ..] SOURCES ..): "
                        "got ${ARGN}")
  endif()
  set(target tagmetry_${M_NAME})
  add_library(${target} STATIC ${M_SOURCES})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(${target} PRIVATE TAGMETRY_VERSION="${PROJECT_VERSION}")
  list(TRANSFORM M_PUBLIC_DEPS PREPEND tagmetry_ OUTPUT_VARIABLE public_targets)
  list(TRANSFORM M_DEPS PREPEND tagmetry_ OUTPUT_VARIABLE private_targets)
  target_link_libraries(${target} PUBLIC Threads::Threads ${public_targets}
                                  PRIVATE ${private_targets} tagmetry_deps)
  add_dependencies(${target} tagmetry_module_check)  # defined by tagmetry_finish_modules()

  file(RELATIVE_PATH dir "${PROJECT_SOURCE_DIR}" "${CMAKE_CURRENT_SOURCE_DIR}")
  set_property(GLOBAL APPEND PROPERTY TAGMETRY_MODULES ${M_NAME})
  foreach(list PUBLIC_DEPS DEPS HEADERS)
    list(JOIN M_${list} " " ${list})
  endforeach()
  string(CONCAT entry "tagmetry_declared_module(NAME ${M_NAME} DIR ${dir} LISTS ${dir}/CMakeLists.txt\n"
                      "  PUBLIC_DEPS ${PUBLIC_DEPS}\n  DEPS ${DEPS}\n  HEADERS ${HEADERS})\n")
  set_property(GLOBAL APPEND_STRING PROPERTY TAGMETRY_MODULE_MANIFEST "${entry}")
  # What the check reads (it lists the folder itself when it runs): the module's files and public headers.
  file(GLOB own "${CMAKE_CURRENT_SOURCE_DIR}/*.h" "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  list(TRANSFORM M_HEADERS PREPEND "${PROJECT_SOURCE_DIR}/include/tagmetry/" OUTPUT_VARIABLE public)
  set_property(GLOBAL APPEND PROPERTY TAGMETRY_MODULE_FILES ${own} ${public})
endfunction()

# Called once after every module: the `tagmetry` umbrella library (all modules; what the CLI, the tests
# and the benchmarks link) and the dependency check, which runs before any module compiles and again
# whenever a module's file changes.
function(tagmetry_finish_modules)
  get_property(modules GLOBAL PROPERTY TAGMETRY_MODULES)
  list(TRANSFORM modules PREPEND tagmetry_ OUTPUT_VARIABLE targets)
  add_library(tagmetry INTERFACE)
  target_link_libraries(tagmetry INTERFACE ${targets})

  get_property(manifest GLOBAL PROPERTY TAGMETRY_MODULE_MANIFEST)
  set(file "${PROJECT_BINARY_DIR}/tagmetry_modules.cmake")
  string(CONCAT text "# Written by tagmetry_finish_modules() (cmake/TagmetryModules.cmake) for "
                     "check_module_deps.cmake.\nset(TAGMETRY_SOURCE_ROOT \"${PROJECT_SOURCE_DIR}\")\n${manifest}")
  file(CONFIGURE OUTPUT "${file}" CONTENT "${text}" @ONLY)  # rewritten only when it changes
  get_property(files GLOBAL PROPERTY TAGMETRY_MODULE_FILES)
  file(GLOB public CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/include/tagmetry/*.h")
  list(REMOVE_DUPLICATES files)
  set(stamp "${PROJECT_BINARY_DIR}/tagmetry_modules.checked")
  add_custom_command(OUTPUT "${stamp}"
    COMMAND ${CMAKE_COMMAND} -DMANIFEST=${file} -P ${PROJECT_SOURCE_DIR}/cmake/check_module_deps.cmake
    COMMAND ${CMAKE_COMMAND} -E touch "${stamp}"
    DEPENDS "${file}" "${PROJECT_SOURCE_DIR}/cmake/check_module_deps.cmake" ${files} ${public}
    COMMENT "Checking the modules' includes against their declared dependencies"
    VERBATIM)
  add_custom_target(tagmetry_module_check DEPENDS "${stamp}")
endfunction()
