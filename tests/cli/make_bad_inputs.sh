#!/usr/bin/env bash
# Writes the inputs of the README's "What bad input gets" table into DIR (CTest fixture
# cli_bad_inputs). Run as:  make_bad_inputs.sh DIR            the data files
#                           make_bad_inputs.sh DIR MODEL.dfm  damaged copies of a model file
# A shell script rather than CMake because CMake strings cannot hold a NUL byte, and cannot
# write the bytes of a damaged model file back.
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"

if [ $# -ge 2 ]; then
  model=$2
  size=$(stat -c %s "$model")
  # Cut inside the sections: the length fields promise more bytes than remain.
  head -c $((size / 2)) "$model" >truncated.dfm
  # One bit of a parameter flipped: only the checksum can tell.
  flip() {  # flip FILE OFFSET MASK
    local byte
    byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf '%03o' $((byte ^ $3)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
  }
  cp "$model" bit_flipped.dfm
  flip bit_flipped.dfm $((size - 64)) 16
  # Format version 2 -> 3 (the u32 at offset 8): a file "from another version".
  cp "$model" other_version.dfm
  flip other_version.dfm 8 1
  rm -f unreadable.dfm
  cp "$model" unreadable.dfm
  chmod 000 unreadable.dfm
  exit 0
fi

# A fresh cache: a cache hit would not report the skipped lines again.
rm -rf cache unreadable.tsv
: >empty.tsv
printf 'id,click,site,app\r\n' >header_only.csv
# Two categorical fields; line 5 has three.
printf '1\ta\tx\n0\tb\ty\n1\ta\ty\n0\tb\tx\n1\ta\tx\tz\n0\ta\ty\n' >wrong_count.tsv
# Invalid UTF-8 as values: a lone continuation byte, 0xFF, an overlong '/', a surrogate half,
# a truncated sequence, and Latin-1 text. Distinct bytes, distinct categories.
printf '1\t\xff\xfe\tcaf\xe9\n0\t\xc0\xaf\tx\n1\t\xed\xa0\x80\tcaf\xe9\n0\t\x80\t\xe2\x82\n' \
  >non_utf8.tsv
printf '1\t\xff\xfe\tcaf\xe9\n0\t\xc0\xaf\tx\n' >>non_utf8.tsv
printf '1\ta\tx\n0\tb\x00c\ty\n' >nul.tsv
{
  printf '1\ta\tx\n0\tb\ty\n1\t'
  printf 'v%.0s' $(seq 1 100)
  printf '\tx\n'
} >long_line.tsv
# Criteo raw: label, 13 integers, 26 categories. I1 of line 2 does not fit in 64 bits.
criteo_row() {  # criteo_row LABEL I1 I2
  printf '%s\t%s\t%s' "$1" "$2" "$3"
  printf '\t%s' 1 2 3 4 5 6 7 8 9 10 11
  printf '\t%s' 68fd1e64 80e26c9b fb936136 7b4723c4 25c83c98 7e0ccccf de7995b8 1f89b562 \
    a73ee510 a8cd5504 b2cb9c98 37c9c164 2824a5f6 1adce6ef 8ba8b39a 891b62e7 e5ba7672 \
    f54016b9 21ddcdc9 b1252a9d 07b5194c 3a171ecb c5c50484 e8b83407 9727dd16 ""
  printf '\n'
}
{
  criteo_row 0 1 5
  criteo_row 1 18446744073709551616 5
} >criteo_overflow.txt
{
  criteo_row 0 -1 -3
  criteo_row 1 -9223372036854775808 -5
  criteo_row 0 7 2
} >criteo_negative.txt
printf '1 1:1 7:1\n0 4294967296:1 7:1\n' >libsvm_big_index.txt
# The same rows, three and five categorical fields wide.
: >three_fields.tsv
: >five_fields.tsv
for i in 0 1 2 3 4 5 6 7; do
  printf '%d\ta%d\tb%d\tc%d\n' $((i % 2)) $((i % 3)) $((i % 2)) $((i % 4)) >>three_fields.tsv
  printf '%d\ta%d\tb%d\tc%d\td1\te1\n' $((i % 2)) $((i % 3)) $((i % 2)) $((i % 4)) >>five_fields.tsv
done
mkdir -p a_directory.tsv
cp three_fields.tsv unreadable.tsv
chmod 000 unreadable.tsv
