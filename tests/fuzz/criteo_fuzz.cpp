// Fuzz target: the Criteo raw reader (LineReader, CriteoParser with its integer buckets,
// encoder, vocabulary) on a file holding the input bytes.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static deepfm::fuzz::ScratchFile file("criteo");
  const std::string& path = file.write(data, size);
  deepfm::ReaderOptions options;
  options.format = deepfm::Format::criteo;
  deepfm::fuzz::parse_every_line(path, deepfm::CriteoParser());
  deepfm::fuzz::encode_every_way(path, options);
  return 0;
}
