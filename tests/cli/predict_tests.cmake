# ---- predict: one output line per input row, in order (issue 13) ----
# Included from tests/CMakeLists.txt inside if(TARGET deepfm_cli), after deepfm_cli_test and
# cli_dir are defined. A row predict cannot score (a wrong field count) gets an EMPTY line, is
# reported on stderr as FILE:LINE, and makes the exit code 3; --strict makes it an error (1).
# --label auto goes by what most of the first rows fit: a tie is a usage error (2), a file no
# row of which fits either way a data error (1) naming its first row. The inputs come from
# cli/make_predict_inputs.sh; the model (3 fields) is trained here, in a folder of its own.
set(predict_rows_dir ${cli_dir}/predict_rows)
set(predict_rows_model --model ${predict_rows_dir}/model.dfm)
add_test(NAME cli_predict_rows_inputs_make
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/make_predict_inputs.sh ${predict_rows_dir})
set_tests_properties(cli_predict_rows_inputs_make PROPERTIES FIXTURES_SETUP cli_predict_rows_inputs)
deepfm_cli_test(predict_rows_train 0 ARGS train --train ${predict_rows_dir}/train.tsv
                --cache-dir ${predict_rows_dir}/cache --min-count 1 --epochs 1 --batch 8 --seed 3
                --save ${predict_rows_dir}/model.dfm)
set_tests_properties(cli_predict_rows_train PROPERTIES FIXTURES_SETUP cli_predict_rows_model
                     FIXTURES_REQUIRED cli_predict_rows_inputs)

# The exact output for runs of lines: "7p" seven probabilities, "2e" two empty lines. (CMake's
# regular expressions have no {n}, so the runs are spelled out.)
function(predict_rows_regex out)
  set(regex "^")
  foreach(run IN LISTS ARGN)
    if(NOT run MATCHES "^([0-9]+)([pe])$")
      message(FATAL_ERROR "predict_rows_regex: '${run}' is not a run such as 7p or 2e")
    endif()
    if(CMAKE_MATCH_2 STREQUAL "p")
      string(REPEAT "[0-9][0-9.e-]*\n" ${CMAKE_MATCH_1} lines)
    else()
      string(REPEAT "\n" ${CMAKE_MATCH_1} lines)
    endif()
    string(APPEND regex "${lines}")
  endforeach()
  set(${out} "${regex}$" PARENT_SCOPE)
endfunction()

# deepfm_cli_test, the name kept for the fixtures below. (A function: a macro would evaluate
# the regexes' backslashes a second time.) In the regexes "." stands for each ';' of a message,
# since a ';' would split the argument in two.
set(predict_rows_tests)
function(predict_rows_test name)
  deepfm_cli_test(${name} ${ARGN})
  set(predict_rows_tests ${predict_rows_tests} ${name} PARENT_SCOPE)
endfunction()
set(wrong_with_label "expected 4 fields \\(label \\+ 3 categorical\\), found 2")

# Every row scored: one probability per row, exit 0, nothing on stderr (--strict too).
predict_rows_regex(clean_out 12p)
predict_rows_test(predict_rows_all_scored 0 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/clean.tsv STDOUT "${clean_out}" STDERR "^$")
predict_rows_test(predict_rows_strict_all_scored 0 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/clean.tsv --strict STDOUT "${clean_out}" STDERR "^$")
# Bad lines 1, 2, 10 and 20 of 20: an empty line each, in place; each quoted, then the total.
predict_rows_regex(mixed_out 2e 7p 1e 9p 1e)
set(mixed_err "^deepfm: skipped [^\n]*/mixed\\.tsv:1: ${wrong_with_label}\n")
foreach(line 2 10 20)
  string(APPEND mixed_err "deepfm: skipped [^\n]*/mixed\\.tsv:${line}: ${wrong_with_label}\n")
endforeach()
string(APPEND mixed_err
       "deepfm: skipped 4 of 20 lines. the first: [^\n]*/mixed\\.tsv:1: ${wrong_with_label}\n$")
predict_rows_test(predict_rows_bad_lines_get_empty_lines 3 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/mixed.tsv STDOUT "${mixed_out}" STDERR "${mixed_err}")
predict_rows_test(predict_rows_bad_lines_label_yes 3 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/mixed.tsv --label yes STDOUT "${mixed_out}"
                  STDERR "${mixed_err}")
# Rows without the label column, bad lines 1, 6 and 12 of 12.
predict_rows_regex(unlabelled_out 1e 4p 1e 5p 1e)
foreach(label auto no)
  predict_rows_test(predict_rows_unlabelled_bad_lines_${label} 3 ARGS predict ${predict_rows_model}
                    --data ${predict_rows_dir}/unlabelled_mixed.tsv --label ${label}
                    STDOUT "${unlabelled_out}"
                    STDERR "\ndeepfm: skipped 3 of 12 lines. the first: [^\n]*/unlabelled_mixed\\.tsv:1: expected 3 fields \\(no label column\\), found 5\n$")
endforeach()
# Issue 13's case: 10 bad lines among 600, the first on line 1. Only the first 5 are quoted.
predict_rows_regex(out600 2e 147p 1e 149p 3e 147p 1e 147p 3e)
set(err600 "^")
foreach(line 1 2 150 300 301)
  string(APPEND err600 "deepfm: skipped [^\n]*/mixed600\\.tsv:${line}: ${wrong_with_label}\n")
endforeach()
string(APPEND err600
       "deepfm: skipped 10 of 600 lines. the first: [^\n]*/mixed600\\.tsv:1: ${wrong_with_label}\n$")
predict_rows_test(predict_rows_600_lines_10_bad 3 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/mixed600.tsv --label auto STDOUT "${out600}"
                  STDERR "${err600}")
# The same into --out: the file is written (not left as its temporary) although the exit code
# is 3, with all 600 lines in place.
predict_rows_test(predict_rows_600_lines_to_file 3 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/mixed600.tsv --label yes
                  --out ${predict_rows_dir}/mixed600.out STDOUT "^$" STDERR "${err600}")
add_test(NAME cli_predict_rows_600_lines_file_content
         COMMAND ${CMAKE_COMMAND} -DFILE=${predict_rows_dir}/mixed600.out "-DREGEX=${out600}"
                 -DNO_FILE=${predict_rows_dir}/mixed600.out.tmp
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_file_matches.cmake)
set_tests_properties(cli_predict_rows_600_lines_to_file PROPERTIES
                     FIXTURES_SETUP cli_predict_rows_600_out)
set_tests_properties(cli_predict_rows_600_lines_file_content PROPERTIES
                     FIXTURES_REQUIRED cli_predict_rows_600_out)
# --strict: the first bad line is an error naming it.
predict_rows_test(predict_rows_strict 1 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/mixed.tsv --strict --out ${predict_rows_dir}/strict.out
                  STDERR "^deepfm: error: [^\n]*/mixed\\.tsv:1: ${wrong_with_label}\n$")
# A label of 7 is never a skipped row: an error, --strict or not.
predict_rows_test(predict_rows_bad_label 1 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/label7.tsv --label yes
                  STDERR "^deepfm: error: [^\n]*/label7\\.tsv:5: label must be 0 or 1")
# --label auto on a tie: say which; told which, the other rows are skipped.
predict_rows_test(predict_rows_label_tie 2 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/tie.tsv
                  STDERR "^deepfm: error: [^\n]*/tie\\.tsv: cannot tell whether its rows start with the label column: 2 of its first 4 rows fit the model read with it, as many read without it. pass --label yes or --label no\n$")
predict_rows_regex(tie_out 1e 1p 1e 1p)
predict_rows_test(predict_rows_label_tie_told 3 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/tie.tsv --label no STDOUT "${tie_out}"
                  STDERR "deepfm: skipped 2 of 4 lines. the first: [^\n]*/tie\\.tsv:1: ")
# No row fits: an error naming line 1 (auto) or quoting it (--label no); no output at all.
predict_rows_test(predict_rows_all_bad 1 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/all_bad.tsv NOT_STDOUT "\n"
                  STDERR "^deepfm: error: [^\n]*/all_bad\\.tsv:1: fits the model neither with the label column \\(${wrong_with_label}\\) nor without it \\(expected 3 fields \\(no label column\\), found 2\\). nor does any other of the first 5 rows\n$")
predict_rows_test(predict_rows_all_bad_label_no 1 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/all_bad.tsv --label no NOT_STDOUT "\n"
                  STDERR "^deepfm: error: [^\n]*/all_bad\\.tsv: no records \\([^\n]*/all_bad\\.tsv:1: expected 3 fields \\(no label column\\), found 2\\)\n$")
# Empty lines are no rows: no output line for them.
predict_rows_regex(spaced_out 2p)
predict_rows_test(predict_rows_empty_lines_are_no_rows 0 ARGS predict ${predict_rows_model}
                  --data ${predict_rows_dir}/spaced.tsv STDOUT "${spaced_out}" STDERR "^$")
# eval reports the lines it left out on stderr, as predict does, after the metrics.
predict_rows_test(eval_skipped_lines_on_stderr 0 ARGS eval ${predict_rows_model}
                  --data ${predict_rows_dir}/mixed.tsv STDOUT "^rows 16  auc " NOT_STDOUT "skipped"
                  STDERR "\ndeepfm: skipped 4 of 20 lines. the first: [^\n]*/mixed\\.tsv:1: ${wrong_with_label}\n$")
foreach(name IN LISTS predict_rows_tests)
  set_tests_properties(cli_${name} PROPERTIES
                       FIXTURES_REQUIRED "cli_predict_rows_inputs;cli_predict_rows_model")
endforeach()
set_property(TEST cli_predict_rows_600_lines_file_content APPEND PROPERTY
             FIXTURES_REQUIRED cli_predict_rows_inputs)
deepfm_cli_test(predict_rows_help 0 ARGS predict --help
                STDOUT "--label[^\n]*most of the first 1000 rows.*--strict.*gets an EMPTY line.*Exit codes: 0 every row scored, 3 some rows could")
