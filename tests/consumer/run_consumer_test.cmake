# Installs the build tree into a fresh prefix, then configures, builds and runs the consumer
# project against it with find_package(deepfm). Run with cmake -P.
foreach(var DEEPFM_BUILD_DIR DEEPFM_CONSUMER_SOURCE DEEPFM_WORK_DIR CMAKE_CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer_test.cmake: ${var} is not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "command failed (${result}): ${ARGN}")
  endif()
endfunction()

file(REMOVE_RECURSE ${DEEPFM_WORK_DIR})
set(prefix ${DEEPFM_WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${DEEPFM_BUILD_DIR} --prefix ${prefix})
set(generator_args)
if(DEEPFM_GENERATOR)
  set(generator_args -G ${DEEPFM_GENERATOR})
endif()
run(${CMAKE_COMMAND} -S ${DEEPFM_CONSUMER_SOURCE} -B ${DEEPFM_WORK_DIR}/build ${generator_args}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER})
# The package must come from the fresh prefix, not from an older install elsewhere.
file(STRINGS ${DEEPFM_WORK_DIR}/build/CMakeCache.txt found_dir REGEX "^deepfm_DIR:")
string(FIND "${found_dir}" "${prefix}/" at)
if(NOT at GREATER -1)
  message(FATAL_ERROR "the consumer found deepfm outside ${prefix}: ${found_dir}")
endif()
run(${CMAKE_COMMAND} --build ${DEEPFM_WORK_DIR}/build)
run(${DEEPFM_WORK_DIR}/build/consumer)
