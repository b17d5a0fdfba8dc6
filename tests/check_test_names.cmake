# Fails when a Catch test name holds ';', '[' or ']': CMake splits test lists on ';' unless
# inside brackets, so such a name silently merges the tests after it into one entry that
# runs nothing, and Catch reads '[' as the start of a tag. Run with cmake -P.
execute_process(COMMAND ${DEEPFM_TESTS} --list-test-names-only
                OUTPUT_VARIABLE names RESULT_VARIABLE result)
if(NOT result GREATER_EQUAL 0)
  message(FATAL_ERROR "could not list the tests of ${DEEPFM_TESTS}")
endif()
string(REGEX MATCHALL "[^\n]*[][;][^\n]*" bad "${names}")
if(bad)
  message(FATAL_ERROR "test names must not contain ';', '[' or ']': ${bad}")
endif()
message(STATUS "test names are safe for CTest")
