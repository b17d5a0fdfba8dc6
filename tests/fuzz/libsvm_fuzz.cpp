// Fuzz target: the libsvm / libFM reader (LineReader, LibsvmParser, encoder, vocabulary) on a
// file holding the input bytes; field count inferred, then given.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static deepfm::fuzz::ScratchFile file("libsvm");
  const std::string& path = file.write(data, size);
  deepfm::ReaderOptions options;
  options.format = deepfm::Format::libsvm;
  deepfm::fuzz::parse_every_line(path, deepfm::LibsvmParser({.fields = 3}));
  deepfm::fuzz::encode_every_way(path, options);
  return 0;
}
