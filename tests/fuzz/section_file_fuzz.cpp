// Fuzz target: SectionFileReader (the container of model files and checkpoints) on a file
// holding the input bytes, as they are and with the trailing checksum repaired so that
// mutations reach the section walk and the typed reads behind it. Every section is read with
// its own type (and once with another, which must be a ModelFileError).
#include <cstdint>
#include <deepfm/io/section_file.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

template <typename T>
void read_array(const deepfm::SectionFileReader& file, const std::string& name) {
  const std::vector<T> values = file.array<T>(name);
  deepfm::fuzz::check(values.size() == file.count(name), "array size differs from its count");
  std::vector<T> copy(values.size());
  file.read_into<T>(name, copy);
  if (values.size() == 1 && file.type(name) == deepfm::SectionType::u64)
    deepfm::fuzz::check(file.u64(name) == values[0], "u64() differs from the array");
}

void read_section(const deepfm::SectionFileReader& file, const std::string& name) {
  using deepfm::SectionType;
  switch (file.type(name)) {
    case SectionType::text:
      deepfm::fuzz::check(file.text(name).size() == file.count(name), "text size differs");
      break;
    case SectionType::bytes: read_array<std::uint8_t>(file, name); break;
    case SectionType::f32: read_array<float>(file, name); break;
    case SectionType::f64: read_array<double>(file, name); break;
    case SectionType::u32: read_array<std::uint32_t>(file, name); break;
    case SectionType::u64: read_array<std::uint64_t>(file, name); break;
    default: deepfm::fuzz::finding("a section of an unknown type was accepted");
  }
  // A read as another type is refused, never reinterpreted.
  deepfm::fuzz::expect_errors([&] {
    if (file.type(name) == SectionType::f64) {
      (void)file.view<float>(name);
    } else {
      (void)file.view<double>(name);
    }
    deepfm::fuzz::finding("section '" + name + "' was read as another type");
  });
}

void open_and_read(const std::string& path) {
  deepfm::fuzz::expect_errors([&] {
    const deepfm::SectionFileReader file = deepfm::SectionFileReader::open(path);
    for (const std::string& name : file.names()) {
      deepfm::fuzz::check(file.has(name), "a listed section is missing");
      read_section(file, name);
    }
    deepfm::fuzz::expect_errors([&] {
      (void)file.text("no such section \x01");
      deepfm::fuzz::finding("a missing section was read");
    });
  });
  static constexpr std::string_view kKinds[] = {"model", "checkpoint"};
  deepfm::fuzz::expect_errors([&] {
    const deepfm::SectionFileReader file = deepfm::SectionFileReader::open(path, kKinds);
    deepfm::fuzz::check(file.kind() == "model" || file.kind() == "checkpoint",
                        "a file of another kind was accepted");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static deepfm::fuzz::ScratchFile file("section_file");
  open_and_read(file.write(data, size));
  const std::vector<unsigned char> repaired = deepfm::fuzz::with_trailing_checksum(data, size);
  open_and_read(file.write(repaired.data(), repaired.size()));
  return 0;
}
