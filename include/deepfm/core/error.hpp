#pragma once
/// @file
/// The exception family every deepfm failure is reported with.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace deepfm {

/// Base of every exception deepfm throws; catch this to handle them all.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A caller passed something the API does not accept (bad shape, id, label, config).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// Input data is malformed; carries the file and 1-based line (0 when unknown).
class DataError : public Error {
 public:
  DataError(std::string file, std::size_t line, const std::string& what)
      : Error(format(file, line, what)), file_(std::move(file)), line_(line) {}

  /// The file the bad data came from (may be empty for in-memory data).
  const std::string& file() const noexcept { return file_; }
  /// 1-based line number, or 0 when the error is not tied to a line.
  std::size_t line() const noexcept { return line_; }

 private:
  static std::string format(const std::string& file, std::size_t line, const std::string& what) {
    if (file.empty()) return what;
    if (line == 0) return file + ": " + what;
    return file + ":" + std::to_string(line) + ": " + what;
  }

  std::string file_;
  std::size_t line_;
};

/// A model or checkpoint file is missing, damaged, truncated or of another format.
class ModelFileError : public Error {
 public:
  ModelFileError(std::string file, const std::string& what)
      : Error(file + ": " + what), file_(std::move(file)) {}

  /// The model file at fault.
  const std::string& file() const noexcept { return file_; }

 private:
  std::string file_;
};

/// Training produced a non-finite value or diverged.
class NumericError : public Error {
 public:
  using Error::Error;
};

/// An internal invariant does not hold: a bug in deepfm, not in the caller's input.
class InternalError : public Error {
 public:
  using Error::Error;
};

}  // namespace deepfm

/// Checks an internal invariant. Define DEEPFM_ASSERT before including deepfm to replace it
/// (for example with a plain assert in a hot build); by default it throws InternalError.
#ifndef DEEPFM_ASSERT
#define DEEPFM_ASSERT(condition)                                                                 \
  do {                                                                                           \
    if (!(condition))                                                                            \
      throw ::deepfm::InternalError(std::string("deepfm internal check failed: ") + #condition + \
                                    " at " + __FILE__ + ":" + std::to_string(__LINE__));         \
  } while (false)
#endif
