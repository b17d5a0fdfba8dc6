# The pytorch_trajectory test (cmake -P): deepfm's training replayed in PyTorch.
#   -DDUMP=deepfm_trajectory_dump  -DPYTHON=/usr/bin/python3  -DREFERENCE=deepfm_reference.py
#   -DDATA_DIR=../shared/data  -DWORK_DIR=<scratch folder>
# Prints "SKIPPED: ..." (the test's SKIP_REGULAR_EXPRESSION) when the d2l sample or torch is
# absent; fails when a dump, the reference's self-check or any replay fails.
#
# Tolerances (max relative difference of the per-step training loss over 50 steps; see
# README.md for the measurements): the contract is 1e-5. Double is held to 1e-9: it measures
# about 2e-15, and a semantic drift as small as a 1% change of Adam's eps moves it by ~7e-6,
# which 1e-5 would let through, while reordered sums (SIMD, threads) leave it near 3e-15. Float
# cannot be held to 1e-5: rounding grows through Adam's steps (seed 1: 2.8e-6 DeepFM, 1.5e-6
# FM; worst of 40 seeds each: 5.3e-6 DeepFM, 4.6e-5 FM, where torch's own float32 run is
# 3.3e-5 away from its float64 replay), so float is held to 2e-4.
foreach(variable DUMP PYTHON REFERENCE DATA_DIR WORK_DIR)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "run_trajectory_test.cmake: -D${variable}= is required")
  endif()
endforeach()

if(DEFINED ENV{DEEPFM_DATA_DIR} AND EXISTS "$ENV{DEEPFM_DATA_DIR}/d2l-ctr/test.csv")
  set(DATA_DIR "$ENV{DEEPFM_DATA_DIR}")
endif()
set(data "${DATA_DIR}/d2l-ctr/test.csv")
if(NOT EXISTS "${data}")
  message("SKIPPED: ${data} not found "
          "(set DEEPFM_DATA_DIR or put ../shared/data beside the checkout)")
  return()
endif()
execute_process(COMMAND "${PYTHON}" -c "import torch, numpy" RESULT_VARIABLE no_torch
                OUTPUT_QUIET ERROR_QUIET)
if(NOT no_torch EQUAL 0)
  message("SKIPPED: ${PYTHON} cannot import torch and numpy "
          "(Debian: apt-get install python3-torch python3-numpy)")
  return()
endif()

execute_process(COMMAND "${PYTHON}" "${REFERENCE}" self-check --data-dir "${DATA_DIR}"
                RESULT_VARIABLE failed)
if(NOT failed EQUAL 0)
  message(FATAL_ERROR "deepfm_reference.py self-check failed")
endif()

# name | data file under DATA_DIR | rtol | dump options. The Criteo and Avazu cases check the
# reference's own implementation of those formats' reading rules against deepfm's.
set(cases
    "d2l-deepfm-double|d2l-ctr/test.csv|1e-9|--model deepfm --dtype double"
    "d2l-fm-double|d2l-ctr/test.csv|1e-9|--model fm --dtype double"
    "d2l-deepfm-double-lazy_exact|d2l-ctr/test.csv|1e-9|--model deepfm --adam-mode lazy_exact"
    "d2l-deepfm-float|d2l-ctr/test.csv|2e-4|--model deepfm --dtype float"
    "d2l-fm-float|d2l-ctr/test.csv|2e-4|--model fm --dtype float"
    "criteo-raw-deepfm-double|criteo-raw-pytorch-fm/train.txt|1e-9|--format criteo"
    "avazu-csv-fm-double|avazu-kaggle-tiny/tr.rx.csv|1e-9|--model fm --format csv \
--label-column click --drop-columns id")
file(REMOVE_RECURSE "${WORK_DIR}")
set(failures "")
foreach(case IN LISTS cases)
  string(REPLACE "|" ";" fields "${case}")
  list(GET fields 0 name)
  list(GET fields 1 file)
  list(GET fields 2 rtol)
  list(GET fields 3 options)
  separate_arguments(options UNIX_COMMAND "${options}")
  set(input "${DATA_DIR}/${file}")
  if(NOT EXISTS "${input}")
    message("==== ${name}: ${input} absent, case left out")
    continue()
  endif()
  set(out "${WORK_DIR}/${name}")
  message("==== ${name}: dump, then replay in torch (rtol ${rtol})")
  execute_process(COMMAND "${DUMP}" --data "${input}" --out "${out}" ${options}
                  RESULT_VARIABLE failed)
  if(NOT failed EQUAL 0)
    list(APPEND failures "${name} (dump)")
    continue()
  endif()
  execute_process(COMMAND "${PYTHON}" "${REFERENCE}" check-trajectory "${out}" --data "${input}"
                          --rtol ${rtol}
                  RESULT_VARIABLE failed)
  if(NOT failed EQUAL 0)
    list(APPEND failures "${name}")
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "trajectories differ from PyTorch's: ${failures}")
endif()
