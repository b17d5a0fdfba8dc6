// Fuzz target: the d2l CTR CSV reader (LineReader, D2lParser, encoder, vocabulary) on a file
// holding the input bytes.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static deepfm::fuzz::ScratchFile file("d2l");
  const std::string& path = file.write(data, size);
  deepfm::ReaderOptions options;
  options.format = deepfm::Format::d2l;
  deepfm::fuzz::parse_every_line(path, deepfm::D2lParser());
  deepfm::fuzz::encode_every_way(path, options);
  return 0;
}
