#pragma once
/// @file
/// Model files (.dfm) and checkpoints: a SectionFileWriter container (versioned, checksummed,
/// written atomically) holding
///   "spec"          text   ModelSpec (model, hyper-parameters, seed, field dims)
///   "reader"        text   ReaderOptions (format and encoding rules of the training data)
///   "dtype"         text   "f32" or "f64": the parameters' element type
///   "vocabulary.*"  the training vocabulary: kept-value counts per field (u64), each kept
///                   value's length (u64) and their bytes back to back (text); a hashing
///                   vocabulary has no kept values (reader's hash_buckets says so)
///   "param.*"       every parameter tensor (CtrModel::visit_state names)
/// and, in a checkpoint (kind "checkpoint"), also
///   "optim.*"       every optimiser moment
///   "progress"      text   counters, sampler position, early-stopping state, data fingerprint
///   "progress.leftover"  u32  rows the current epoch opened with (rolled over)
///   "progress.history"   f64  the EpochStats so far, kHistoryStride values each
///   "best.*"        the best epoch's parameters (early stopping only)
/// A checkpoint is also a model file: predict and eval accept either. Every value of the
/// param.*, optim.* and best.* sections is finite: saving refuses a NaN or an infinity (the
/// file would score NaN) and loading refuses a file that holds one.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "deepfm/core/error.hpp"
#include "deepfm/core/finite.hpp"
#include "deepfm/core/key_value_text.hpp"
#include "deepfm/data/reader_options.hpp"
#include "deepfm/data/vocabulary.hpp"
#include "deepfm/io/section_file.hpp"
#include "deepfm/metrics/epoch_stats.hpp"
#include "deepfm/models/ctr_model.hpp"
#include "deepfm/models/memory_estimate.hpp"
#include "deepfm/models/model_spec.hpp"

namespace deepfm {

/// Where a training run stands between two batches: what --resume needs, besides the model
/// and optimiser state, to continue bit for bit.
struct TrainingProgress {
  std::uint64_t sampler_epoch = 0;            ///< the current epoch's index in the sampler
  std::vector<std::uint32_t> epoch_leftover;  ///< the rows the current epoch opened with
  EpochProgress epoch;                        ///< how far the current epoch has come
  std::vector<EpochStats> history;            ///< the epochs completed, in order
  double best_auc = -1;                       ///< early stopping: best validation AUC so far
  std::uint64_t best_epoch = 0;               ///< its epoch (0: none yet)
  std::string data_fingerprint;               ///< identifies the training data and options
};

/// A model read back from a file, with what is needed to read data the way training did.
template <typename T>
struct LoadedModel {
  ModelSpec spec;
  ReaderOptions reader;
  Vocabulary vocabulary;
  std::unique_ptr<CtrModel<T>> model;
  std::optional<TrainingProgress> progress;  ///< checkpoints only
  /// The best epoch's parameters (checkpoints with early stopping only), in visit_state order.
  std::vector<std::vector<T>> best_parameters;
};

namespace detail {

inline constexpr std::size_t kHistoryStride = 16;

template <typename T>
constexpr std::string_view dtype_name() {
  return std::is_same_v<T, float> ? "f32" : "f64";
}

inline void append_metrics(std::vector<double>& out, const std::optional<Metrics>& metrics) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.push_back(metrics ? 1.0 : 0.0);
  out.push_back(metrics && metrics->auc ? *metrics->auc : nan);
  out.push_back(metrics ? metrics->logloss : nan);
  out.push_back(metrics ? metrics->accuracy : nan);
  out.push_back(metrics ? static_cast<double>(metrics->rows) : nan);
  out.push_back(metrics && metrics->calibration ? *metrics->calibration : nan);
}

/// A count the history stores as a double (an epoch, a row count). A damaged file may hold
/// NaN, a negative or a huge value there, whose conversion to size_t is undefined behaviour.
inline std::size_t count_from_double(double value) {
  if (!(value >= 0 && value <= 0x1p53) || value != std::floor(value))
    throw InvalidArgument("the epoch history holds " + exact_text(value) +
                          " where a count belongs");
  return static_cast<std::size_t>(value);
}

inline std::optional<Metrics> read_metrics(const double* in) {
  if (in[0] == 0.0) return std::nullopt;
  Metrics metrics;
  if (!std::isnan(in[1])) metrics.auc = in[1];
  metrics.logloss = in[2];
  metrics.accuracy = in[3];
  metrics.rows = count_from_double(in[4]);
  if (!std::isnan(in[5])) metrics.calibration = in[5];
  return metrics;
}

inline std::vector<double> history_values(const std::vector<EpochStats>& history) {
  std::vector<double> out;
  for (const EpochStats& stats : history) {
    out.push_back(static_cast<double>(stats.epoch));
    out.push_back(stats.train_loss);
    out.push_back(stats.seconds);
    out.push_back(stats.samples_per_second);
    append_metrics(out, stats.validation);
    append_metrics(out, stats.test);
  }
  return out;
}

inline std::vector<EpochStats> history_from_values(std::span<const double> values) {
  std::vector<EpochStats> history;
  for (std::size_t at = 0; at + kHistoryStride <= values.size(); at += kHistoryStride) {
    EpochStats stats;
    stats.epoch = count_from_double(values[at]);
    stats.train_loss = values[at + 1];
    stats.seconds = values[at + 2];
    stats.samples_per_second = values[at + 3];
    stats.validation = read_metrics(values.data() + at + 4);
    stats.test = read_metrics(values.data() + at + 10);
    history.push_back(stats);
  }
  return history;
}

inline void write_vocabulary(SectionFileWriter& file, const Vocabulary& vocabulary,
                             std::vector<std::uint64_t>& counts,
                             std::vector<std::uint64_t>& lengths, std::string& bytes) {
  for (std::size_t f = 0; f < vocabulary.fields(); ++f) {
    const auto kept = vocabulary.kept_values(f);
    counts.push_back(kept.size());
    for (const std::string& value : kept) {
      lengths.push_back(value.size());
      bytes += value;
    }
  }
  file.add_array<std::uint64_t>("vocabulary.counts", counts);
  file.add_array<std::uint64_t>("vocabulary.lengths", lengths);
  file.add_text("vocabulary.bytes", bytes);
}

inline Vocabulary read_vocabulary(const SectionFileReader& file, const ReaderOptions& reader,
                                  const std::vector<std::size_t>& field_dims,
                                  const std::filesystem::path& path) {
  if (reader.encode.hash_buckets > 0) {
    for (std::size_t f = 0; f < field_dims.size(); ++f)
      if (field_dims[f] != reader.encode.hash_buckets)
        throw ModelFileError(path.string(), "field " + std::to_string(f) + " has " +
                                                std::to_string(field_dims[f]) + " ids; its " +
                                                std::to_string(reader.encode.hash_buckets) +
                                                " hash buckets need as many");
    return Vocabulary::hashing(field_dims.size(), reader.encode.hash_buckets);
  }
  const std::vector<std::uint64_t> counts = file.array<std::uint64_t>("vocabulary.counts");
  const std::vector<std::uint64_t> lengths = file.array<std::uint64_t>("vocabulary.lengths");
  const std::string bytes = file.text("vocabulary.bytes");
  if (counts.size() != field_dims.size())
    throw ModelFileError(path.string(), "the vocabulary has " + std::to_string(counts.size()) +
                                            " fields; the model has " +
                                            std::to_string(field_dims.size()));
  std::vector<std::vector<std::string>> kept(counts.size());
  std::size_t value = 0;
  std::size_t at = 0;
  for (std::size_t f = 0; f < counts.size(); ++f) {
    if (counts[f] + 1 != field_dims[f] || counts[f] > lengths.size() - value)
      throw ModelFileError(path.string(), "the vocabulary of field " + std::to_string(f) +
                                              " does not match the model's field dims");
    for (std::uint64_t i = 0; i < counts[f]; ++i, ++value) {
      if (lengths[value] > bytes.size() - at)
        throw ModelFileError(path.string(), "the vocabulary's values overrun their bytes");
      kept[f].push_back(bytes.substr(at, lengths[value]));
      at += lengths[value];
    }
  }
  if (value != lengths.size() || at != bytes.size())
    throw ModelFileError(path.string(), "the vocabulary holds values no field claims");
  try {
    return Vocabulary::from_kept_values(std::move(kept), reader.encode.min_count);
  } catch (const InvalidArgument& e) {
    throw ModelFileError(path.string(), e.what());
  }
}

inline std::string progress_text(std::uint64_t step, std::uint64_t epochs,
                                 const TrainingProgress& progress) {
  std::string text;
  text += "step=" + std::to_string(step) + "\n";
  text += "epochs_trained=" + std::to_string(epochs) + "\n";
  text += "sampler_epoch=" + std::to_string(progress.sampler_epoch) + "\n";
  text += "batches_done=" + std::to_string(progress.epoch.batches_done) + "\n";
  text += "epoch_loss_sum=" + exact_text(progress.epoch.loss_sum) + "\n";
  text += "epoch_seconds=" + exact_text(progress.epoch.seconds) + "\n";
  text += "best_auc=" + exact_text(progress.best_auc) + "\n";
  text += "best_epoch=" + std::to_string(progress.best_epoch) + "\n";
  text += "data=" + escape_text(progress.data_fingerprint) + "\n";
  return text;
}

/// Saving stops at a non-finite value, before anything is written.
template <typename T>
void check_finite_to_save(const std::filesystem::path& path, const std::string& section,
                          std::span<const T> values) {
  if (const std::optional<std::size_t> bad = first_non_finite(values))
    throw NumericError("not saving " + path.string() + ": " + section + "[" + std::to_string(*bad) +
                       "] is " + value_text(values[*bad]) +
                       "; any file already there is left as it was");
}

/// Loading refuses a non-finite value (a file written by something other than deepfm, or
/// damaged under a checksum that holds).
template <typename T>
void check_finite_loaded(const std::filesystem::path& path, const std::string& section,
                         std::span<const T> values) {
  if (const std::optional<std::size_t> bad = first_non_finite(values))
    throw ModelFileError(path.string(), "section '" + section + "' holds " +
                                            value_text(values[*bad]) + " at index " +
                                            std::to_string(*bad) + "; its values must be finite");
}

}  // namespace detail

/// Saves a vocabulary alone (kind "vocabulary"), as the dataset cache keeps it beside an
/// encoded training file so that a cache hit needs no pass over the text.
inline void save_vocabulary_file(const std::filesystem::path& path, const Vocabulary& vocabulary) {
  SectionFileWriter file("vocabulary");
  std::vector<std::uint64_t> dims(vocabulary.field_dims().begin(), vocabulary.field_dims().end());
  file.add_array<std::uint64_t>("field_dims", dims);
  file.add_u64("min_count", vocabulary.min_count());
  file.add_u64("hash_buckets", vocabulary.hash_buckets());
  std::vector<std::uint64_t> counts;
  std::vector<std::uint64_t> lengths;
  std::string bytes;
  detail::write_vocabulary(file, vocabulary, counts, lengths, bytes);
  file.save(path);
}

/// Reads save_vocabulary_file's output; ModelFileError when damaged.
inline Vocabulary load_vocabulary_file(const std::filesystem::path& path) {
  static constexpr std::string_view kKinds[] = {"vocabulary"};
  const SectionFileReader file = SectionFileReader::open(path, kKinds);
  const std::vector<std::uint64_t> dims = file.array<std::uint64_t>("field_dims");
  ReaderOptions reader;
  reader.encode.min_count = file.u64("min_count");
  reader.encode.hash_buckets = file.u64("hash_buckets");
  return detail::read_vocabulary(file, reader, std::vector<std::size_t>(dims.begin(), dims.end()),
                                 path);
}

/// Saves `model` (with its spec, reader options and vocabulary) to `path` atomically. With
/// `progress`, the file is a checkpoint: optimiser state and training position too, and
/// `best_parameters` (visit_state order) when early stopping keeps a best epoch.
template <typename T>
void save_model_file(const std::filesystem::path& path, CtrModel<T>& model, const ModelSpec& spec,
                     const ReaderOptions& reader, const Vocabulary& vocabulary,
                     const TrainingProgress* progress = nullptr,
                     const std::vector<std::vector<T>>* best_parameters = nullptr) {
  SectionFileWriter file(progress ? "checkpoint" : "model");
  file.add_text("spec", to_text(spec));
  file.add_text("reader", to_text(reader));
  file.add_text("dtype", std::string(detail::dtype_name<T>()));
  std::vector<std::uint64_t> counts;
  std::vector<std::uint64_t> lengths;
  std::string bytes;
  detail::write_vocabulary(file, vocabulary, counts, lengths, bytes);
  std::size_t parameter = 0;
  model.visit_state(
      [&](std::string_view name, std::span<T> values, bool is_parameter) {
        const std::string section = (is_parameter ? "param." : "optim.") + std::string(name);
        detail::check_finite_to_save<T>(path, section, values);
        file.add_array<T>(section, std::span<const T>(values));
        if (is_parameter && best_parameters && parameter < best_parameters->size()) {
          const std::span<const T> best((*best_parameters)[parameter++]);
          detail::check_finite_to_save<T>(path, "best." + std::string(name), best);
          file.add_array<T>("best." + std::string(name), best);
        }
      },
      progress != nullptr);
  std::vector<double> history;
  if (progress) {
    file.add_text("progress",
                  detail::progress_text(model.step(), model.epochs_trained(), *progress));
    file.add_array<std::uint32_t>("progress.leftover", progress->epoch_leftover);
    history = detail::history_values(progress->history);
    file.add_array<double>("progress.history", history);
  }
  file.save(path);
}

/// What a checkpoint was made with, read without its parameters: a resume with other
/// settings is refused before the run does anything else.
struct CheckpointSettings {
  ModelSpec spec;
  std::string data_fingerprint;  ///< TrainingProgress::data_fingerprint
};

/// The settings of the checkpoint `path`; ModelFileError when it is damaged, foreign, or a
/// model file (which holds no optimizer state or position to resume from).
inline CheckpointSettings read_checkpoint_settings(const std::filesystem::path& path) {
  static constexpr std::string_view kKinds[] = {"model", "checkpoint"};
  const SectionFileReader file = SectionFileReader::open(path, kKinds);
  if (file.kind() != "checkpoint")
    throw ModelFileError(path.string(),
                         "a model file, not a checkpoint: it holds no optimizer state or "
                         "training position to resume from");
  CheckpointSettings settings;
  try {
    settings.spec = model_spec_from_text(file.text("spec"), "spec");
    const detail::KeyValueReader progress(
        detail::parse_key_values(file.text("progress"), "progress"), "progress");
    settings.data_fingerprint = detail::unescape_text(progress.text("data"));
  } catch (const InvalidArgument& e) {
    throw ModelFileError(path.string(), e.what());
  }
  return settings;
}

/// Loads a model file or a checkpoint. Anything damaged, foreign or inconsistent is a
/// ModelFileError naming the file and what is wrong.
template <typename T>
LoadedModel<T> load_model_file(const std::filesystem::path& path) {
  static constexpr std::string_view kKinds[] = {"model", "checkpoint"};
  const SectionFileReader file = SectionFileReader::open(path, kKinds);
  LoadedModel<T> loaded;
  try {
    loaded.spec = model_spec_from_text(file.text("spec"), "spec");
    loaded.reader = reader_options_from_text(file.text("reader"), "reader options");
  } catch (const InvalidArgument& e) {
    throw ModelFileError(path.string(), e.what());
  }
  const std::string dtype = file.text("dtype");
  if (dtype != detail::dtype_name<T>())
    throw ModelFileError(path.string(), "the parameters are " + dtype + "; this reader wants " +
                                            std::string(detail::dtype_name<T>()));
  // The spec sizes the model, which is allocated before its sections are read: a spec that
  // asks for more parameters than the file holds (damage under a checksum that holds) must be
  // refused first, or it allocates whatever it names, terabytes included.
  std::uint64_t stored = 0;
  for (const std::string& name : file.names())
    if (name.starts_with("param.")) stored += file.count(name);
  const std::uint64_t wanted =
      estimate_training_memory(loaded.spec, sizeof(T), 0, 0, 0, 1, false, 0, 0).parameters /
      sizeof(T);
  if (wanted > stored)
    throw ModelFileError(path.string(), "the spec describes a model of " + std::to_string(wanted) +
                                            " parameters; the file holds " +
                                            std::to_string(stored));
  loaded.vocabulary = detail::read_vocabulary(file, loaded.reader, loaded.spec.field_dims, path);
  try {
    loaded.model = make_model<T>(loaded.spec);
  } catch (const InvalidArgument& e) {
    throw ModelFileError(path.string(), e.what());
  }
  const bool checkpoint = file.kind() == "checkpoint";
  const bool has_best = checkpoint && file.has("best.embedding");
  loaded.model->visit_state(
      [&](std::string_view name, std::span<T> values, bool is_parameter) {
        const std::string section = (is_parameter ? "param." : "optim.") + std::string(name);
        file.read_into<T>(section, values);
        detail::check_finite_loaded<T>(path, section, values);
        if (is_parameter && has_best) {
          std::vector<T>& best = loaded.best_parameters.emplace_back(values.size());
          file.read_into<T>("best." + std::string(name), std::span<T>(best));
          detail::check_finite_loaded<T>(path, "best." + std::string(name),
                                         std::span<const T>(best));
        }
      },
      checkpoint);
  if (!checkpoint) return loaded;

  TrainingProgress progress;
  std::uint64_t step = 0;
  std::uint64_t epochs = 0;
  try {
    const detail::KeyValueReader in(detail::parse_key_values(file.text("progress"), "progress"),
                                    "progress");
    step = in.u64("step");
    epochs = in.u64("epochs_trained");
    progress.sampler_epoch = in.u64("sampler_epoch");
    progress.epoch.batches_done = static_cast<std::size_t>(in.u64("batches_done"));
    progress.epoch.loss_sum = in.real("epoch_loss_sum");
    progress.epoch.seconds = in.real("epoch_seconds");
    progress.best_auc = in.real("best_auc");
    progress.best_epoch = in.u64("best_epoch");
    progress.data_fingerprint = detail::unescape_text(in.text("data"));
  } catch (const InvalidArgument& e) {
    throw ModelFileError(path.string(), e.what());
  }
  progress.epoch_leftover = file.array<std::uint32_t>("progress.leftover");
  const std::vector<double> history = file.array<double>("progress.history");
  if (history.size() % detail::kHistoryStride != 0)
    throw ModelFileError(path.string(), "the epoch history has a partial record");
  try {
    progress.history = detail::history_from_values(history);
  } catch (const InvalidArgument& e) {
    throw ModelFileError(path.string(), e.what());
  }
  loaded.model->set_progress(step, epochs);
  loaded.progress = std::move(progress);
  return loaded;
}

}  // namespace deepfm
