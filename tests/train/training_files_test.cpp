// train/training_files.hpp: a run's files in the dataset cache, the training vocabulary kept
// beside its entry, and each entry's encode report kept so that a cache hit reports the same
// skipped lines.
#include <catch2/catch.hpp>

#include <deepfm/train/training_files.hpp>
#include <string>

#include "support/scratch_dir.hpp"

TEST_CASE("TrainingFiles encodes once and a cache hit keeps the encode's report", "[train]") {
  const deepfm::test::ScratchDir dir;
  // Two fields; line 4 has three, line 6 none: two skipped lines.
  const auto train = dir.write("train.tsv", "1\ta\tx\n0\tb\ty\n1\ta\ty\n0\ta\tb\tc\n1\tb\tx\n0\n");
  const auto test = dir.write("test.tsv", "1\ta\tz\n0\tq\tx\n");
  deepfm::ReaderOptions reader;
  reader.encode.min_count = 1;
  const auto cache = dir.path / "cache";

  deepfm::TrainingFiles first(reader, train.string(), cache);
  const deepfm::EncodedFile encoded = first.train();
  CHECK_FALSE(encoded.summary.cache_hit);
  CHECK(encoded.summary.rows == 4);
  CHECK(encoded.summary.report.skipped_lines == 2);
  CHECK(encoded.summary.field_dims == std::vector<std::size_t>{3, 3});
  const deepfm::EncodedFile scored = first.other(test.string());
  CHECK(scored.summary.rows == 2);
  CHECK(scored.summary.report.oov_cells == 2);  // 'z' and 'q'

  deepfm::TrainingFiles second(reader, train.string(), cache);
  const deepfm::EncodedFile hit = second.train();
  CHECK(hit.summary.cache_hit);
  CHECK(hit.summary.rows == 4);
  CHECK(hit.summary.report.skipped_lines == 2);
  CHECK(hit.summary.report.skipped_examples == encoded.summary.report.skipped_examples);
  CHECK(deepfm::skipped_lines_summary(hit.summary.report) ==
        deepfm::skipped_lines_summary(encoded.summary.report));
  CHECK(second.vocabulary().field_dims() == first.vocabulary().field_dims());
  CHECK(second.other(test.string()).summary.cache_hit);
  CHECK(second.fingerprint() == first.fingerprint());

  // Other content, other fingerprint (what a checkpoint must match).
  const auto changed = dir.write("train.tsv", "1\ta\tx\n0\tb\ty\n");
  deepfm::TrainingFiles third(reader, changed.string(), cache);
  CHECK(third.fingerprint() != first.fingerprint());
  CHECK_FALSE(third.train().summary.cache_hit);
}
