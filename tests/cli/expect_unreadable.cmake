# expect_command.cmake for a command given a file of mode 000: run with -DUNREADABLE=path and
# the same variables. Root reads any file (CAP_DAC_OVERRIDE), and CI runs as root: there the
# command runs under `setpriv` without the two capabilities that bypass file permissions, so
# mode 000 means what it means for everyone else. Where the file stays readable even so (no
# setpriv, or a container that cannot drop capabilities), the check means nothing and the test
# prints SKIPPED: (CTest reports it skipped).
execute_process(COMMAND ${CMAKE_COMMAND} -E cat "${UNREADABLE}" RESULT_VARIABLE readable
                OUTPUT_QUIET ERROR_QUIET)
if(readable EQUAL 0)
  set(drop_caps setpriv --inh-caps=-dac_override,-dac_read_search
                --bounding-set=-dac_override,-dac_read_search --)
  # The tool itself must still start without them (its folders may not be root's).
  string(REPLACE "|" ";" words "${COMMAND}")
  list(GET words 0 tool)
  execute_process(COMMAND ${drop_caps} ${tool} --help RESULT_VARIABLE can_drop
                  OUTPUT_QUIET ERROR_QUIET)
  execute_process(COMMAND ${drop_caps} ${CMAKE_COMMAND} -E cat "${UNREADABLE}"
                  RESULT_VARIABLE readable_without OUTPUT_QUIET ERROR_QUIET)
  if(NOT can_drop EQUAL 0 OR readable_without EQUAL 0)
    message(STATUS "SKIPPED: ${UNREADABLE} is readable despite mode 000, and the tool cannot "
                   "run under setpriv without root's file-permission override here")
    return()
  endif()
  list(JOIN drop_caps "|" prefix)
  set(COMMAND "${prefix}|${COMMAND}")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/expect_command.cmake)
