// Fuzz target: the header CSV reader (LineReader, CsvParser with a label column and a dropped
// column, encoder, vocabulary) on a file holding the input bytes: Avazu's column names
// ("click", "id"), then Criteo's CSV ("Label", "Id") with I1..I13 bucketed.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static deepfm::fuzz::ScratchFile file("csv");
  const std::string& path = file.write(data, size);
  deepfm::ReaderOptions options;
  options.format = deepfm::Format::csv;
  options.label_column = "click";
  options.drop_columns = {"id"};
  deepfm::fuzz::encode_every_way(path, options);
  deepfm::fuzz::parse_every_line(
      path, deepfm::CsvParser(
                {.label_column = "Label", .drop_columns = {"Id"}, .criteo_integer_columns = true}));
  deepfm::fuzz::parse_every_line(path, deepfm::CsvParser({.label_column = "", .separator = '\t'}));
  return 0;
}
