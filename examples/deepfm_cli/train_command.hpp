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
  cmd->add_option("--threads", c.threads, "threads (0: OpenMP's default)")
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

inline int run_train(TrainCommand c) {
  if (c.threads > 0) deepfm::set_max_threads(c.threads);
  if (c.resume && c.checkpoint_dir.empty())
    throw deepfm::InvalidArgument("--resume needs --checkpoint-dir");
  if (c.checkpoint_every > 0 && c.checkpoint_dir.empty())
    throw deepfm::InvalidArgument("--checkpoint-every needs --checkpoint-dir");
  const deepfm::ReaderOptions reader = c.flags.options();
  const std::filesystem::path cache = c.flags.cache_folder();
  std::optional<BuiltInData> built_in;
  if (c.train.empty()) {
    if (reader.format != deepfm::Format::d2l)
      throw deepfm::InvalidArgument("the built-in data is d2l-format; give --train with --format");
    built_in = built_in_paths(c, cache);
    c.train = built_in->train;
    if (c.test.empty()) c.test = built_in->test;
  }
  const std::filesystem::path checkpoint_file =
      c.checkpoint_dir.empty() ? std::filesystem::path()
                               : std::filesystem::path(c.checkpoint_dir) / "checkpoint.dfm";
  refuse_overwriting_inputs({{"--train", c.train}, {"--valid", c.valid}, {"--test", c.test}},
                            {{"--save", c.save},
                             {"--metrics", c.metrics},
                             {"--plot", c.plot},
                             {"--checkpoint-dir", checkpoint_file.string()}});
  const std::string built_in_note = built_in ? write_built_in_data(c, cache, *built_in) : "";

  deepfm::TrainingFiles files(reader, c.train, cache);
  deepfm::ModelSpec spec = spec_from_flags(c);
  const std::string fingerprint = run_fingerprint(c, files);
  // The checkpoint folder stays locked by this run until it ends. A resumed run takes the
  // lock before it reads the checkpoint (another run may be writing it); a fresh one only once
  // it passed the memory check, which touches no output folder.
  std::optional<CheckpointFolder> checkpoints;
  const bool resuming = c.resume && std::filesystem::exists(checkpoint_file);
  if (resuming) {
    checkpoints.emplace(c.checkpoint_dir, c.resume);
    check_resume_settings(checkpoint_file, spec, fingerprint);
  }
  std::fputs(built_in_note.c_str(), stdout);

  const deepfm::EncodedFile train_file = files.train();
  print_skipped_lines(train_file.summary.report);
  std::printf("train: %zu rows from %s (%s)\n", train_file.summary.rows,
              deepfm::printable_text(c.train).c_str(),
              train_file.summary.cache_hit ? "cache hit" : "encoded");
  std::optional<deepfm::EncodedFile> valid_file;
  std::optional<deepfm::EncodedFile> test_file;
  if (!c.valid.empty()) {
    valid_file = files.other(c.valid);
    print_skipped_lines(valid_file->summary.report);
  }
  if (!c.test.empty()) {
    test_file = files.other(c.test);
    print_skipped_lines(test_file->summary.report);
  }
  if (!c.allow_skips) {
    // A file read the wrong way (another --format, a damaged first line) loses most of its
    // lines; training on the rest would succeed with a model of the wrong data.
    const std::size_t fields = train_file.summary.field_dims.size();
    deepfm::check_skipped_share(c.train, train_file.summary.report, fields, reader.fields == 0);
    if (valid_file) deepfm::check_skipped_share(c.valid, valid_file->summary.report, fields, false);
    if (test_file) deepfm::check_skipped_share(c.test, test_file->summary.report, fields, false);
  }

  deepfm::TrainerData data;
  data.train = train_file.dataset.batch();
  const std::size_t fields = data.train.fields;
  if (valid_file) data.validation = valid_file->dataset.batch();
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
  if (test_file) data.test = test_file->dataset.batch();
  if (valid_file)
    std::printf("valid: %zu rows from %s\n", valid_file->summary.rows,
                deepfm::printable_text(c.valid).c_str());
  if (c.valid_fraction > 0)
    std::printf("valid: the last %zu training rows\n", data.validation->rows());
  if (test_file)
    std::printf("test: %zu rows from %s (%zu of %zu values out of vocabulary)\n",
                test_file->summary.rows, deepfm::printable_text(c.test).c_str(),
                test_file->summary.report.oov_cells, test_file->summary.report.total_cells);

  spec.field_dims = files.vocabulary().field_dims();

  deepfm::TrainerOptions options;
  options.epochs = c.epochs;
  options.batch_size = c.batch;
  options.early_stop = c.early_stop;
  options.checkpoint_every = c.checkpoint_every;

  std::size_t vocabulary_values = 0;
  std::size_t vocabulary_bytes = 0;
  for (std::size_t f = 0; f < files.vocabulary().fields(); ++f)
    for (const std::string& value : files.vocabulary().kept_values(f)) {
      ++vocabulary_values;
      vocabulary_bytes += value.size();
    }
  const std::size_t eval_rows =
      std::max(data.validation ? data.validation->rows() : 0, data.test ? data.test->rows() : 0);
  const std::size_t held_rows = train_file.summary.rows +
                                (valid_file ? valid_file->summary.rows : 0) +
                                (test_file ? test_file->summary.rows : 0);
  const deepfm::MemoryEstimate memory = deepfm::estimate_training_memory(
      spec, sizeof(float), data.train.rows(), eval_rows, held_rows, c.batch, c.early_stop > 0,
      vocabulary_values, vocabulary_bytes);
  std::string limit_source = "--max-memory";
  const std::uint64_t limit =
      c.max_memory > 0 ? c.max_memory : deepfm::default_memory_limit(&limit_source);
  if (limit > 0 && memory.total() > limit)
    throw deepfm::Error(
        "the run needs about " + deepfm::human_bytes(memory.total()) + " (parameters " +
        deepfm::human_bytes(memory.parameters) + ", optimizer " +
        deepfm::human_bytes(memory.optimizer_state) + ", data " +
        deepfm::human_bytes(memory.datasets) + ") but " + limit_source + " allows " +
        deepfm::human_bytes(limit) +
        "; use --hash-buckets, fewer --factors or a smaller model, or raise --max-memory");
  std::printf("%s\n", describe(spec).c_str());
  std::printf("memory: about %s (parameters %s, optimizer %s, data %s, batch work %s)\n",
              deepfm::human_bytes(memory.total()).c_str(),
              deepfm::human_bytes(memory.parameters).c_str(),
              deepfm::human_bytes(memory.optimizer_state).c_str(),
              deepfm::human_bytes(memory.datasets).c_str(),
              deepfm::human_bytes(memory.workspace + memory.gradients).c_str());
  std::fflush(stdout);

  // Only a run that passed the memory check touches the output folders. The outputs are
  // made ready before training, not found unwritable after it: a save that cannot start
  // would throw the trained model away.
  if (!c.save.empty()) prepare_output("--save", c.save, true, deepfm::throw_model_file_error);
  if (!c.plot.empty()) prepare_output("--plot", c.plot, true, deepfm::throw_data_error);
  if (!c.metrics.empty()) prepare_output("--metrics", c.metrics, false, deepfm::throw_data_error);
  if (!c.checkpoint_dir.empty()) {
    if (!checkpoints) checkpoints.emplace(c.checkpoint_dir, c.resume);
    options.checkpoint_file = checkpoints->checkpoint_file();
  }
  std::unique_ptr<deepfm::CtrModel<float>> model;
  std::optional<deepfm::TrainingProgress> resumed;
  std::vector<std::vector<float>> best_parameters;
  if (resuming) {
    deepfm::LoadedModel<float> loaded = deepfm::load_model_file<float>(options.checkpoint_file);
    if (!loaded.progress || deepfm::to_text(loaded.spec) != deepfm::to_text(spec))
      throw deepfm::ModelFileError(options.checkpoint_file.string(),
                                   "changed while this run started: another run wrote it?");
    model = std::move(loaded.model);
    resumed = std::move(loaded.progress);
    best_parameters = std::move(loaded.best_parameters);
    std::printf("resuming from %s: %zu epochs done, step %llu\n",
                deepfm::printable_text(options.checkpoint_file.string()).c_str(),
                resumed->history.size(), static_cast<unsigned long long>(model->step()));
  } else {
    if (c.resume)
      std::printf("no checkpoint in %s yet: starting afresh\n",
                  deepfm::printable_text(c.checkpoint_dir).c_str());
    model = deepfm::make_model<float>(spec);
  }

  deepfm::Trainer<float> trainer(*model, spec, reader, files.vocabulary(), options, fingerprint);
  if (resumed) trainer.resume(std::move(*resumed), std::move(best_parameters));

  std::optional<std::ofstream> metrics_out;
  if (!c.metrics.empty()) {
    metrics_out.emplace(c.metrics, std::ios::trunc);
    if (!*metrics_out) throw deepfm::DataError(c.metrics, 0, "cannot write the metrics file");
    for (const deepfm::EpochStats& stats : trainer.progress().history)
      *metrics_out << deepfm::epoch_json(stats) << '\n';
    metrics_out->flush();
  }
  deepfm::ProgressReporter progress(stdout);
  std::vector<deepfm::EpochStats> history = trainer.progress().history;
  const std::string title = describe(spec);
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
    if (metrics_out) {
      *metrics_out << deepfm::epoch_json(stats) << '\n';
      metrics_out->flush();
      if (!*metrics_out) throw deepfm::DataError(c.metrics, 0, "cannot write the metrics file");
    }
    if (!c.plot.empty()) deepfm::write_learning_curves_svg(c.plot, history, title);
  };
  const StopSignals signals;
  callbacks.stop_requested = [&] { return signals.received() != 0; };
  const deepfm::TrainResult result = trainer.run(data, callbacks);
  if (result.interrupted) {
    progress.clear();
    const deepfm::TrainingProgress& at = trainer.progress();
    const std::string where = at.batches_done > 0
                                  ? "in epoch " + std::to_string(at.history.size() + 1) +
                                        " after batch " + std::to_string(at.batches_done)
                                  : "after epoch " + std::to_string(at.history.size());
    const std::string kept =
        checkpoints ? "the checkpoint " + deepfm::printable_text(options.checkpoint_file.string()) +
                          " holds this step; rerun with --resume to go on"
                    : std::string(
                          "nothing was kept (no --checkpoint-dir), and --save was not "
                          "written");
    std::printf("interrupted by %s at step %llu, %s: %s\n",
                signals.received() == SIGINT ? "Ctrl-C (SIGINT)" : "SIGTERM",
                static_cast<unsigned long long>(model->step()), where.c_str(), kept.c_str());
    std::fflush(stdout);
    return 128 + signals.received();
  }

  if (result.best_epoch > 0)
    std::printf("%s at epoch %zu (best validation AUC %.4f); that epoch's model is kept\n",
                result.stopped_early ? "stopped early" : "finished", result.best_epoch,
                trainer.progress().best_auc);
  if (!c.save.empty()) {
    deepfm::save_model_file<float>(c.save, *model, spec, reader, files.vocabulary());
    std::printf("saved %s\n", deepfm::printable_text(c.save).c_str());
  }
  if (data.test) {
    const deepfm::Metrics m = model->evaluate(*data.test);
    std::printf("test: auc %s  logloss %.4f  accuracy %.4f  (%zu rows)\n",
                metric_text(m.auc).c_str(), m.logloss, m.accuracy, m.rows);
  }
  return 0;
}

}  // namespace deepfm_cli
