# ---- what a new user hits (issue 13): no input overwritten, every skip counted, refusals
# that name the likely cause, CR-only files, one-class test sets, data bytes printed escaped ----
# Included from tests/CMakeLists.txt inside if(TARGET deepfm_cli). The inputs come from
# cli/make_user_inputs.sh. CMake lists split at ';', so the regular expressions below write
# the '; ' of "skipped N of M lines; the first" as '. '.
set(user ${cli_dir}/new_user)
add_test(NAME cli_user_inputs_make
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/make_user_inputs.sh
                 $<TARGET_FILE:deepfm_cli> ${user})
set_tests_properties(cli_user_inputs_make PROPERTIES FIXTURES_SETUP cli_user_inputs)
set(user_train train --cache-dir ${user}/cache --epochs 1 --batch 64 --seed 3)
set(user_tests)

# Every output is compared with every input (and the other outputs) by identity: the same
# spelling, ./ and .. spellings, a link to the file, a path through a linked folder. A clash is
# a usage error before anything is read (nothing on stdout) or written.
set(refused "NOT_STDOUT" ".")
deepfm_cli_test(user_save_over_train 2 ARGS ${user_train} --train ${user}/data.tsv
                --save ${user}/data.tsv ${refused}
                STDERR "^deepfm: error: --save [^\n]*/data\\.tsv is the --train file: writing it would destroy that input")
deepfm_cli_test(user_save_over_train_dotted 2 ARGS ${user_train} --train ${user}/data.tsv
                --save ${user}/sub/.././data.tsv ${refused}
                STDERR "--save [^\n]*/sub/\\.\\./\\./data\\.tsv is the --train file \\([^\n]*/data\\.tsv\\)")
deepfm_cli_test(user_metrics_over_train_link 2 ARGS ${user_train} --train ${user}/link.tsv
                --metrics ${user}/data.tsv ${refused}
                STDERR "--metrics [^\n]*/data\\.tsv is the --train file \\([^\n]*/link\\.tsv\\)")
deepfm_cli_test(user_plot_over_test_through_linked_folder 2 ARGS ${user_train}
                --train ${user}/skips_at_end.tsv --test ${user}/data.tsv
                --plot ${user}/sublink/../data.tsv ${refused}
                STDERR "--plot [^\n]*/sublink/\\.\\./data\\.tsv is the --test file")
deepfm_cli_test(user_metrics_over_valid 2 ARGS ${user_train} --train ${user}/skips_at_end.tsv
                --valid ${user}/data.tsv --metrics ${user}/./data.tsv ${refused}
                STDERR "--metrics [^\n]*is the --valid file")
deepfm_cli_test(user_checkpoint_over_train 2 ARGS ${user_train}
                --train ${user}/ckpt_holds_train/checkpoint.dfm
                --checkpoint-dir ${user}/ckpt_holds_train ${refused}
                STDERR "--checkpoint-dir [^\n]*ckpt_holds_train/checkpoint\\.dfm is the --train file")
deepfm_cli_test(user_two_outputs_one_file 2 ARGS ${user_train} --train ${user}/data.tsv
                --save ${user}/out.dfm --plot ${user}/sub/../out.dfm ${refused}
                STDERR "--plot and --save name the same file \\([^\n]*/sub/\\.\\./out\\.dfm\\): one would overwrite the other")
set(clash_tests user_save_over_train user_save_over_train_dotted user_metrics_over_train_link
    user_plot_over_test_through_linked_folder user_metrics_over_valid user_checkpoint_over_train
    user_two_outputs_one_file)
list(APPEND user_tests ${clash_tests})
add_test(NAME cli_user_inputs_untouched
         COMMAND ${CMAKE_COMMAND} -E compare_files ${user}/data.tsv ${user}/pristine.tsv)
list(TRANSFORM clash_tests PREPEND cli_ OUTPUT_VARIABLE clash_test_names)
set_tests_properties(cli_user_inputs_untouched PROPERTIES DEPENDS "${clash_test_names}")
list(APPEND user_tests user_inputs_untouched)

# Skipped lines: each file's total, on a cache hit too; over 10% skipped is an error naming the
# likely cause unless --allow-skips. A first line of 60 fields fixes the count, so the 200 good
# lines after it are the skipped ones.
deepfm_cli_test(user_wide_first_line 1 ARGS ${user_train} --train ${user}/wide_first_line.tsv
                STDERR "deepfm: skipped 200 of 201 lines. the first: [^\n]*wide_first_line\\.tsv:2: expected 61 fields \\(label \\+ 60 categorical\\), found 10\ndeepfm: error: [^\n]*wide_first_line\\.tsv: 200 of 201 lines skipped \\(99%\\)\\. The field count \\(60 categorical\\) came from the first record, line 1, but 200 lines have 9 categorical fields: is that line damaged\\? \\(--fields sets the count\\) The first: [^\n]*:2: [^\n]*\\. Pass --allow-skips to train on the rest anyway\n$")
deepfm_cli_test(user_wide_first_line_allowed 0 ARGS ${user_train} --train ${user}/wide_first_line.tsv
                --allow-skips STDOUT "train: 1 rows from [^\n]*wide_first_line\\.tsv \\(cache hit\\)"
                STDERR "deepfm: skipped 200 of 201 lines. the first: [^\n]*wide_first_line\\.tsv:2: ")
set_tests_properties(cli_user_wide_first_line_allowed PROPERTIES DEPENDS cli_user_wide_first_line)
deepfm_cli_test(user_skips_at_start 1 ARGS ${user_train} --train ${user}/skips_at_start.tsv
                STDERR "290 of 300 lines skipped \\(96%\\)\\. The field count \\(3 categorical\\) came from the first record, line 1, but 290 lines have 9 categorical fields")
deepfm_cli_test(user_skips_in_middle 0 ARGS ${user_train} --train ${user}/skips_in_middle.tsv
                STDOUT "train: 290 rows"
                STDERR "deepfm: skipped 10 of 300 lines. the first: [^\n]*skips_in_middle\\.tsv:146: expected 10 fields \\(label \\+ 9 categorical\\), found 4\n")
deepfm_cli_test(user_skips_at_end 0 ARGS ${user_train} --train ${user}/data.tsv
                --test ${user}/skips_at_end.tsv STDOUT "test: 290 rows"
                STDERR "deepfm: skipped 10 of 300 lines. the first: [^\n]*skips_at_end\\.tsv:291: ")
deepfm_cli_test(user_many_skips 1 ARGS ${user_train} --train ${user}/many_skips.tsv
                STDERR "many_skips\\.tsv: 40 of 300 lines skipped \\(13%\\)\\. Is --format right for this file, and are its lines whole\\? The first: [^\n]*many_skips\\.tsv:131: ")
deepfm_cli_test(user_many_skips_in_test 1 ARGS ${user_train} --train ${user}/data.tsv
                --test ${user}/many_skips.tsv
                STDERR "many_skips\\.tsv: 40 of 300 lines skipped \\(13%\\)\\. The training data has 9 categorical fields, but 40 lines have 3 categorical fields: is this file from the same data\\?")
deepfm_cli_test(user_many_skips_allowed 0 ARGS ${user_train} --train ${user}/many_skips.tsv
                --allow-skips STDOUT "train: 260 rows" STDERR "skipped 40 of 300 lines")
set(encode_twice encode --cache-dir ${user}/cache --train ${user}/skips_in_middle.tsv --json)
deepfm_cli_test(user_encode_total 0 ARGS ${encode_twice} STDOUT "\"skipped_lines\":10,"
                STDERR "deepfm: skipped 10 of 300 lines. the first: [^\n]*:146: ")
deepfm_cli_test(user_encode_total_on_cache_hit 0 ARGS ${encode_twice} STDOUT "\"cache_hit\":true"
                STDERR "deepfm: skipped [^\n]*:146: [^\n]*\n(deepfm: skipped [^\n]*\n)*deepfm: skipped 10 of 300 lines. the first: [^\n]*:146: ")
set_tests_properties(cli_user_encode_total PROPERTIES DEPENDS cli_user_skips_in_middle)
set_tests_properties(cli_user_encode_total_on_cache_hit PROPERTIES DEPENDS cli_user_encode_total)
deepfm_cli_test(user_cr_only_line_endings 1 ARGS ${user_train} --train ${user}/cr_only.tsv
                STDERR "^deepfm: error: [^\n]*cr_only\\.tsv:1: the lines end in a carriage return \\(CR\\) alone")
list(APPEND user_tests user_wide_first_line user_wide_first_line_allowed user_skips_at_start
     user_skips_in_middle user_skips_at_end user_many_skips user_many_skips_in_test
     user_many_skips_allowed user_encode_total user_encode_total_on_cache_hit
     user_cr_only_line_endings)

# Undefined metrics are n/a in the final summary as in the epoch lines.
deepfm_cli_test(user_one_class_test_set 0 ARGS ${user_train} --train ${user}/data.tsv
                --test ${user}/one_class.tsv
                STDOUT "test loss [0-9.]+ auc - acc [^\n]*\ntest: auc n/a  logloss [0-9.]+  accuracy")
# Data bytes are printed escaped: an ESC sequence, a byte-order mark named.
deepfm_cli_test(user_esc_in_label 1 ARGS ${user_train} --train ${user}/esc_label.tsv
                STDERR "^deepfm: error: [^\n]*esc_label\\.tsv:1: label must be 0 or 1, found '\\\\x1b\\[31m1'\n$")
deepfm_cli_test(user_bom_before_label 1 ARGS ${user_train} --train ${user}/bom.tsv
                STDERR "^deepfm: error: [^\n]*bom\\.tsv:1: label must be 0 or 1, found '\\\\xef\\\\xbb\\\\xbf0' \\(starts with a UTF-8 byte-order mark\\)\n$")
list(APPEND user_tests user_one_class_test_set user_esc_in_label user_bom_before_label)

foreach(name IN LISTS user_tests)
  set_tests_properties(cli_${name} PROPERTIES FIXTURES_REQUIRED cli_user_inputs
                                              RESOURCE_LOCK cli_user)
endforeach()

# predict: its output (and the temporary it is written through) is never an input either.
deepfm_cli_test(user_predict_out_over_data 2 ARGS predict --model ${user}/model.dfm
                --data ${user}/data.tsv --out ${user}/sub/../data.tsv ${refused}
                STDERR "^deepfm: error: --out [^\n]*/sub/\\.\\./data\\.tsv is the --data file")
deepfm_cli_test(user_predict_out_over_model 2 ARGS predict --model ${user}/model.dfm
                --data ${user}/data.tsv --out ${user}/model.dfm ${refused}
                STDERR "^deepfm: error: --out [^\n]*/model\\.dfm is the --model file")
deepfm_cli_test(user_predict_temporary_over_data 2 ARGS predict --model ${user}/model.dfm
                --data ${user}/data.tsv.tmp --out ${user}/data.tsv ${refused}
                STDERR "^deepfm: error: --out's temporary [^\n]*/data\\.tsv\\.tmp is the --data file")
deepfm_cli_test(user_predict_model 0 ARGS ${user_train} --train ${user}/data.tsv
                --save ${user}/model.dfm)
set_tests_properties(cli_user_predict_model PROPERTIES FIXTURES_SETUP cli_user_model)
foreach(name user_predict_out_over_data user_predict_out_over_model
             user_predict_temporary_over_data)
  set_tests_properties(cli_${name} PROPERTIES FIXTURES_REQUIRED "cli_user_inputs;cli_user_model"
                                              RESOURCE_LOCK cli_user)
endforeach()
set_property(TEST cli_user_inputs_untouched APPEND PROPERTY DEPENDS
             cli_user_predict_out_over_data cli_user_predict_temporary_over_data)
set_tests_properties(cli_user_predict_model PROPERTIES FIXTURES_REQUIRED cli_user_inputs
                                                       RESOURCE_LOCK cli_user)
