// core/error.hpp: the exception family and its messages.
#include <catch2/catch.hpp>

#include <deepfm/core/error.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>

TEST_CASE("Every deepfm exception derives from deepfm::Error and std::runtime_error",
          "[core][error]") {
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, deepfm::Error>);
  STATIC_REQUIRE(std::is_base_of_v<deepfm::Error, deepfm::InvalidArgument>);
  STATIC_REQUIRE(std::is_base_of_v<deepfm::Error, deepfm::DataError>);
  STATIC_REQUIRE(std::is_base_of_v<deepfm::Error, deepfm::ModelFileError>);
  STATIC_REQUIRE(std::is_base_of_v<deepfm::Error, deepfm::NumericError>);
  STATIC_REQUIRE(std::is_base_of_v<deepfm::Error, deepfm::InternalError>);
  // Catchable as the base, with the message intact.
  CHECK_THROWS_AS(throw deepfm::InvalidArgument("bad"), deepfm::Error);
  CHECK_THROWS_AS(throw deepfm::NumericError("nan"), deepfm::Error);
  CHECK_THROWS_AS(throw deepfm::DataError("f", 1, "x"), deepfm::Error);
  CHECK_THROWS_AS(throw deepfm::ModelFileError("m", "x"), std::runtime_error);
  CHECK_THROWS_WITH(throw deepfm::InvalidArgument("bad shape"), "bad shape");
  CHECK_THROWS_WITH(throw deepfm::InternalError("oops"), "oops");
}

TEST_CASE("DataError formats file:line: what, file: what, or what", "[core][error]") {
  const deepfm::DataError with_line("train.csv", 12, "expected 40 columns");
  CHECK(std::string(with_line.what()) == "train.csv:12: expected 40 columns");
  CHECK(with_line.file() == "train.csv");
  CHECK(with_line.line() == 12);

  const deepfm::DataError file_only("train.csv", 0, "file is empty");
  CHECK(std::string(file_only.what()) == "train.csv: file is empty");
  CHECK(file_only.file() == "train.csv");
  CHECK(file_only.line() == 0);

  const deepfm::DataError no_file("", 0, "in-memory data has no rows");
  CHECK(std::string(no_file.what()) == "in-memory data has no rows");
  CHECK(no_file.file().empty());

  // Without a file, the line is kept but not printed.
  const deepfm::DataError no_file_line("", 3, "bad label");
  CHECK(std::string(no_file_line.what()) == "bad label");
  CHECK(no_file_line.line() == 3);
}

TEST_CASE("ModelFileError formats file: what", "[core][error]") {
  const deepfm::ModelFileError error("model.bin", "truncated after 12 bytes");
  CHECK(std::string(error.what()) == "model.bin: truncated after 12 bytes");
  CHECK(error.file() == "model.bin");
}

TEST_CASE("DEEPFM_ASSERT throws InternalError naming the condition", "[core][error]") {
  const auto failing = [](int x) { DEEPFM_ASSERT(x > 1); };
  CHECK_NOTHROW(failing(2));
  CHECK_THROWS_AS(failing(1), deepfm::InternalError);
  CHECK_THROWS_WITH(failing(1), Catch::Contains("x > 1") && Catch::Contains("error_test.cpp"));
}
