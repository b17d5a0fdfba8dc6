// One half of "the SIMD kernels train models as good as the scalar ones": trains DeepFM and FM
// on the d2l CTR sample in d2l's setup and writes their test AUC and logloss to a file. The
// kernels are chosen at compile time, so tests/CMakeLists.txt builds this source twice, for
// the tests' target ISA and with DEEPFM_DISABLE_SIMD, and compare_auc.cpp compares the files.
// Each model is also trained at 1 and at 2 threads, which must give the same bytes.
//
// Usage: auc_scalar_vs_isa OUTPUT_FILE. OUTPUT_FILE gets key=value lines: isa, then
// deepfm.auc, deepfm.logloss, fm.auc, fm.logloss, each as the shortest text that reads back
// to the same double. Without the data it prints "SKIPPED: ..." and writes no file.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deepfm/core/key_value_text.hpp>
#include <deepfm/data/d2l_format.hpp>
#include <deepfm/data/encoder.hpp>
#include <deepfm/deepfm.hpp>
#include <deepfm/kernels/isa.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/test_data.hpp"

namespace {

// The split of benchmarks/quality/quality.py (d2l's own training file is not available):
// the first 2400 rows of test.csv train, the last 600 test, with the training rows'
// vocabulary.
constexpr std::size_t kTrainRows = 2400;
constexpr std::size_t kEpochs = 30;  // d2l's; an epoch of 2400 rows is one batch of 2048
constexpr std::uint64_t kSeed = 1;

/// A D2lParser that stops after its first `limit` records: the vocabulary of a file's head.
class FirstRecords : public deepfm::RecordParser {
 public:
  explicit FirstRecords(std::size_t limit) : limit_(limit) {}
  bool parse(std::string_view line, deepfm::RawRecord& record) override {
    if (seen_ == limit_ || !parser_.parse(line, record)) return false;
    ++seen_;
    return true;
  }
  std::size_t fields() const override { return parser_.fields(); }

 private:
  deepfm::D2lParser parser_;
  std::size_t limit_;
  std::size_t seen_ = 0;
};

/// The whole file encoded with the vocabulary of its first kTrainRows rows.
deepfm::EncodedDataset encode(const std::filesystem::path& csv) {
  const deepfm::EncodeOptions options;  // d2l's: min count 4
  deepfm::EncodeReport report;
  const deepfm::Vocabulary vocabulary = deepfm::build_vocabulary(
      csv.string(), [] { return std::make_unique<FirstRecords>(kTrainRows); }, options, report);
  const std::size_t fields = vocabulary.fields();
  return deepfm::encode_file(
      csv.string(), vocabulary, [fields] { return std::make_unique<deepfm::D2lParser>(fields); },
      options, report);
}

/// Rows [begin, end) of `data`.
deepfm::Batch rows(const deepfm::EncodedDataset& data, std::size_t begin, std::size_t end) {
  const std::size_t fields = data.fields();
  return {std::span(data.ids).subspan(begin * fields, (end - begin) * fields),
          std::span(data.labels).subspan(begin, end - begin), fields};
}

/// Every byte of a model's parameters and optimizer state.
template <typename Model>
std::vector<unsigned char> state_bytes(Model& model) {
  std::vector<unsigned char> bytes;
  model.visit_state(
      [&](const std::string&, auto values, bool) {
        const auto* first = reinterpret_cast<const unsigned char*>(values.data());
        bytes.insert(bytes.end(), first, first + values.size_bytes());
      },
      true);
  return bytes;
}

struct Result {
  double auc;
  double logloss;
};

/// Trains a fresh model from `make()` at 1 and at 2 threads; fails unless both end with the
/// same bytes; returns the test metrics.
template <typename Make>
Result train(const char* name, Make make, const deepfm::Batch& train_rows,
             const deepfm::Batch& test_rows) {
  std::vector<unsigned char> bytes[2];
  deepfm::Metrics metrics;
  for (const int threads : {1, 2}) {
    auto model = make();
    deepfm::fit(model, train_rows, {.epochs = kEpochs, .batch_size = 2048, .threads = threads});
    bytes[threads - 1] = state_bytes(model);
    metrics = model.evaluate(test_rows);
  }
  if (bytes[0] != bytes[1])
    throw std::runtime_error(std::string(name) + ": 1 and 2 threads trained different bytes");
  if (!metrics.auc) throw std::runtime_error(std::string(name) + ": the test rows hold one class");
  std::printf("%s: 1 and 2 threads trained the same %zu bytes; test AUC %.17g, logloss %.17g\n",
              name, bytes[0].size(), *metrics.auc, metrics.logloss);
  return {*metrics.auc, metrics.logloss};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_FILE\n", argv[0]);
    return 2;
  }
  const std::filesystem::path output = argv[1];
  try {
    std::filesystem::remove(output);  // never leave an earlier run's figures to compare
    const auto csv = deepfm::test::shared_data_file("d2l-ctr/test.csv");
    if (!csv) {
      std::printf("SKIPPED: d2l-ctr/test.csv not found under $DEEPFM_DATA_DIR or ../shared/data\n");
      return 0;
    }
    const deepfm::EncodedDataset data = encode(*csv);
    const deepfm::Batch train_rows = rows(data, 0, kTrainRows);
    const deepfm::Batch test_rows = rows(data, kTrainRows, data.rows());
    const std::string isa(deepfm::kernels::isa_name(deepfm::kernels::kIsa));
    std::printf("kernels: %s; %zu train rows, %zu test rows\n", isa.c_str(), train_rows.rows(),
                test_rows.rows());

    // d2l's setups (the configs' defaults): DeepFM k 10, MLP 30-20-10, dropout 0.1, Adam lr
    // 0.01; FM k 20, Adam lr 0.02.
    const std::vector<std::size_t>& dims = data.field_dims;
    const Result deepfm_result = train(
        "DeepFM", [&] { return deepfm::DeepFM<float>(dims, {.seed = kSeed}); }, train_rows,
        test_rows);
    const Result fm_result = train(
        "FM", [&] { return deepfm::FM<float>(dims, {.seed = kSeed}); }, train_rows, test_rows);

    using deepfm::detail::exact_text;
    std::ofstream out(output);
    out << "isa=" << isa << "\n"
        << "deepfm.auc=" << exact_text(deepfm_result.auc) << "\n"
        << "deepfm.logloss=" << exact_text(deepfm_result.logloss) << "\n"
        << "fm.auc=" << exact_text(fm_result.auc) << "\n"
        << "fm.logloss=" << exact_text(fm_result.logloss) << "\n";
    out.close();
    if (!out) throw std::runtime_error(output.string() + ": cannot write");
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}
