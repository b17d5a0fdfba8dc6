#!/usr/bin/env bash
# Writes the inputs of the "new user" CLI tests (tests/cli/user_input_tests.cmake) into DIR:
# generated data, spellings and links of one file, files with skipped lines at the start, in
# the middle and at the end, CR-only line endings, a one-class test set, and labels holding an
# ESC sequence or a byte-order mark.
set -euo pipefail
deepfm=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir/sub" "$dir/ckpt_holds_train"
cd "$dir"

"$deepfm" generate --rows 600 --seed 7 --out data.tsv >/dev/null
cp data.tsv pristine.tsv
ln -s data.tsv link.tsv
cp data.tsv data.tsv.tmp
ln -s "$dir/sub" sublink
head -100 data.tsv >ckpt_holds_train/checkpoint.dfm

# A first line of 60 fields fixes the field count; the 200 good lines after it are skipped.
{
  printf '1'
  printf '\tv%s' $(seq 1 60)
  printf '\n'
  head -200 data.tsv
} >wide_first_line.tsv
# 10 bad lines (3 fields instead of 9) among 300: at the start, in the middle, at the end;
# 40 of 300 (over 10%) in the middle.
bad=$'1\tx\ty\tz'
{ for _ in $(seq 1 10); do echo "$bad"; done; head -290 data.tsv; } >skips_at_start.tsv
{ head -145 data.tsv; for _ in $(seq 1 10); do echo "$bad"; done; sed -n 146,290p data.tsv; } \
  >skips_in_middle.tsv
{ head -290 data.tsv; for _ in $(seq 1 10); do echo "$bad"; done; } >skips_at_end.tsv
{ head -130 data.tsv; for _ in $(seq 1 40); do echo "$bad"; done; sed -n 131,260p data.tsv; } \
  >many_skips.tsv
tr '\n' '\r' <data.tsv >cr_only.tsv
awk -F'\t' '$1 == "1" && n++ < 50' data.tsv >one_class.tsv
{ printf '\033[31m1\tx\n'; printf '0\tx\n'; } >esc_label.tsv
{ printf '\357\273\2770\tx\n'; printf '1\ty\n'; } >bom.tsv
