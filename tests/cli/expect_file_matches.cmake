# Checks that FILE exists and its whole content matches REGEX, and that NO_FILE (optional,
# a leftover such as a temporary) does not exist. Run with
#   cmake -DFILE=path -DREGEX=regex [-DNO_FILE=path] -P expect_file_matches.cmake
if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "${FILE} does not exist")
endif()
file(READ "${FILE}" content)
if(NOT content MATCHES "${REGEX}")
  message(FATAL_ERROR "${FILE} does not match: ${REGEX}\ncontent:\n${content}")
endif()
if(DEFINED NO_FILE AND EXISTS "${NO_FILE}")
  message(FATAL_ERROR "${NO_FILE} exists and should not")
endif()
