# Flags: every value flag refuses a bad value at parse time (exit 2, nothing read or printed)
# with one sentence naming the flag, what it takes and what it got; --help shows defaults;
# --version names the build; `deepfm` alone lists the commands. Included by tests/CMakeLists.txt
# inside if(TARGET deepfm_cli), after deepfm_cli_test() and ${cli_dir} are defined.

set(opt_dir ${cli_dir}/options)
file(MAKE_DIRECTORY ${opt_dir})
# Should a refusal regress, the run would train on built-in data: keep it small, and its cache
# out of the user's.
set(opt_train train --cache-dir ${opt_dir}/cache --generated-rows 100 --epochs 1)
# An empty argument cannot travel through the test's '|'-joined command (CMake drops empty list
# items), so `sh -c` appends it: WRAP ${then_empty} ARGS train --save runs `deepfm train --save ''`.
set(then_empty sh -c "exec \"$0\" \"$@\" ''")
set(usage "^deepfm: error: ")  # a usage error's line; each test below ends it with "\n$"

function(option_refused name)  # option_refused(NAME STDERR_TAIL [WRAP ...] ARGS ...)
  cmake_parse_arguments(ARG "" "" "ARGS;WRAP" ${ARGN})
  list(GET ARG_UNPARSED_ARGUMENTS 0 tail)
  if(ARG_WRAP)
    deepfm_cli_test(option_${name} 2 WRAP ${ARG_WRAP} ARGS ${ARG_ARGS}
                    STDERR "${usage}${tail}\n$" NOT_STDOUT ".")
  else()
    deepfm_cli_test(option_${name} 2 ARGS ${ARG_ARGS} STDERR "${usage}${tail}\n$" NOT_STDOUT ".")
  endif()
endfunction()

# ---- real numbers: finite, in range, decimal or scientific; NaN and infinity by name ----
set(positive "--lr must be a positive finite number, got")
option_refused(lr_negative "${positive} -0\\.01" ARGS ${opt_train} --lr -0.01)
option_refused(lr_zero "${positive} 0" ARGS ${opt_train} --lr 0)
option_refused(lr_nan "${positive} nan" ARGS ${opt_train} --lr nan)
option_refused(lr_infinity "${positive} inf" ARGS ${opt_train} --lr inf)
option_refused(lr_minus_infinity "${positive} -inf" ARGS ${opt_train} --lr -inf)
option_refused(lr_overflows_double "${positive} 1e400" ARGS ${opt_train} --lr 1e400)
option_refused(lr_hex "${positive} 0x1p-3" ARGS ${opt_train} --lr 0x1p-3)
option_refused(lr_plus_sign "${positive} \\+0\\.1" ARGS ${opt_train} --lr +0.1)
option_refused(lr_empty "${positive} ''" WRAP ${then_empty} ARGS ${opt_train} --lr)
option_refused(l2_negative "--l2 must be 0 or a positive finite number, got -1e-3"
               ARGS ${opt_train} --l2 -1e-3)
option_refused(dropout_above_range "--dropout must be a number from 0 to 0\\.99, got 1\\.5"
               ARGS ${opt_train} --dropout 1.5)
option_refused(dropout_trailing_junk "--dropout must be a number from 0 to 0\\.99, got 0\\.5x"
               ARGS ${opt_train} --dropout 0.5x)
option_refused(dropout_comma_decimal "--dropout must be a number from 0 to 0\\.99, got 0,5"
               ARGS ${opt_train} --dropout 0,5)
option_refused(valid_fraction_above_range
               "--valid-fraction must be a number from 0 to 0\\.9, got 0\\.95"
               ARGS ${opt_train} --valid-fraction 0.95)

# ---- whole numbers: decimal digits only, in range ----
set(epochs "--epochs must be a whole number from 1 to 1000000, got")
option_refused(epochs_fraction "${epochs} 1\\.5" ARGS ${opt_train} --epochs 1.5)
option_refused(epochs_zero "${epochs} 0" ARGS ${opt_train} --epochs 0)
option_refused(epochs_hex "${epochs} 0x10" ARGS ${opt_train} --epochs 0x10)
option_refused(epochs_exponent "${epochs} 1e3" ARGS ${opt_train} --epochs 1e3)
option_refused(epochs_plus_sign "${epochs} \\+5" ARGS ${opt_train} --epochs +5)
option_refused(epochs_leading_space "${epochs} ' 5'" ARGS ${opt_train} --epochs " 5")
option_refused(epochs_empty "${epochs} ''" WRAP ${then_empty} ARGS ${opt_train} --epochs)
option_refused(factors_zero "--factors must be a whole number from 1 to 4096, got 0"
               ARGS ${opt_train} --factors 0)
option_refused(mlp_empty_item "--mlp must list whole numbers from 1 to 65536, got 30,,10"
               ARGS ${opt_train} --mlp 30,,10)
option_refused(mlp_trailing_comma "--mlp must list whole numbers from 1 to 65536, got 30,"
               ARGS ${opt_train} --mlp 30,)
option_refused(batch_too_big "--batch must be a whole number from 1 to 16777216, got 16777217"
               ARGS ${opt_train} --batch 16777217)
option_refused(early_stop_negative "--early-stop must be a whole number from 0 to 1000000, got -1"
               ARGS ${opt_train} --early-stop -1)
option_refused(seed_beyond_64_bits
               "--seed must be a whole number from 0 to 2\\^64-1, got 18446744073709551616"
               ARGS ${opt_train} --seed 18446744073709551616)
option_refused(threads_negative "--threads must be a whole number from 0 to 4096, got -1"
               ARGS ${opt_train} --threads -1)
option_refused(checkpoint_every_fraction
               "--checkpoint-every must be a whole number from 0 to 2\\^64-1, got 2\\.5"
               ARGS ${opt_train} --checkpoint-every 2.5)
option_refused(generated_rows_too_few
               "--generated-rows must be a whole number from 100 to 1073741824, got 99"
               ARGS train --cache-dir ${opt_dir}/cache --epochs 1 --generated-rows 99)
# The reader flags, through encode (train shares them).
set(opt_encode encode --train ${opt_dir}/absent.tsv --cache-dir ${opt_dir}/cache)
option_refused(fields_fraction "--fields must be a whole number from 0 to 4294967296, got 2\\.5"
               ARGS ${opt_encode} --fields 2.5)
option_refused(min_count_negative "--min-count must be a whole number from 0 to 2\\^64-1, got -1"
               ARGS ${opt_encode} --min-count -1)
option_refused(hash_buckets_beyond_ids
               "--hash-buckets must be a whole number from 0 to 4294967296, got 4294967297"
               ARGS ${opt_encode} --hash-buckets 4294967297)
option_refused(max_line_bytes_too_small
               "--max-line-bytes must be a whole number from 16 to 1073741824, got 15"
               ARGS ${opt_encode} --max-line-bytes 15)
set(opt_generate generate --out ${opt_dir}/refused.tsv)
option_refused(generate_rows_negative "--rows must be a whole number from 1 to 4294967296, got -5"
               ARGS ${opt_generate} --rows -5)
option_refused(generate_fields_zero "--fields must be a whole number from 1 to 1000, got 0"
               ARGS ${opt_generate} --fields 0)
option_refused(generate_values_per_field_exponent
               "--values-per-field must be a whole number from 1 to 16777216, got 1e3"
               ARGS ${opt_generate} --values-per-field 1e3)
option_refused(generate_seed_word "--seed must be a whole number from 0 to 2\\^64-1, got abc"
               ARGS ${opt_generate} --seed abc)
option_refused(generate_format_unknown "--format must be one of d2l or criteo, got avazu"
               ARGS ${opt_generate} --format avazu)
# A generated Criteo file is what `encode --format criteo` reads (39 fields).
deepfm_cli_test(option_generate_criteo 0 ARGS generate --format criteo --rows 50
                --out ${opt_dir}/criteo.txt STDOUT "^wrote 50 rows x 39 fields ")
deepfm_cli_test(option_generate_criteo_encodes 0 ARGS encode --format criteo
                --train ${opt_dir}/criteo.txt --cache-dir ${opt_dir}/criteo-cache --min-count 1
                STDOUT "train: 50 rows, 39 fields")
set_tests_properties(cli_option_generate_criteo_encodes PROPERTIES DEPENDS
                     cli_option_generate_criteo)
# Words: one of a list, spelled exactly.
option_refused(model_unknown "--model must be one of deepfm or fm, got FM" ARGS ${opt_train} --model FM)
option_refused(format_unknown
               "--format must be one of d2l, criteo, csv, libsvm or libffm, got parquet"
               ARGS ${opt_encode} --format parquet)
# Leading zeros are decimal: CLI11 alone read "010" as octal 8.
deepfm_cli_test(option_leading_zeros_are_decimal 0 ARGS generate --rows 010
                --out ${opt_dir}/ten.tsv STDOUT "^wrote 10 rows ")

# ---- names: an empty one would quietly mean "none" ----
foreach(flag save metrics plot train test valid)
  option_refused(${flag}_empty "--${flag} needs a file name"
                 WRAP ${then_empty} ARGS ${opt_train} --${flag})
endforeach()
option_refused(checkpoint_dir_empty "--checkpoint-dir needs a folder name"
               WRAP ${then_empty} ARGS ${opt_train} --checkpoint-dir)
option_refused(cache_dir_empty "--cache-dir needs a folder name"
               WRAP ${then_empty} ARGS ${opt_encode} --cache-dir)
option_refused(encode_train_empty "--train needs a file name"
               WRAP ${then_empty} ARGS encode --train)
option_refused(generate_out_empty "--out needs a file name" WRAP ${then_empty} ARGS generate --out)
option_refused(predict_out_empty "--out needs a file name"
               WRAP ${then_empty} ARGS predict --model ${opt_dir}/m.dfm --data ${opt_dir}/d.tsv --out)
option_refused(predict_model_empty "--model needs a file name"
               WRAP ${then_empty} ARGS predict --data ${opt_dir}/d.tsv --model)
option_refused(eval_data_empty "--data needs a file name"
               WRAP ${then_empty} ARGS eval --model ${opt_dir}/m.dfm --data)
option_refused(save_equals_nothing "--save needs a value" ARGS ${opt_train} --save=)

# ---- --max-memory: 0 is refused, `none` is the explicit "no limit", units still read ----
set(memory "--max-memory must be a size above 0 such as 8G or 512M, or none for no limit, got")
option_refused(max_memory_zero "${memory} 0" ARGS ${opt_train} --max-memory 0)
option_refused(max_memory_unknown_unit "${memory} 8X" ARGS ${opt_train} --max-memory 8X)
option_refused(max_memory_beyond_64_bits "${memory} 16777216T"
               ARGS ${opt_train} --max-memory 16777216T)
set(opt_memory_run train --train ${cli_dir}/generated.csv --cache-dir ${opt_dir}/cache --epochs 1
                   --batch 256 --seed 3)
deepfm_cli_test(option_max_memory_none 0 ARGS ${opt_memory_run} --max-memory none
                STDOUT "memory: about [^\n]+\n.*epoch +1/1 ")
deepfm_cli_test(option_max_memory_in_kib 1 ARGS ${opt_memory_run} --max-memory 1K
                STDERR "^deepfm: error: the run needs about [^\n]* but --max-memory allows 1 kB. "
                NOT_STDOUT "epoch")
# The encode's own limit: counting stops with the figures (a cold cache of its own).
deepfm_cli_test(option_max_memory_stops_encode 1 ARGS encode --train ${cli_dir}/generated.csv
                --cache-dir ${opt_dir}/cold-cache --max-memory 1M
                STDOUT "^memory: blocks about [^\n]+ bytes a distinct value. stops past 1.0 MB \\(--max-memory\\)\n$"
                STDERR "generated.csv: the vocabulary outgrows the memory limit of 1.0 MB \\(--max-memory\\): [0-9]+ distinct values in the first [0-9]+ records need about ")
set_tests_properties(cli_option_max_memory_none cli_option_max_memory_in_kib
                     cli_option_max_memory_stops_encode PROPERTIES
                     FIXTURES_REQUIRED cli_generated RESOURCE_LOCK cli_options_cache)
# Run on the entry `none` encoded: the training estimate is what refuses 1K, not the encode.
set_tests_properties(cli_option_max_memory_in_kib PROPERTIES DEPENDS cli_option_max_memory_none)

# ---- flags that need each other, refused before any file is read ----
set(early_stop "--early-stop needs a validation set: give --valid FILE or --valid-fraction F")
option_refused(early_stop_without_validation "${early_stop}" ARGS ${opt_train} --early-stop 3)
option_refused(early_stop_with_no_fraction "${early_stop}"
               ARGS ${opt_train} --early-stop 3 --valid-fraction 0)

# ---- help, version, no command ----
deepfm_cli_test(option_help_shows_defaults 0 ARGS train --help
                STDOUT "--mlp UINT:each 1 to 65536 \\.\\.\\.[ \n]+hidden layer widths[^\n]*\\(default: 30,20,10\\)\n.*--epochs UINT:1 to 1000000 +epochs \\(default: 30\\)\n.*--max-memory SIZE +[^\n]*or none for no limit \\(default: the smaller of")
deepfm_cli_test(option_generate_help_shows_defaults 0 ARGS generate --help
                STDOUT "--values-per-field UINT:1 to 16777216[ \n]+distinct values per field \\(default: 10\\)")
deepfm_cli_test(option_version 0 ARGS --version
                STDOUT "^deepfm ${PROJECT_VERSION}\nbuilt with (g|clang)\\+\\+ [0-9][^\n]*, SIMD kernels: (scalar|avx2\\+fma|avx512), threads: (openmp|std)\n$")
