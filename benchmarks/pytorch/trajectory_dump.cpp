// Writes what the PyTorch reference (deepfm_reference.py check-trajectory) needs to replay
// deepfm's training exactly: the encoded training rows, the model's initial parameters, the
// RolloverSampler's batch order, and deepfm's per-step training losses. Dropout is off, so the
// two runs see the same function; everything else is the library's public API as a user
// would call it.
//
//   deepfm_trajectory_dump --out DIR [--data test.csv] [--train-lines 2400] [--model deepfm|fm]
//                          [--dtype double|float] [--steps 50] [--batch 256] [--seed 1]
//                          [--lr X] [--factors K] [--mlp 30,20,10] [--adam-mode dense|lazy_exact]
//                          [--format d2l|criteo|csv] [--label-column NAME] [--drop-columns a,b]
//                          [--min-count 4]
//
// Files in DIR (arrays raw little-endian, row-major):
//   meta.json            the settings, field_dims and the list of parameter tensors
//   train.txt            the first --train-lines lines of --data (plain text, not gzip),
//                        byte for byte (a CSV header is one of them)
//   ids.u32, labels.f32  the encoded training rows [rows x fields] and their labels
//   <tensor>.f64|.f32    initial parameters: embedding [N x k], first_order [N], and each
//                        dense slice by its dense_layout() name (first_order.weight, ...)
//   batches.u32          [steps x batch] row indices, in RolloverSampler order
//   losses.txt           train_step's loss of each step (before the step), %.17g
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deepfm/data/encoder.hpp>
#include <deepfm/data/reader_options.hpp>
#include <deepfm/data/rollover_sampler.hpp>
#include <deepfm/models/deepfm.hpp>
#include <deepfm/models/fm.hpp>
#include <deepfm/train/fit.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Options {
  std::string data = DEEPFM_TRAJECTORY_DEFAULT_DATA;
  std::size_t train_lines = 2400;
  std::string out;
  std::string model = "deepfm";
  std::string dtype = "double";
  std::size_t steps = 50;
  // 2400 rows / 256 = 9 batches and 96 rows left over per epoch: 50 steps cross five epoch
  // boundaries, each opening with the previous epoch's leftover rows.
  std::size_t batch = 256;
  std::uint64_t seed = 1;
  std::optional<double> lr;
  std::optional<std::size_t> factors;
  std::vector<std::size_t> mlp = {30, 20, 10};
  std::string adam_mode = "dense";
  deepfm::ReaderOptions reader{};  // d2l format, min count 4: d2l's CTRDataset
};

/// A bad command line: reported with the usage, exit status 2.
struct UsageError {
  std::string message;
};

constexpr const char* kUsage =
    "usage: deepfm_trajectory_dump --out DIR [--data FILE] [--train-lines N] [--model deepfm|fm]\n"
    "         [--dtype double|float] [--steps N] [--batch N] [--seed N] [--lr X] [--factors K]\n"
    "         [--mlp 30,20,10] [--adam-mode dense|lazy_exact] [--format d2l|criteo|csv]\n"
    "         [--label-column NAME] [--drop-columns a,b] [--min-count N]\n";

std::uint64_t parse_unsigned(std::string_view flag, const std::string& text) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || text[0] == '-')
    throw UsageError{std::string(flag) + ": '" + text + "' is not a non-negative integer"};
  return value;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find(',', at), text.size());
    parts.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

std::vector<std::size_t> parse_widths(const std::string& text) {
  std::vector<std::size_t> widths;
  for (const std::string& part : split_commas(text))
    widths.push_back(parse_unsigned("--mlp", part));
  return widths;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) throw UsageError{std::string(flag) + " needs a value"};
    const std::string value = argv[++i];
    if (flag == "--data") {
      options.data = value;
    } else if (flag == "--train-lines") {
      options.train_lines = parse_unsigned(flag, value);
    } else if (flag == "--out") {
      options.out = value;
    } else if (flag == "--model") {
      options.model = value;
    } else if (flag == "--dtype") {
      options.dtype = value;
    } else if (flag == "--steps") {
      options.steps = parse_unsigned(flag, value);
    } else if (flag == "--batch") {
      options.batch = parse_unsigned(flag, value);
    } else if (flag == "--seed") {
      options.seed = parse_unsigned(flag, value);
    } else if (flag == "--lr") {
      try {
        options.lr = std::stod(value);
      } catch (const std::exception&) {
        throw UsageError{"--lr: '" + value + "' is not a number"};
      }
    } else if (flag == "--factors") {
      options.factors = parse_unsigned(flag, value);
    } else if (flag == "--mlp") {
      options.mlp = parse_widths(value);
    } else if (flag == "--adam-mode") {
      options.adam_mode = value;
    } else if (flag == "--format") {
      try {
        options.reader.format = deepfm::parse_format(value);
      } catch (const deepfm::InvalidArgument& error) {
        throw UsageError{std::string("--format: ") + error.what()};
      }
    } else if (flag == "--label-column") {
      options.reader.label_column = value;
    } else if (flag == "--drop-columns") {
      options.reader.drop_columns = split_commas(value);
    } else if (flag == "--min-count") {
      options.reader.encode.min_count = parse_unsigned(flag, value);
    } else {
      throw UsageError{"unknown option " + std::string(flag)};
    }
  }
  if (options.out.empty()) throw UsageError{"--out is required"};
  if (options.model != "deepfm" && options.model != "fm")
    throw UsageError{"--model must be deepfm or fm"};
  if (options.dtype != "double" && options.dtype != "float")
    throw UsageError{"--dtype must be double or float"};
  if (options.adam_mode != "dense" && options.adam_mode != "lazy_exact")
    throw UsageError{"--adam-mode must be dense or lazy_exact"};
  if (options.train_lines == 0 || options.steps == 0 || options.batch == 0)
    throw UsageError{"--train-lines, --steps and --batch must be positive"};
  const deepfm::Format format = options.reader.format;
  if (format != deepfm::Format::d2l && format != deepfm::Format::criteo &&
      format != deepfm::Format::csv)
    throw UsageError{"--format: the reference reads d2l, criteo and csv"};
  return options;
}

/// Copies the first `lines` lines of `source` (endings kept) to `target`; the LineReader
/// then sees exactly what it would see in the whole file.
void copy_first_lines(const std::string& source, const fs::path& target, std::size_t lines) {
  std::ifstream in(source, std::ios::binary);
  if (!in) throw deepfm::DataError(source, 0, "cannot open");
  std::ofstream out(target, std::ios::binary);
  if (!out) throw deepfm::DataError(target.string(), 0, "cannot write");
  std::size_t copied = 0;
  for (char c; copied < lines && in.get(c);) {
    out.put(c);
    if (c == '\n') ++copied;
  }
  if (!out) throw deepfm::DataError(target.string(), 0, "cannot write");
}

/// Appends `value`'s bytes in little-endian order (the files' stated byte order, whatever
/// the host's).
template <typename U>
void append_le(std::string& bytes, U value) {
  static_assert(std::is_unsigned_v<U>);
  for (std::size_t b = 0; b < sizeof(U); ++b)
    bytes.push_back(static_cast<char>((value >> (8 * b)) & 0xffu));
}

template <typename T>
void write_array(const fs::path& path, std::span<const T> values) {
  using Bits = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
  std::string bytes;
  bytes.reserve(values.size() * sizeof(T));
  for (const T value : values) {
    if constexpr (std::is_floating_point_v<T>) {
      append_le(bytes, std::bit_cast<Bits>(value));
    } else {
      append_le(bytes, static_cast<Bits>(value));
    }
  }
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw deepfm::DataError(path.string(), 0, "cannot write");
}

std::string json_list(const std::vector<std::size_t>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i ? "," : "") + std::to_string(values[i]);
  return text + "]";
}

/// JSON string of a path or name (escapes quotes, backslashes and control bytes).
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

struct Tensor {
  std::string name;
  std::vector<std::size_t> shape;
};

/// --lr, or the d2l chapters' learning rate (DeepFM 0.01, FM 0.02).
double learning_rate(const Options& options) {
  return options.lr.value_or(options.model == "fm" ? 0.02 : 0.01);
}

/// The model the options describe, dropout off (so that torch computes the same function).
template <typename T>
std::unique_ptr<deepfm::CtrModel<T>> make_model(const Options& options,
                                                const std::vector<std::size_t>& field_dims) {
  const deepfm::OptimizerConfig optimizer{.lr = learning_rate(options),
                                          .adam_mode = options.adam_mode == "dense"
                                                           ? deepfm::AdamMode::dense
                                                           : deepfm::AdamMode::lazy_exact};
  if (options.model == "deepfm")
    return std::make_unique<deepfm::DeepFM<T>>(
        field_dims, deepfm::DeepFMConfig{.factors = options.factors.value_or(10),
                                         .mlp = options.mlp,
                                         .dropout = 0.0,
                                         .optimizer = optimizer,
                                         .seed = options.seed});
  return std::make_unique<deepfm::FM<T>>(
      field_dims,
      deepfm::FMConfig{
          .factors = options.factors.value_or(20), .optimizer = optimizer, .seed = options.seed});
}

/// Every parameter of `model`, in one vector (to compare two models bit for bit).
template <typename T>
std::vector<T> all_parameters(deepfm::CtrModel<T>& model) {
  model.sync();
  std::vector<T> values;
  for (const std::span<const T> part : {std::span<const T>(model.embedding_weights()),
                                        std::span<const T>(model.first_order_weights()),
                                        std::span<const T>(model.dense_parameters())})
    values.insert(values.end(), part.begin(), part.end());
  return values;
}

template <typename T>
void run(const Options& options, const deepfm::EncodedDataset& data) {
  const fs::path out(options.out);
  const std::unique_ptr<deepfm::CtrModel<T>> model = make_model<T>(options, data.field_dims);

  // The initial parameters, before any step.
  const char* suffix = sizeof(T) == 8 ? ".f64" : ".f32";
  std::vector<Tensor> tensors;
  write_array<T>(out / (std::string("embedding") + suffix), model->embedding_weights());
  tensors.push_back({"embedding", {model->table_rows(), model->factors()}});
  write_array<T>(out / (std::string("first_order") + suffix), model->first_order_weights());
  tensors.push_back({"first_order", {model->table_rows()}});
  const std::span<const T> dense = model->dense_parameters();
  for (const deepfm::ParameterSlice& slice : model->dense_layout()) {
    write_array<T>(out / (slice.name + suffix), dense.subspan(slice.offset, slice.size()));
    // Biases are stored as 1 x out; their torch tensors are vectors.
    tensors.push_back({slice.name, slice.rows == 1 && slice.name.ends_with(".bias")
                                       ? std::vector<std::size_t>{slice.cols}
                                       : std::vector<std::size_t>{slice.rows, slice.cols}});
  }

  // CtrModel::fit's loop, one step at a time so that each loss is seen: the sampler fit
  // builds (rows, batch, the model's seed, epoch 0), each epoch's full batches in order.
  const deepfm::Batch train = data.batch();
  deepfm::RolloverSampler sampler(train.rows(), options.batch, options.seed);
  std::vector<std::uint32_t> batches;
  std::vector<double> losses;
  std::vector<std::size_t> epoch_of_step;
  std::vector<deepfm::FeatureId> batch_ids;
  std::vector<float> batch_labels;
  std::size_t batch_size = 0;
  std::size_t full_epochs = 0;
  std::vector<T> after_full_epochs;
  for (std::size_t epoch = 0; losses.size() < options.steps; ++epoch) {
    const std::vector<std::uint32_t> order = sampler.next_epoch();
    batch_size = sampler.batch_size();
    const std::size_t epoch_batches = order.size() / batch_size;
    std::size_t b = 0;
    for (; b < epoch_batches && losses.size() < options.steps; ++b) {
      batches.insert(batches.end(), order.begin() + static_cast<std::ptrdiff_t>(b * batch_size),
                     order.begin() + static_cast<std::ptrdiff_t>((b + 1) * batch_size));
      batch_ids.clear();
      batch_labels.clear();
      for (std::size_t i = b * batch_size; i < (b + 1) * batch_size; ++i) {
        const auto row = train.ids.subspan(std::size_t{order[i]} * train.fields, train.fields);
        batch_ids.insert(batch_ids.end(), row.begin(), row.end());
        batch_labels.push_back(train.labels[order[i]]);
      }
      losses.push_back(model->train_step({batch_ids, batch_labels, train.fields}));
      epoch_of_step.push_back(epoch);
    }
    if (b == epoch_batches) {
      full_epochs = epoch + 1;
      after_full_epochs = all_parameters(*model);
    }
  }
  // The claim that these are fit's batches, checked: fit over the completed epochs must
  // reach bit for bit the parameters the steps above reached.
  if (full_epochs > 0) {
    const std::unique_ptr<deepfm::CtrModel<T>> fitted = make_model<T>(options, data.field_dims);
    deepfm::fit(*fitted, train, {.epochs = full_epochs, .batch_size = options.batch});
    if (all_parameters(*fitted) != after_full_epochs)
      throw deepfm::InternalError("fit() over " + std::to_string(full_epochs) +
                                  " epochs does not reproduce the dumped steps");
  }
  write_array<std::uint32_t>(out / "batches.u32", batches);

  const fs::path losses_path = out / "losses.txt";
  std::FILE* file = std::fopen(losses_path.string().c_str(), "w");
  if (file == nullptr) throw deepfm::DataError(losses_path.string(), 0, "cannot write");
  for (const double loss : losses) std::fprintf(file, "%.17g\n", loss);
  if (std::fclose(file) != 0) throw deepfm::DataError(losses_path.string(), 0, "cannot write");

  std::string meta = "{\n";
  meta += "  \"model\": " + json_string(options.model) + ",\n";
  meta += "  \"dtype\": " + json_string(options.dtype) + ",\n";
  meta += "  \"data\": " + json_string(fs::absolute(options.data).string()) + ",\n";
  meta += "  \"train_lines\": " + std::to_string(options.train_lines) + ",\n";
  meta += "  \"format\": " + json_string(deepfm::format_name(options.reader.format)) + ",\n";
  meta += "  \"label_column\": " + json_string(options.reader.label_column) + ",\n";
  std::string drop;
  for (const std::string& column : options.reader.drop_columns)
    drop += (drop.empty() ? "" : ",") + column;
  meta += "  \"drop_columns\": " + json_string(drop) + ",\n";
  meta += "  \"min_count\": " + std::to_string(options.reader.encode.min_count) + ",\n";
  meta += "  \"rows\": " + std::to_string(train.rows()) + ",\n";
  meta += "  \"fields\": " + std::to_string(train.fields) + ",\n";
  meta += "  \"field_dims\": " + json_list(data.field_dims) + ",\n";
  meta += "  \"factors\": " + std::to_string(model->factors()) + ",\n";
  meta += "  \"mlp\": " + (options.model == "deepfm" ? json_list(options.mlp) : "null") + ",\n";
  char lr[32];
  std::snprintf(lr, sizeof lr, "%.17g", learning_rate(options));
  meta += "  \"lr\": " + std::string(lr) + ",\n";
  meta += "  \"adam_mode\": " + json_string(options.adam_mode) + ",\n";
  meta += "  \"batch\": " + std::to_string(batch_size) + ",\n";
  meta += "  \"seed\": " + std::to_string(options.seed) + ",\n";
  meta += "  \"steps\": " + std::to_string(losses.size()) + ",\n";
  meta += "  \"epoch_of_step\": " + json_list(epoch_of_step) + ",\n";
  meta += "  \"tensors\": [";
  for (std::size_t i = 0; i < tensors.size(); ++i)
    meta += std::string(i ? "," : "") + "\n    {\"name\": " + json_string(tensors[i].name) +
            ", \"file\": " + json_string(tensors[i].name + suffix) +
            ", \"shape\": " + json_list(tensors[i].shape) + "}";
  meta += "\n  ]\n}\n";
  std::ofstream meta_file(out / "meta.json");
  meta_file << meta;
  if (!meta_file) throw deepfm::DataError((out / "meta.json").string(), 0, "cannot write");

  std::printf("%s<%s>: %zu rows x %zu fields, table %zu x %zu, %zu steps of %zu over %zu epochs\n",
              options.model.c_str(), options.dtype.c_str(), train.rows(), train.fields,
              model->table_rows(), model->factors(), losses.size(), batch_size,
              epoch_of_step.back() + 1);
  std::printf("loss: step 1 %.6f, step %zu %.6f; fit() over %zu epochs reproduces them\n",
              losses.front(), losses.size(), losses.back(), full_epochs);
  std::printf("written to %s\n", out.string().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse(argc, argv);
  } catch (const UsageError& error) {
    std::fprintf(stderr, "deepfm_trajectory_dump: %s\n%s", error.message.c_str(), kUsage);
    return 2;
  }
  try {
    const fs::path out(options.out);
    fs::create_directories(out);
    const fs::path train_path = out / "train.txt";
    copy_first_lines(options.data, train_path, options.train_lines);

    const deepfm::ReaderOptions& reader = options.reader;
    const deepfm::ParserFactory factory = deepfm::make_parser_factory(reader);
    deepfm::EncodeReport report;
    const deepfm::Vocabulary vocabulary =
        deepfm::build_vocabulary(train_path.string(), factory, reader.encode, report);
    const deepfm::EncodedDataset data = deepfm::encode_file(
        train_path.string(), vocabulary, deepfm::make_parser_factory(reader, vocabulary.fields()),
        reader.encode, report);
    write_array<std::uint32_t>(out / "ids.u32", data.ids);
    write_array<float>(out / "labels.f32", data.labels);

    if (options.dtype == "double") {
      run<double>(options, data);
    } else {
      run<float>(options, data);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "deepfm_trajectory_dump: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
