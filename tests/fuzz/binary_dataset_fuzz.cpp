// Fuzz target: MappedDataset on a file holding the input bytes: fully verified (the default),
// then with the checksum check off and the value checks on, as for files of other writers
// (mutations rarely keep a 64-bit checksum, so this is the path they reach). Whatever opens
// must hold what the header promises, and every byte of it must be readable.
#include <cstdint>
#include <deepfm/data/binary_dataset.hpp>
#include <string>

#include "fuzz_support.hpp"

namespace {

void open_and_read(const std::string& path, deepfm::MappedDatasetOptions options,
                   std::size_t file_bytes) {
  deepfm::fuzz::expect_errors([&] {
    const deepfm::MappedDataset data(path, options);
    using deepfm::fuzz::check;
    check(data.is_open() && data.fields() >= 1, "an open data set without fields");
    check(data.file_bytes() == file_bytes, "the mapping is not the whole file");
    check(data.ids().size() == data.rows() * data.fields(), "ids are not rows x fields");
    check(data.labels().size() == data.rows(), "labels are not one per row");
    // Rows x fields x 4 bytes of ids plus 4 per label must fit in the file.
    check(data.ids().size() <= file_bytes / 4 && data.labels().size() <= file_bytes / 4,
          "the data set claims more values than the file holds");
    std::uint64_t total_dim = 0;
    for (const std::size_t dim : data.field_dims()) total_dim += dim;
    check(total_dim <= (std::uint64_t{1} << 32), "field dims sum past 2^32");
    std::uint64_t sum = 0;
    for (const deepfm::FeatureId id : data.ids()) {
      sum += id;
      if (options.validate_values) check(id < total_dim, "an id beyond the field dims");
    }
    for (const float label : data.labels())
      if (options.validate_values) check(label == 0.0f || label == 1.0f, "a label not 0 or 1");
    const deepfm::EncodedDataset copy = data.to_encoded();
    check(copy.ids.size() == data.ids().size(), "to_encoded() lost ids");
    (void)sum;
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static deepfm::fuzz::ScratchFile file("binary_dataset");
  const std::string& path = file.write(data, size);
  open_and_read(path, {}, size);
  open_and_read(path, {.verify_checksum = false, .validate_values = true}, size);
  return 0;
}
