# expect_command.cmake for a command given a file of mode 000: run with -DUNREADABLE=path and
# the same variables. When the file can be read anyway (root reads any file) the check means
# nothing, so the test prints SKIPPED: (CTest reports it skipped) instead of running.
execute_process(COMMAND ${CMAKE_COMMAND} -E cat "${UNREADABLE}" RESULT_VARIABLE readable
                OUTPUT_QUIET ERROR_QUIET)
if(readable EQUAL 0)
  message(STATUS "SKIPPED: ${UNREADABLE} is readable despite mode 000 (running as root?)")
  return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/expect_command.cmake)
