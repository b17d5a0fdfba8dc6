#!/usr/bin/env bash
# Writes the inputs of the `deepfm predict` row-alignment tests (tests/cli/predict_tests.cmake)
# into DIR (CTest fixture cli_predict_rows_inputs). Run as:  make_predict_inputs.sh DIR
# d2l format, 3 categorical fields. A bad line is "1<TAB>only": two columns, which fits the
# model neither with the label column (4) nor without it (3).
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
rm -rf cache ./*.out ./*.out.tmp

row() {  # row I [labelled|unlabelled]: the I-th row of the training data
  local i=$1
  if [ "${2:-labelled}" = labelled ]; then printf '%d\t' $((i % 2)); fi
  printf 'a%d\tb%d\tc%d\n' $((i % 3)) $((i % 4)) $((i % 5))
}
# rows LINES KIND BAD...: LINES lines of rows, a bad line at each line number in BAD
rows() {
  local lines=$1 kind=$2 line
  shift 2
  local bad=" $* "
  for ((line = 1; line <= lines; ++line)); do
    if [[ $bad == *" $line "* ]]; then
      if [ "$kind" = labelled ]; then printf '1\tonly\n'; else printf 'a\tb\tc\td\te\n'; fi
    else
      row "$line" "$kind"
    fi
  done
}

rows 40 labelled >train.tsv
rows 12 labelled >clean.tsv
# Bad lines first, in the middle and last.
rows 20 labelled 1 2 10 20 >mixed.tsv
rows 12 unlabelled 1 6 12 >unlabelled_mixed.tsv
# The case of issue 13: 10 bad lines among 600, the first on line 1.
rows 600 labelled 1 2 150 300 301 302 450 598 599 600 >mixed600.tsv
# A label of 7 on line 5: an error, never a skipped row.
{
  rows 4 labelled
  printf '7\ta1\tb1\tc1\n'
  rows 2 labelled
} >label7.tsv
# Two rows fit with the label column (lines 1, 3), two without (lines 2, 4): a tie.
printf '1\ta1\tb1\tc1\na1\tb1\tc1\n0\ta2\tb2\tc2\na2\tb2\tc2\n' >tie.tsv
# No line fits the model either way.
rows 5 labelled 1 2 3 4 5 >all_bad.tsv
# Empty lines are no rows: two rows, two output lines.
printf '\n1\ta1\tb1\tc1\n\n\n0\ta2\tb2\tc2\n\n' >spaced.tsv
