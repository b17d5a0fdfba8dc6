// Fuzz target: the `deepfm train` command line, numbers above all: the input's lines are the
// arguments after `deepfm train`, parsed by the tool's own CLI11 setup (add_train_command),
// then turned into reader options and a model spec as plan_training does. A CLI::ParseError is
// the tool's usage error (exit code 2), like deepfm::Error. Whatever parses must be in the
// ranges the flags promise, and the memory estimate, which guards allocation, must not wrap.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deepfm/models/memory_estimate.hpp>
#include <deepfm/models/model_spec.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "deepfm_cli/train_command.hpp"
#include "fuzz_support.hpp"

namespace {

using deepfm::fuzz::check;

/// The arguments: one per line ('\n'), NUL bytes kept (they cannot reach a real argv, but the
/// parser must not care).
std::vector<std::string> arguments(std::string_view text) {
  std::vector<std::string> args;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    args.emplace_back(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  }
  return args;
}

/// The parameter bytes of `spec` in long double, which does not wrap where 64 bits would.
long double exact_parameter_bytes(const deepfm::ModelSpec& spec) {
  long double table_rows = 0;
  for (const std::size_t dim : spec.field_dims) table_rows += static_cast<long double>(dim);
  const auto k = static_cast<long double>(spec.factors);
  long double dense = 2;
  if (spec.kind == deepfm::ModelKind::deepfm) {
    long double in = static_cast<long double>(spec.field_dims.size()) * k;
    for (const std::size_t width : spec.mlp) {
      const auto out = static_cast<long double>(width);
      dense += in * out + out;
      in = out;
    }
    dense += in + 1;
  }
  return (table_rows * (k + 1) + dense) * 4;
}

void check_flags(const deepfm_cli::TrainCommand& c) {
  check(c.valid_fraction >= 0 && c.valid_fraction <= 0.9, "--valid-fraction out of range");
  check(!c.factors || (*c.factors >= 1 && *c.factors <= 4096), "--factors out of range");
  for (const std::size_t width : c.mlp)
    check(width >= 1 && width <= deepfm_cli::kMaxMlpWidth, "--mlp width out of range");
  check(c.dropout >= 0 && c.dropout <= 0.99, "--dropout out of range");
  check(!c.lr || (*c.lr > 0 && std::isfinite(*c.lr)), "--lr not positive and finite");
  check(c.l2 >= 0 && std::isfinite(c.l2), "--l2 negative or not finite");
  check(!c.mlp.empty(), "--mlp parsed to no layers");
  check(c.batch >= 1 && c.batch <= (std::size_t{1} << 24), "--batch out of range");
  check(c.epochs >= 1 && c.epochs <= 1000000, "--epochs out of range");
  check(c.early_stop <= deepfm_cli::kMaxEpochs, "--early-stop out of range");
  check(c.early_stop == 0 || !c.valid.empty() || c.valid_fraction > 0,
        "--early-stop parsed without a validation set");
  check(c.threads >= 0 && c.threads <= 4096, "--threads out of range");
  check(c.generated_rows >= 100 && c.generated_rows <= deepfm_cli::kMaxGeneratedRows,
        "--generated-rows out of range");
  check(c.flags.reader.encode.max_line_bytes >= 16 &&
            c.flags.reader.encode.max_line_bytes <= deepfm::kMaxLineBytesLimit,
        "--max-line-bytes out of range");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args =
      arguments(std::string_view(reinterpret_cast<const char*>(data), size));
  args.insert(args.begin(), "train");
  std::reverse(args.begin(), args.end());  // CLI11 takes its vector last argument first

  CLI::App app{"deepfm"};
  app.require_subcommand(1);
  deepfm_cli::TrainCommand c;
  deepfm_cli::add_train_command(app, c);
  try {
    app.parse(args);
  } catch (const CLI::ParseError&) {
    return 0;  // a usage error, as the tool reports it
  }
  check_flags(c);
  deepfm::fuzz::expect_errors([&] {
    const deepfm::ReaderOptions reader = c.flags.options();
    check(deepfm::make_parser_factory(reader, 3) != nullptr, "no parser for valid options");
  });
  deepfm::fuzz::expect_errors([&] {
    deepfm::ModelSpec spec = deepfm_cli::spec_from_flags(c);
    spec.field_dims = {1000, 1000, 10};
    if (spec.kind == deepfm::ModelKind::deepfm)
      deepfm::detail::validate(spec.deepfm_config());
    else
      deepfm::detail::validate(spec.fm_config());
    check(deepfm::model_spec_from_text(deepfm::to_text(spec)).optimizer.lr == spec.optimizer.lr,
          "the spec's text form does not round-trip");
    // check_memory refuses a run whose estimate exceeds the memory limit; an estimate that
    // wrapped around 2^64 would let any model through to its allocation.
    const deepfm::MemoryEstimate memory = deepfm::estimate_training_memory(
        spec, sizeof(float), 100000, 1000, 101000, c.batch, c.early_stop > 0, 2000, 20000);
    const long double exact = exact_parameter_bytes(spec);
    constexpr long double kHuge = 0x1p62L;
    check(static_cast<long double>(memory.total()) >= std::min(exact, kHuge) * 0.999L,
          "the memory estimate wrapped: " + std::to_string(memory.total()) + " bytes for " +
              std::to_string(static_cast<double>(exact)) + " bytes of parameters");
  });
  return 0;
}
