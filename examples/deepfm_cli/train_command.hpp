// `deepfm train`: trains DeepFM or FM on a CTR file (or on built-in generated data), with
// per-epoch metrics, early stopping, checkpoints and --resume, and saves a .dfm model file.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deepfm/core/atomic_file.hpp>
#include <deepfm/core/parallel_for.hpp>
#include <deepfm/data/synthetic.hpp>
#include <deepfm/data/synthetic_writer.hpp>
#include <deepfm/io/model_file.hpp>
#include <deepfm/models/memory_estimate.hpp>
#include <deepfm/report/human_format.hpp>
#include <deepfm/report/json_writer.hpp>
#include <deepfm/report/learning_curves_svg.hpp>
#include <deepfm/report/progress.hpp>
#include <deepfm/train/trainer.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint_folder.hpp"
#include "data_sets.hpp"
#include "file_identity.hpp"
#include "flag_checks.hpp"
#include "stop_signals.hpp"

namespace deepfm_cli {

/// The widest hidden layer `--mlp` takes: far beyond any CTR model, and small enough that a
/// typo (an extra digit or two) is a usage error rather than a memory-estimate refusal.
inline constexpr std::size_t kMaxMlpWidth = std::size_t{1} << 16;

/// The most rows `--generated-rows` asks for.
inline constexpr std::size_t kMaxGeneratedRows = std::size_t{1} << 30;

/// Every flag of `deepfm train`.
struct TrainCommand {
  std::string train;
  std::string test;
  std::string valid;
  double valid_fraction = 0;
  ReaderFlags flags;
  std::string model = "deepfm";
  std::optional<std::size_t> factors;
  std::vector<std::size_t> mlp = {30, 20, 10};
  double dropout = 0.1;
  std::string optimizer = "adam";
  std::string adam_mode = "dense";
  std::optional<double> lr;
  double l2 = 0;
  std::size_t batch = 2048;
  std::size_t epochs = 30;
  std::size_t early_stop = 0;
  std::uint64_t seed = 0;
  int threads = 0;
  std::string save;
  std::string checkpoint_dir;
  std::uint64_t checkpoint_every = 0;
  bool resume = false;
  bool allow_skips = false;
  std::string metrics;
  std::string plot;
  std::size_t generated_rows = 100000;
  /// 0: default_memory_limit(); kNoMemoryLimit (`--max-memory none`): no limit, as no
  /// estimate exceeds it. `--max-memory 0` is refused, so 0 always means the default.
  std::uint64_t max_memory = 0;
};

/// The most epochs a run takes, and so the longest --early-stop patience that can matter.
inline constexpr std::size_t kMaxEpochs = 1000000;

/// Refuses --early-stop without a validation set while the flags are parsed, before any file
/// is read: early stopping watches the validation AUC, so without one it could never act.
inline void require_validation_for_early_stop(const TrainCommand& c) {
  if (c.early_stop > 0 && c.valid.empty() && c.valid_fraction == 0)
    throw CLI::ValidationError("--early-stop",
                               "needs a validation set: give --valid FILE or --valid-fraction F");
}

inline CLI::App* add_train_command(CLI::App& app, TrainCommand& c) {
  CLI::App* cmd = app.add_subcommand(
      "train", "train DeepFM or FM (defaults: d2l's setup; without --train, generated data)");
  cmd->add_option("--train", c.train, "training file (default: built-in generated data)")
      ->check(file_name());
  cmd->add_option("--test", c.test, "test file, scored after every epoch")->check(file_name());
  auto* valid =
      cmd->add_option("--valid", c.valid, "validation file (early stopping)")->check(file_name());
  cmd->add_option("--valid-fraction", c.valid_fraction,
                  "hold out this last fraction of the training rows for validation (0: none)")
      ->transform(real_number(0, 0.9))
      ->excludes(valid);
  add_reader_flags(cmd, c.flags);
  cmd->add_option("--model", c.model, "deepfm or fm")->check(one_of({"deepfm", "fm"}));
  cmd->add_option("--factors", c.factors, "embedding width (default: 10 deepfm, 20 fm)")
      ->transform(whole_number(1, 4096));
  std::string mlp_default;  // an option with a callback has no variable to capture it from
  for (const std::size_t width : c.mlp)
    mlp_default += (mlp_default.empty() ? "" : ",") + std::to_string(width);
  cmd->add_option_function<std::vector<std::string>>(
         "--mlp",
         [&c](const std::vector<std::string>& lists) {
           const std::vector<std::uint64_t> widths = list_values(lists);
           c.mlp.assign(widths.begin(), widths.end());
         },
         "hidden layer widths, e.g. 30,20,10 (deepfm)")
      ->type_name("UINT")
      ->transform(whole_number_list(1, kMaxMlpWidth))
      ->default_str(mlp_default);
  cmd->add_option("--dropout", c.dropout, "dropout rate after each hidden layer (deepfm)")
      ->transform(real_number(0, 0.99));
  cmd->add_option("--optimizer", c.optimizer, "adam, adagrad or sgd")
      ->check(one_of({"adam", "adagrad", "sgd"}));
  cmd->add_option("--adam-mode", c.adam_mode,
                  "embedding rows: dense (every row, as PyTorch), lazy, or lazy-exact (touched "
                  "rows, same result as dense)")
      ->check(one_of({"dense", "lazy", "lazy-exact"}));
  cmd->add_option("--lr", c.lr, "learning rate (default: 0.01 deepfm, 0.02 fm)")
      ->transform(positive_finite());
  cmd->add_option("--l2", c.l2, "L2 penalty (weight decay)")->transform(non_negative_finite());
  cmd->add_option("--batch", c.batch, "batch size")
      ->transform(whole_number(1, std::uint64_t{1} << 24));
  cmd->add_option("--epochs", c.epochs, "epochs")->transform(whole_number(1, kMaxEpochs));
  cmd->add_option("--early-stop", c.early_stop,
                  "stop after N epochs without a better validation AUC, keep the best (0: off; "
                  "needs --valid or --valid-fraction)")
      ->transform(whole_number(0, kMaxEpochs));
  cmd->add_option("--seed", c.seed, "seed of initialisation, dropout and batch order")
      ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()));
  cmd->add_option("--threads", c.threads, "threads (0: all cores, or OMP_NUM_THREADS)")
      ->transform(whole_number(0, 4096));
  cmd->add_option("--save", c.save, "write the trained model to this .dfm file")
      ->check(file_name());
  cmd->add_option("--checkpoint-dir", c.checkpoint_dir,
                  "write DIR/checkpoint.dfm after every epoch (and --checkpoint-every steps); "
                  "one run per folder, and one that holds a checkpoint needs --resume")
      ->check(folder_name());
  cmd->add_option("--checkpoint-every", c.checkpoint_every,
                  "also checkpoint every N steps (0: at the end of each epoch only)")
      ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()));
  cmd->add_flag("--resume", c.resume, "continue from DIR/checkpoint.dfm when it exists");
  cmd->add_flag("--allow-skips", c.allow_skips,
                "train even when over 10% of a file's lines are skipped (default: an error "
                "naming the likely cause)");
  cmd->add_option("--metrics", c.metrics, "write one JSON line per epoch to this file")
      ->check(file_name());
  cmd->add_option("--plot", c.plot, "write the learning curves to this SVG file")
      ->check(file_name());
  cmd->add_option("--max-memory", c.max_memory,
                  "refuse to start a run that needs more memory than this: a size such as 8G or "
                  "512M (powers of 1024), or none for no limit (default: the smaller of the "
                  "available memory and the cgroup's memory limit)")
      ->type_name("SIZE")
      ->transform(memory_limit())
      ->default_str("");  // the field's 0 stands for the default the description words
  cmd->add_option("--generated-rows", c.generated_rows,
                  "rows of the built-in generated data (80% train, 20% test)")
      ->transform(whole_number(100, kMaxGeneratedRows));
  cmd->callback([&c] { require_validation_for_early_stop(c); });
  return cmd;
}

/// The spec the flags ask for (field dims filled in later).
inline deepfm::ModelSpec spec_from_flags(const TrainCommand& c) {
  const deepfm::ModelKind kind =
      c.model == "fm" ? deepfm::ModelKind::fm : deepfm::ModelKind::deepfm;
  deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(kind);
  if (c.factors) spec.factors = *c.factors;
  if (kind == deepfm::ModelKind::deepfm) {
    spec.mlp = c.mlp;
    spec.dropout = c.dropout;
  }
  spec.optimizer.kind = c.optimizer == "sgd"       ? deepfm::Optimizer::sgd
                        : c.optimizer == "adagrad" ? deepfm::Optimizer::adagrad
                                                   : deepfm::Optimizer::adam;
  spec.optimizer.adam_mode = c.adam_mode == "lazy"         ? deepfm::AdamMode::lazy
                             : c.adam_mode == "lazy-exact" ? deepfm::AdamMode::lazy_exact
                                                           : deepfm::AdamMode::dense;
  if (c.lr) spec.optimizer.lr = *c.lr;
  spec.optimizer.l2 = c.l2;
  spec.seed = c.seed;
  return spec;
}

/// The flag that sets each key of a model spec and of a run's data fingerprint.
inline std::string flag_of_setting(std::string_view key) {
  static constexpr std::pair<std::string_view, std::string_view> kFlags[] = {
      {"model", "--model"},
      {"factors", "--factors"},
      {"mlp", "--mlp"},
      {"dropout", "--dropout"},
      {"optimizer", "--optimizer"},
      {"lr", "--lr"},
      {"l2", "--l2"},
      {"adam_mode", "--adam-mode"},
      {"seed", "--seed"},
      {"format", "--format"},
      {"fields", "--fields"},
      {"min_count", "--min-count"},
      {"hash_buckets", "--hash-buckets"},
      {"strict", "--strict"},
      {"label", "--label-column"},
      {"drop", "--drop-columns"},
      {"train", "--train"},
      {"batch", "--batch"},
      {"valid_fraction", "--valid-fraction"},
      {"early_stop", "--early-stop"}};
  for (const auto& [name, flag] : kFlags)
    if (name == key) return std::string(flag);
  return std::string(key);
}

/// The first setting that differs between two "key=value" texts (entries split at
/// `separator`), as "--batch: checkpoint 2048, now 1024"; empty when none does.
inline std::string first_setting_difference(std::string_view checkpoint, std::string_view now,
                                            char separator) {
  const auto next = [separator](std::string_view& text) {
    const std::size_t end = text.find(separator);
    const std::string_view entry = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    return entry;
  };
  while (!checkpoint.empty() || !now.empty()) {
    const std::string_view a = next(checkpoint);
    const std::string_view b = next(now);
    if (a == b) continue;
    const std::string_view key = a.substr(0, a.find('='));
    const std::string_view value_a = a.substr(std::min(a.size(), key.size() + 1));
    const std::string_view value_b = b.substr(std::min(b.size(), b.find('=') + 1));
    if (key == "train")
      return "--train: the checkpoint was made on another training file (other content)";
    return flag_of_setting(key) + ": checkpoint " + std::string(value_a) + ", now " +
           std::string(value_b);
  }
  return {};
}

/// The built-in generated data (d2l files in the cache folder, one pair per seed and size).
struct BuiltInData {
  std::string train;
  std::string test;
};

inline BuiltInData built_in_paths(const TrainCommand& c, const std::filesystem::path& cache) {
  const std::string stem =
      "generated-" + std::to_string(c.generated_rows) + "-seed" + std::to_string(c.seed);
  return {(cache / (stem + ".train.tsv")).string(), (cache / (stem + ".test.tsv")).string()};
}

/// Writes the built-in data where built_in_paths says, unless it is there; returns the note
/// to print about it (with the generator's Bayes-optimal AUC).
inline std::string write_built_in_data(const TrainCommand& c, const std::filesystem::path& cache,
                                       const BuiltInData& files) {
  std::filesystem::create_directories(cache);
  // Generating is cheap next to training; it also gives the Bayes-optimal AUC to print.
  deepfm::SyntheticConfig config;
  config.rows = c.generated_rows;
  config.seed = c.seed + 1;
  const deepfm::SyntheticData data = deepfm::generate_synthetic(config);
  const std::size_t split = data.rows() * 4 / 5;
  if (!std::filesystem::exists(files.train) || !std::filesystem::exists(files.test)) {
    deepfm::write_synthetic_d2l(data, files.test, split, data.rows());
    deepfm::write_synthetic_d2l(data, files.train, 0, split);
  }
  const auto test_rows = data.slice(split, data.rows());
  const std::vector<double> true_logits(
      data.true_logits.begin() + static_cast<std::ptrdiff_t>(split), data.true_logits.end());
  char note[512];
  std::snprintf(note, sizeof note,
                "built-in data: %zu generated rows, %zu fields (80%% train, 20%% test) in %s\n"
                "the generator's Bayes-optimal test AUC is %.4f: no model can beat it\n",
                data.rows(), data.fields(), deepfm::printable_text(cache.string()).c_str(),
                deepfm::roc_auc<double>(true_logits, test_rows.labels).value_or(0.5));
  return note;
}

inline std::string describe(const deepfm::ModelSpec& spec) {
  std::size_t table_rows = 0;
  for (const std::size_t dim : spec.field_dims) table_rows += dim;
  std::string text = std::string(deepfm::model_kind_name(spec.kind)) + ": " +
                     std::to_string(spec.field_dims.size()) + " fields, " +
                     std::to_string(table_rows) + " x " + std::to_string(spec.factors) + " table";
  if (spec.kind == deepfm::ModelKind::deepfm) {
    text += ", mlp ";
    for (std::size_t i = 0; i < spec.mlp.size(); ++i)
      text += (i ? "-" : "") + std::to_string(spec.mlp[i]);
    text += ", dropout " + deepfm::detail::exact_text(spec.dropout);
  }
  text += ", " + std::string(deepfm::optimizer_name(spec.optimizer.kind)) + " lr " +
          deepfm::detail::exact_text(spec.optimizer.lr);
  return text;
}

/// Makes the folder of an output file (as the checkpoint folder is made) and checks that the
/// file can be written there, so that a run does not find out only after training.
/// `atomic`: the file is saved through a temporary beside it (the model, the plot); otherwise
/// it is written in place (the metrics, which may go to /dev/stdout or a pipe).
inline void prepare_output(const char* flag, const std::string& path, bool atomic,
                           deepfm::FileErrorThrower on_error) {
  const std::filesystem::path file(path);
  if (file.filename().empty())
    throw deepfm::InvalidArgument(std::string(flag) + " names a folder ('" + path +
                                  "'), not a file");
  std::error_code error;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), error);
  if (error) on_error(path, "cannot create its folder: " + error.message());
  if (atomic) {
    deepfm::AtomicFileWriter::check_destination(path, on_error);
    return;
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    // A fifo or a device is not opened to probe it: closing the probe would end the stream
    // for its reader.
    if (S_ISDIR(info.st_mode)) on_error(path, "is a directory, not a file");
    if (S_ISREG(info.st_mode) && ::access(path.c_str(), W_OK) != 0) {
      const int failure = errno;
      on_error(path, std::string("cannot write: ") + std::strerror(failure));
    }
    return;
  }
  const int probe = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (probe < 0) {
    const int failure = errno;
    on_error(path, std::string("cannot create: ") + std::strerror(failure));
  }
  ::close(probe);
  ::unlink(path.c_str());
}

/// What a run must match to resume a checkpoint: the training data and reader options, and
/// the flags that change the batches (the model's own settings are in its spec).
inline std::string run_fingerprint(const TrainCommand& c, deepfm::TrainingFiles& files) {
  return files.fingerprint() + ";batch=" + std::to_string(c.batch) +
         ";valid_fraction=" + deepfm::detail::exact_text(c.valid_fraction) +
         ";early_stop=" + std::to_string(c.early_stop);
}

/// Refuses a --resume whose flags differ from the checkpoint's, naming the first difference,
/// before the run prints or writes anything.
inline void check_resume_settings(const std::filesystem::path& checkpoint, deepfm::ModelSpec spec,
                                  const std::string& fingerprint) {
  const deepfm::CheckpointSettings saved = deepfm::read_checkpoint_settings(checkpoint);
  spec.field_dims = saved.spec.field_dims;  // from the data, which the fingerprint covers
  std::string difference =
      first_setting_difference(deepfm::to_text(saved.spec), deepfm::to_text(spec), '\n');
  if (difference.empty())
    difference = first_setting_difference(saved.data_fingerprint, fingerprint, ';');
  if (!difference.empty())
    throw deepfm::InvalidArgument("cannot resume from " + checkpoint.string() + ": " + difference +
                                  "; resume with the checkpoint's settings, or remove it (or "
                                  "choose another --checkpoint-dir) to start afresh");
}

/// A metric for the final summary: "n/a" where it is undefined (AUC of a one-class set).
inline std::string metric_text(const std::optional<double>& value) {
  return value ? deepfm::fixed_text(*value, 4) : std::string("n/a");
}

/// What a run is to do, decided from the flags alone: every usage error that needs no data is
/// found before a file is read or written.
struct TrainPlan {
  TrainCommand flags;  // without --train, train and test name the built-in data's files
  deepfm::ReaderOptions reader;
  std::filesystem::path cache;
  std::optional<BuiltInData> built_in;  // without --train
  deepfm::ModelSpec spec;               // field dims come from the data
  deepfm::TrainerOptions options;       // checkpoint_file: empty without --checkpoint-dir
};

/// The limit `--max-memory` sets (`flag`; 0: the default, the smaller of the available memory
/// and the cgroup's limit; 0 back when neither is known), and in `source` where it comes from.
inline std::uint64_t resolved_memory_limit(std::uint64_t flag, std::string& source) {
  source = "--max-memory";
  return flag > 0 ? flag : deepfm::default_memory_limit(&source);
}

/// Decides the run from the flags alone, so that a mistake in them costs no reading or writing.
inline TrainPlan plan_training(TrainCommand c) {
  if (c.resume && c.checkpoint_dir.empty())
    throw deepfm::InvalidArgument("--resume needs --checkpoint-dir");
  if (c.checkpoint_every > 0 && c.checkpoint_dir.empty())
    throw deepfm::InvalidArgument("--checkpoint-every needs --checkpoint-dir");
  TrainPlan plan;
  plan.reader = c.flags.options();
  std::string limit_source;
  plan.reader.encode.max_memory = resolved_memory_limit(c.max_memory, limit_source);
  plan.cache = c.flags.cache_folder();
  if (c.train.empty()) {
    if (plan.reader.format != deepfm::Format::d2l)
      throw deepfm::InvalidArgument("the built-in data is d2l-format; give --train with --format");
    plan.built_in = built_in_paths(c, plan.cache);
    c.train = plan.built_in->train;
    if (c.test.empty()) c.test = plan.built_in->test;
  }
  plan.spec = spec_from_flags(c);
  plan.options.epochs = c.epochs;
  plan.options.batch_size = c.batch;
  plan.options.early_stop = c.early_stop;
  plan.options.checkpoint_every = c.checkpoint_every;
  plan.options.threads = c.threads;
  if (!c.checkpoint_dir.empty())
    plan.options.checkpoint_file = std::filesystem::path(c.checkpoint_dir) / "checkpoint.dfm";
  plan.flags = std::move(c);
  return plan;
}

/// A run ready to train: its data, model and trainer. It stays where prepare_training made it,
/// as the trainer refers to the files' vocabulary and to the model, and the batches to the files.
struct PreparedRun {
  explicit PreparedRun(const TrainPlan& plan)
      : files(plan.reader, plan.flags.train, plan.cache), spec(plan.spec) {}

  deepfm::TrainingFiles files;
  deepfm::ModelSpec spec;  // the plan's, with the data's field dims
  std::string fingerprint;
  bool resuming = false;  // --resume, and the checkpoint exists
  std::optional<CheckpointFolder> checkpoints;
  deepfm::EncodedFile train_file;
  std::optional<deepfm::EncodedFile> valid_file;
  std::optional<deepfm::EncodedFile> test_file;
  deepfm::TrainerData data;
  std::unique_ptr<deepfm::CtrModel<float>> model;
  std::optional<deepfm::Trainer<float>> trainer;
  std::optional<std::ofstream> metrics_out;
};

/// Encodes the run's files (or finds them in the cache) and says what each holds; refuses a
/// file that lost too many lines.
inline void encode_data_files(const TrainPlan& plan, PreparedRun& run) {
  const TrainCommand& c = plan.flags;
  EncodeProgress progress(run.files);
  run.train_file = run.files.train();
  progress.done();
  print_skipped_lines(run.train_file.summary.report);
  std::printf("train: %zu rows from %s (%s)\n", run.train_file.summary.rows,
              deepfm::printable_text(c.train).c_str(),
              run.train_file.summary.cache_hit ? "cache hit" : "encoded");
  if (!c.valid.empty()) {
    run.valid_file = run.files.other(c.valid);
    progress.done();
    print_skipped_lines(run.valid_file->summary.report);
  }
  if (!c.test.empty()) {
    run.test_file = run.files.other(c.test);
    progress.done();
    print_skipped_lines(run.test_file->summary.report);
  }
  if (c.allow_skips) return;
  // A file read the wrong way (another --format, a damaged first line) loses most of its
  // lines; training on the rest would succeed with a model of the wrong data.
  const std::size_t fields = run.train_file.summary.field_dims.size();
  deepfm::check_skipped_share(c.train, run.train_file.summary.report, fields,
                              plan.reader.fields == 0);
  if (run.valid_file)
    deepfm::check_skipped_share(c.valid, run.valid_file->summary.report, fields, false);
  if (run.test_file)
    deepfm::check_skipped_share(c.test, run.test_file->summary.report, fields, false);
}

/// The batches the trainer takes from the encoded files (--valid-fraction split off the
/// training rows), and the validation and test lines.
inline void assemble_trainer_data(const TrainPlan& plan, PreparedRun& run) {
  const TrainCommand& c = plan.flags;
  deepfm::TrainerData& data = run.data;
  data.train = run.train_file.dataset.batch();
  const std::size_t fields = data.train.fields;
  if (run.valid_file) data.validation = run.valid_file->dataset.batch();
  if (c.valid_fraction > 0) {
    const auto held =
        static_cast<std::size_t>(static_cast<double>(data.train.rows()) * c.valid_fraction);
    if (held == 0 || held >= data.train.rows())
      throw deepfm::InvalidArgument("--valid-fraction leaves no validation or no training rows");
    const std::size_t kept = data.train.rows() - held;
    const deepfm::Batch all = data.train;
    data.train = deepfm::Batch{all.ids.first(kept * fields), all.labels.first(kept), fields};
    data.validation =
        deepfm::Batch{all.ids.subspan(kept * fields), all.labels.subspan(kept), fields};
  }
  if (run.test_file) data.test = run.test_file->dataset.batch();
  if (run.valid_file)
    std::printf("valid: %zu rows from %s\n", run.valid_file->summary.rows,
                deepfm::printable_text(c.valid).c_str());
  if (c.valid_fraction > 0)
    std::printf("valid: the last %zu training rows\n", data.validation->rows());
  if (run.test_file)
    std::printf("test: %zu rows from %s (%zu of %zu values out of vocabulary)\n",
                run.test_file->summary.rows, deepfm::printable_text(c.test).c_str(),
                run.test_file->summary.report.oov_cells, run.test_file->summary.report.total_cells);
}

/// What the run will hold in memory: the model, its optimizer, the data and the vocabulary.
inline deepfm::MemoryEstimate estimate_memory(const TrainPlan& plan, const PreparedRun& run) {
  std::size_t vocabulary_values = 0;
  std::size_t vocabulary_bytes = 0;
  for (std::size_t f = 0; f < run.files.vocabulary().fields(); ++f)
    for (const std::string& value : run.files.vocabulary().kept_values(f)) {
      ++vocabulary_values;
      vocabulary_bytes += value.size();
    }
  const deepfm::TrainerData& data = run.data;
  const std::size_t eval_rows =
      std::max(data.validation ? data.validation->rows() : 0, data.test ? data.test->rows() : 0);
  const std::size_t held_rows = run.train_file.summary.rows +
                                (run.valid_file ? run.valid_file->summary.rows : 0) +
                                (run.test_file ? run.test_file->summary.rows : 0);
  return deepfm::estimate_training_memory(run.spec, sizeof(float), data.train.rows(), eval_rows,
                                          held_rows, plan.flags.batch, plan.flags.early_stop > 0,
                                          vocabulary_values, vocabulary_bytes);
}

/// Refuses a run that would not fit in memory before it allocates the model or touches an
/// output; then describes the model and what it needs.
inline void check_memory(const TrainPlan& plan, const PreparedRun& run) {
  const deepfm::MemoryEstimate memory = estimate_memory(plan, run);
  std::string limit_source;
  const std::uint64_t limit = resolved_memory_limit(plan.flags.max_memory, limit_source);
  if (limit > 0 && memory.total() > limit)
    throw deepfm::Error(
        "the run needs about " + deepfm::human_bytes(memory.total()) + " (parameters " +
        deepfm::human_bytes(memory.parameters) + ", optimizer " +
        deepfm::human_bytes(memory.optimizer_state) + ", data " +
        deepfm::human_bytes(memory.datasets) + ") but " + limit_source + " allows " +
        deepfm::human_bytes(limit) +
        "; use --hash-buckets, fewer --factors or a smaller model, or raise --max-memory");
  std::printf("%s\n", describe(run.spec).c_str());
  std::printf("memory: about %s (parameters %s, optimizer %s, data %s, batch work %s)\n",
              deepfm::human_bytes(memory.total()).c_str(),
              deepfm::human_bytes(memory.parameters).c_str(),
              deepfm::human_bytes(memory.optimizer_state).c_str(),
              deepfm::human_bytes(memory.datasets).c_str(),
              deepfm::human_bytes(memory.workspace + memory.gradients).c_str());
  std::printf("compute: %d threads, %s kernels\n", deepfm::max_threads(),
              std::string(deepfm::kernels::isa_name(deepfm::kernels::kIsa)).c_str());
  std::fflush(stdout);
}

/// Only a run that passed the memory check touches the output folders. The outputs are made
/// ready before training, not found unwritable after it: a save that cannot start would throw
/// the trained model away.
inline void prepare_outputs(const TrainPlan& plan, PreparedRun& run) {
  const TrainCommand& c = plan.flags;
  if (!c.save.empty()) prepare_output("--save", c.save, true, deepfm::throw_model_file_error);
  if (!c.plot.empty()) prepare_output("--plot", c.plot, true, deepfm::throw_data_error);
  if (!c.metrics.empty()) prepare_output("--metrics", c.metrics, false, deepfm::throw_data_error);
  if (!c.checkpoint_dir.empty() && !run.checkpoints)
    run.checkpoints.emplace(c.checkpoint_dir, c.resume);
}

/// The checkpoint to resume, refused if it is no longer the one whose settings were checked.
inline deepfm::LoadedModel<float> load_checkpoint(const TrainPlan& plan, const PreparedRun& run) {
  const std::filesystem::path& file = plan.options.checkpoint_file;
  deepfm::LoadedModel<float> loaded = deepfm::load_model_file<float>(file);
  if (!loaded.progress || deepfm::to_text(loaded.spec) != deepfm::to_text(run.spec))
    throw deepfm::ModelFileError(file.string(),
                                 "changed while this run started: another run wrote it?");
  std::printf("resuming from %s: %zu epochs done, step %llu\n",
              deepfm::printable_text(file.string()).c_str(), loaded.progress->history.size(),
              static_cast<unsigned long long>(loaded.model->step()));
  return loaded;
}

/// The model and its trainer: the checkpoint's, at its position, when resuming; else fresh.
inline void build_trainer(const TrainPlan& plan, PreparedRun& run) {
  std::optional<deepfm::TrainingProgress> resumed;
  std::vector<std::vector<float>> best_parameters;
  if (run.resuming) {
    deepfm::LoadedModel<float> loaded = load_checkpoint(plan, run);
    run.model = std::move(loaded.model);
    resumed = std::move(loaded.progress);
    best_parameters = std::move(loaded.best_parameters);
  } else {
    if (plan.flags.resume)
      std::printf("no checkpoint in %s yet: starting afresh\n",
                  deepfm::printable_text(plan.flags.checkpoint_dir).c_str());
    run.model = deepfm::make_model<float>(run.spec);
  }
  run.trainer.emplace(*run.model, run.spec, plan.reader, run.files.vocabulary(), plan.options,
                      run.fingerprint);
  if (resumed) run.trainer->resume(std::move(*resumed), std::move(best_parameters));
}

/// Starts --metrics afresh with the epochs a resumed run already has, so that the file always
/// holds the whole run.
inline void open_metrics(const TrainPlan& plan, PreparedRun& run) {
  const std::string& path = plan.flags.metrics;
  if (path.empty()) return;
  run.metrics_out.emplace(path, std::ios::trunc);
  if (!*run.metrics_out) throw deepfm::DataError(path, 0, "cannot write the metrics file");
  for (const deepfm::EpochStats& stats : run.trainer->progress().history)
    *run.metrics_out << deepfm::epoch_json(stats) << '\n';
  run.metrics_out->flush();
}

/// Reads the data and builds the trainer, so that whatever can fail fails before training.
inline std::unique_ptr<PreparedRun> prepare_training(const TrainPlan& plan) {
  const TrainCommand& c = plan.flags;
  if (c.threads > 0) deepfm::set_max_threads(c.threads);
  refuse_overwriting_inputs({{"--train", c.train}, {"--valid", c.valid}, {"--test", c.test}},
                            {{"--save", c.save},
                             {"--metrics", c.metrics},
                             {"--plot", c.plot},
                             {"--checkpoint-dir", plan.options.checkpoint_file.string()}});
  const std::string built_in_note =
      plan.built_in ? write_built_in_data(c, plan.cache, *plan.built_in) : "";
  auto run = std::make_unique<PreparedRun>(plan);
  run->fingerprint = run_fingerprint(c, run->files);
  // The checkpoint folder stays locked by this run until it ends. A resumed run takes the
  // lock before it reads the checkpoint (another run may be writing it); a fresh one only once
  // it passed the memory check, which touches no output folder.
  run->resuming = c.resume && std::filesystem::exists(plan.options.checkpoint_file);
  if (run->resuming) {
    run->checkpoints.emplace(c.checkpoint_dir, c.resume);
    check_resume_settings(plan.options.checkpoint_file, run->spec, run->fingerprint);
  }
  std::fputs(built_in_note.c_str(), stdout);
  encode_data_files(plan, *run);
  assemble_trainer_data(plan, *run);
  run->spec.field_dims = run->files.vocabulary().field_dims();
  check_memory(plan, *run);
  prepare_outputs(plan, *run);
  build_trainer(plan, *run);
  open_metrics(plan, *run);
  return run;
}

/// Trains, reporting every epoch as it ends (progress, --metrics, --plot) and stopping on a signal.
inline deepfm::TrainResult run_trainer(const TrainPlan& plan, PreparedRun& run,
                                       const StopSignals& signals) {
  deepfm::ProgressReporter progress(stdout);
  std::vector<deepfm::EpochStats> history = run.trainer->progress().history;
  const std::string title = describe(run.spec);
  deepfm::TrainerCallbacks callbacks;
  callbacks.on_epoch_begin = [&](std::size_t epoch, std::size_t total, std::size_t steps,
                                 std::size_t done) {
    progress.begin_epoch(epoch, total, steps, done);
  };
  callbacks.on_step = [&](std::size_t done, double loss, double rate) {
    progress.step(done, loss, rate);
  };
  callbacks.on_epoch_end = [&](const deepfm::EpochStats& stats) {
    progress.end_epoch(stats);
    history.push_back(stats);
    if (run.metrics_out) {
      *run.metrics_out << deepfm::epoch_json(stats) << '\n';
      run.metrics_out->flush();
      if (!*run.metrics_out)
        throw deepfm::DataError(plan.flags.metrics, 0, "cannot write the metrics file");
    }
    if (!plan.flags.plot.empty())
      deepfm::write_learning_curves_svg(plan.flags.plot, history, title);
  };
  callbacks.stop_requested = [&] { return signals.received() != 0; };
  const deepfm::TrainResult result = run.trainer->run(run.data, callbacks);
  if (result.interrupted) progress.clear();  // the report's line takes the bar's place
  return result;
}

/// Says where a signal stopped the run and what it kept; the exit code, 128 + the signal.
inline int report_interruption(const TrainPlan& plan, const PreparedRun& run,
                               const StopSignals& signals) {
  const deepfm::TrainingProgress& at = run.trainer->progress();
  const std::string where = at.epoch.batches_done > 0
                                ? "in epoch " + std::to_string(at.history.size() + 1) +
                                      " after batch " + std::to_string(at.epoch.batches_done)
                                : "after epoch " + std::to_string(at.history.size());
  const std::string kept =
      run.checkpoints
          ? "the checkpoint " + deepfm::printable_text(plan.options.checkpoint_file.string()) +
                " holds this step; rerun with --resume to go on"
          : std::string("nothing was kept (no --checkpoint-dir), and --save was not written");
  std::printf("interrupted by %s at step %llu, %s: %s\n",
              signals.received() == SIGINT ? "Ctrl-C (SIGINT)" : "SIGTERM",
              static_cast<unsigned long long>(run.model->step()), where.c_str(), kept.c_str());
  std::fflush(stdout);
  return 128 + signals.received();
}

/// Ends the run: its last lines, --save and the exit code (128 + the signal after a stop).
inline int report_training(const TrainPlan& plan, PreparedRun& run,
                           const deepfm::TrainResult& result, const StopSignals& signals) {
  if (result.interrupted) return report_interruption(plan, run, signals);
  if (result.best_epoch > 0)
    std::printf("%s at epoch %zu (best validation AUC %.4f); that epoch's model is kept\n",
                result.stopped_early ? "stopped early" : "finished", result.best_epoch,
                run.trainer->progress().best_auc);
  const std::string& save = plan.flags.save;
  if (!save.empty()) {
    deepfm::save_model_file<float>(save, *run.model, run.spec, plan.reader, run.files.vocabulary());
    std::printf("saved %s\n", deepfm::printable_text(save).c_str());
  }
  if (run.data.test) {
    const deepfm::Metrics m = run.model->evaluate(*run.data.test);
    std::printf("test: auc %s  logloss %.4f  accuracy %.4f  (%zu rows)\n",
                metric_text(m.auc).c_str(), m.logloss, m.accuracy, m.rows);
  }
  return 0;
}

/// `deepfm train`: plan, prepare, run, report.
inline int run_train(TrainCommand c) {
  const TrainPlan plan = plan_training(std::move(c));
  const std::unique_ptr<PreparedRun> run = prepare_training(plan);
  // Caught until the report is done: a Ctrl-C during --save does not cut the save short.
  const StopSignals signals;
  const deepfm::TrainResult result = run_trainer(plan, *run, signals);
  return report_training(plan, *run, result, signals);
}

}  // namespace deepfm_cli
