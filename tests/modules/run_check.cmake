# Runs cmake/check_module_deps.cmake on MANIFEST and compares with the manifest's "# expect: " line:
# "ok" (exit status 0), or a regular expression the error output must match (with a non-zero exit status).
#   cmake -DCHECKER=check_module_deps.cmake -DMANIFEST=case.cmake -P run_check.cmake
file(STRINGS "${MANIFEST}" expect_lines REGEX "^# expect: ")
if(NOT expect_lines)
  message(FATAL_ERROR "${MANIFEST}: no '# expect: ' line")
endif()
list(GET expect_lines 0 expect)
string(REGEX REPLACE "^# expect: " "" expect "${expect}")
execute_process(COMMAND "${CMAKE_COMMAND}" "-DMANIFEST=${MANIFEST}" -P "${CHECKER}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("exit status ${rc}\n${out}${err}")
if(expect STREQUAL "ok")
  if(NOT rc EQUAL 0 OR NOT out MATCHES "dependencies as declared")
    message(FATAL_ERROR "expected the check to pass")
  endif()
elseif(rc EQUAL 0)
  message(FATAL_ERROR "expected the check to fail with: ${expect}")
elseif(NOT err MATCHES "module check: ${expect}")
  message(FATAL_ERROR "expected the message: ${expect}")
endif()
