// Fuzz target: the libffm reader (LineReader, LibffmParser, encoder, vocabulary) on a file
// holding the input bytes; field count inferred, then given.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static deepfm::fuzz::ScratchFile file("libffm");
  const std::string& path = file.write(data, size);
  deepfm::ReaderOptions options;
  options.format = deepfm::Format::libffm;
  deepfm::fuzz::parse_every_line(path, deepfm::LibffmParser({.fields = 4}));
  deepfm::fuzz::encode_every_way(path, options);
  return 0;
}
