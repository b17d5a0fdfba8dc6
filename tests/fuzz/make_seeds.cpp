// Writes the crafted seeds of every fuzz target into FOLDER/<target>/seed-*: small valid
// files of each format and the edge cases the readers must survive (empty, CRLF, no final
// newline, huge numbers, NUL bytes, non-UTF-8, long lines), plus real model files and a
// checkpoint written by deepfm itself. scripts/fuzz.sh seeds runs it into tests/fuzz/corpus;
// the seeds are committed, so this only needs to run again when a format changes (the
// checkpoints hold the run's timings, so they come out different every time).
#include <zlib.h>

#include <cstdio>
#include <deepfm/data/binary_dataset.hpp>
#include <deepfm/data/synthetic.hpp>
#include <deepfm/data/vocabulary.hpp>
#include <deepfm/io/model_file.hpp>
#include <deepfm/io/section_file.hpp>
#include <deepfm/train/trainer.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

fs::path root;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(root / target);
  std::ofstream(root / target / ("seed-" + name), std::ios::binary) << bytes;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string gzip(const std::string& text) {
  const fs::path scratch = root / "scratch.gz";
  gzFile out = gzopen(scratch.c_str(), "wb9");
  if (out == nullptr) throw std::runtime_error("cannot write " + scratch.string());
  if (!text.empty()) gzwrite(out, text.data(), static_cast<unsigned>(text.size()));
  gzclose(out);
  std::string bytes = read(scratch);
  fs::remove(scratch);
  return bytes;
}

std::string repeat(const std::string& text, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

/// Every text format's common edge cases, with `good` a valid file of that format.
void common_text_seeds(const std::string& target, const std::string& good) {
  write(target, "empty", "");
  write(target, "newlines-only", "\n\r\n\n");
  std::string crlf;
  for (const char c : good) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  write(target, "crlf-no-final-newline", crlf.substr(0, crlf.size() - 2));
  write(target, "nul-byte",
        good.substr(0, good.size() / 2) + std::string(1, '\0') + good.substr(good.size() / 2));
  write(target, "long-line", good + good.substr(0, good.find('\n')) + repeat("9", 300) + "\n");
}

void d2l_seeds() {
  const std::string good =
      "1\t18446744073709551615\t007\tabc\n0\t124\t007\tabd\n1\t18446744073709551615\t008\tabc\n"
      "0\t124\t0\t\n";
  write("d2l", "valid", good);
  common_text_seeds("d2l", good);
  write("d2l", "wrong-field-count", "1\ta\tb\n0\ta\n1\ta\tb\tc\n0\tc\td\n");
  write("d2l", "bad-label", "1\ta\n2\tb\n");
  write("d2l", "label-only", "1\n0\n");
  write("d2l", "huge-numbers",
        "1\t99999999999999999999999999999999\t-9223372036854775809\n0\t1e308\t0x7fffffff\n");
  write("d2l", "non-utf8", "1\t\xff\xfe\t\xc3\x28\n0\t\x80\tok\n1\t\xed\xa0\x80\t\xf4\x90\n");
  write("d2l", "empty-values", "1\t\t\n0\t\t\n\n1\t\t\n");
}

void criteo_seeds() {
  std::string line = "1";
  for (int i = 0; i < 13; ++i) line += "\t" + std::to_string(i * i * 37 - 2);
  for (int i = 0; i < 26; ++i) line += "\t" + std::string(i % 3 == 0 ? "" : "68fd1e64");
  const std::string good = line + "\n0\t1\t2\t3\n1\t\t\t\t-1\n";
  write("criteo", "valid", good);
  common_text_seeds("criteo", good);
  write("criteo", "integer-limits",
        "1\t9223372036854775807\t-9223372036854775808\t3\t4\t5\n0\t0\t1\t2\n");
  write("criteo", "integer-overflow", "0\t18446744073709551616\n1\t9223372036854775808\n");
  write("criteo", "not-integers", "0\t1.5\n0\t+3\n0\t 3\n0\t0x1f\n0\t-\n");
  write("criteo", "too-many-columns", line + "\textra\n" + line + "\n");
  write("criteo", "bad-label", "2\t1\n\t1\n");
}

void csv_seeds() {
  const std::string good =
      "id,click,hour,site\n1,0,14102100,abc\n2,1,14102100,\"a,b\"\n3,0,,\"say \"\"hi\"\"\"\n";
  write("csv", "valid", good);
  common_text_seeds("csv", good);
  write("csv", "bom", "\xEF\xBB\xBFid,click,x\n1,1,a\n");
  write("csv", "header-only", "id,click,a,b\n");
  write("csv", "duplicate-header", "id,click,a,a\n1,0,x,y\n");
  write("csv", "no-label-column", "id,a,b\n1,x,y\n");
  write("csv", "only-label-and-id", "id,click\n1,0\n");
  write("csv", "bad-quotes", "id,click,a\n1,0,\"open\n2,1,\"x\"y\n3,0,a\"b\n4,1,\"\"\n");
  write("csv", "wrong-column-count", "id,click,a\n1,0\n2,1,x,y\n3,0,z\n");
  write("csv", "bad-label", "id,click,a\n1,2,x\n");
  write("csv", "criteo-header",
        "Id,Label,I1,I2,I13,C1\n10000000,0,1,-5,9223372036854775807,68fd1e64\n"
        "10000001,1,,1.5,,\n");
  write("csv", "tab-separated", "a\tb\tc\n1\t2\t3\n\"x\t\"\ty\tz\n");
}

void libsvm_seeds() {
  const std::string good = "1 1:1 5:1 9:1\n0 2:1 5:1 10:1\n-1 3 6 11\n+1 007:1.0 5:0 9:1e0 # c\n";
  write("libsvm", "valid", good);
  common_text_seeds("libsvm", good);
  write("libsvm", "index-beyond-2-32", "1 4294967295:1\n0 4294967296:1\n");
  write("libsvm", "values", "1 1:0.5\n0 1:-0\n1 1:+1\n0 1:1e400\n1 1:nan\n");
  write("libsvm", "malformed", "1 1::1\n0 :1\n1 a:1\n0 1:1:1\n1 1:\n");
  write("libsvm", "comments-and-ragged", "# header\n1 1 2 3\n0 4\n1 5 6 7 8\n\t 0 \t\n");
  write("libsvm", "bad-labels", "2 1:1\n1.0 1:1\n-0 1:1\n");
  write("libsvm", "no-features-first", "1\n0 1:1\n");
}

void libffm_seeds() {
  const std::string good = "1 0:1:1 1:5:1 2:9:1\n0 2:3:1 0:1:1\n-1 1:7:0 3:2:1\n";
  write("libffm", "valid", good);
  common_text_seeds("libffm", good);
  write("libffm", "field-twice", "1 0:1:1 0:2:1\n");
  write("libffm", "field-out-of-range", "1 0:1:1\n0 5:1:1\n1 4000000000:1:1\n");
  write("libffm", "huge-first-field", "1 65536:1:1\n0 99999999999999999999999:1:1\n");
  write("libffm", "malformed", "1 0:1\n0 0:1:1:1\n1 :1:1\n0 0::1\n1 0:1:2\n");
  write("libffm", "unordered", "0 3:1:1 1:1:1 0:0:1 2:2:1\n1 2:0:1\n");
}

void gzip_seeds() {
  const std::string text = "1\ta\tb\n0\tc\td\r\n1\te\tf";
  const std::string compressed = gzip(text);
  write("gzip", "gzip", compressed);
  write("gzip", "gzip-empty", gzip(""));
  write("gzip", "gzip-concatenated", compressed + gzip("0\tg\th\n"));
  write("gzip", "gzip-trailing-garbage", compressed + "garbage\n");
  write("gzip", "gzip-truncated", compressed.substr(0, compressed.size() / 2));
  write("gzip", "gzip-nul", gzip(std::string("1\ta\0b\n", 7)));
  write("gzip", "gzip-long-line", gzip("1\t" + repeat("x", 100) + "\n0\ty\n"));
  std::string flipped = compressed;
  flipped[flipped.size() - 6] = static_cast<char>(flipped[flipped.size() - 6] ^ 0x10);
  write("gzip", "gzip-bad-crc", flipped);
  write("gzip", "plain", text);
  write("gzip", "plain-crlf", "a\r\nb\r\n\r\nc\r");
  write("gzip", "empty", "");
  write("gzip", "magic-only", "\x1f\x8b");
  write("gzip", "one-byte", "\x1f");
}

void binary_dataset_seeds() {
  const auto save = [](const std::string& name, const deepfm::EncodedDataset& data) {
    const fs::path path = root / "scratch.bin";
    deepfm::write_binary_dataset(data, path);
    write("binary_dataset", name, read(path));
    fs::remove(path);
  };
  // field dims {3, 2}: field 0 ids 0..2, field 1 ids 3..4
  const deepfm::EncodedDataset small{{3, 2}, {0, 3, 2, 4, 1, 3}, {1.0f, 0.0f, 1.0f}};
  save("valid", small);
  save("zero-rows", {{5}, {}, {}});
  save("one-field", {{1}, {0, 0}, {0.0f, 1.0f}});
  std::string bytes = read(root / "binary_dataset" / "seed-valid");
  write("binary_dataset", "truncated", bytes.substr(0, bytes.size() - 9));
  write("binary_dataset", "header-only", bytes.substr(0, 64));
  std::string bad_id = bytes;
  bad_id[128] = '\x07';  // the first id, now past every field
  write("binary_dataset", "bad-id-checksum-stale", bad_id);
  write("binary_dataset", "empty", "");
}

void section_file_seeds() {
  const fs::path path = root / "scratch.dfm";
  const auto save = [&](const std::string& name, const deepfm::SectionFileWriter& file) {
    file.save(path);
    write("section_file", name, read(path));
    fs::remove(path);
  };
  const std::vector<std::uint8_t> bytes = {1, 2, 3};
  const std::vector<float> f32 = {1.5f, -0.0f};
  const std::vector<double> f64 = {3.25};
  const std::vector<std::uint32_t> u32 = {7, 8, 9, 10, 11};
  const std::vector<std::uint64_t> empty;
  deepfm::SectionFileWriter every_type("model");
  every_type.add_text("spec", "model=fm\n");
  every_type.add_array<std::uint8_t>("bytes", bytes);
  every_type.add_array<float>("f32", f32);
  every_type.add_array<double>("f64", f64);
  every_type.add_array<std::uint32_t>("u32", u32);
  every_type.add_array<std::uint64_t>("empty", empty);
  every_type.add_u64("number", 42);
  save("every-type", every_type);
  save("no-sections", deepfm::SectionFileWriter(""));
  deepfm::SectionFileWriter other_kind("vocabulary");
  other_kind.add_text("a name that needs more than eight bytes", "");
  save("other-kind", other_kind);
  const std::string valid = read(root / "section_file" / "seed-every-type");
  write("section_file", "truncated", valid.substr(0, valid.size() / 2));
  write("section_file", "not-a-model-file", "DEEPFMDS and then some");
  write("section_file", "empty", "");
}

deepfm::Vocabulary vocabulary(const std::vector<std::size_t>& kept) {
  std::vector<std::vector<std::string>> values(kept.size());
  for (std::size_t f = 0; f < kept.size(); ++f)
    for (std::size_t v = 0; v < kept[f]; ++v)
      values[f].push_back(std::string(1, static_cast<char>('a' + f)) + std::to_string(v));
  return deepfm::Vocabulary::from_kept_values(values, 1);
}

void model_file_seeds() {
  const fs::path path = root / "scratch.dfm";
  const auto keep = [&](const std::string& name) {
    write("model_file", name, read(path));
    fs::remove(path);
  };
  const deepfm::Vocabulary vocab = vocabulary({2, 3, 1});
  deepfm::ReaderOptions reader;

  deepfm::ModelSpec deepfm_spec = deepfm::ModelSpec::defaults(deepfm::ModelKind::deepfm);
  deepfm_spec.factors = 2;
  deepfm_spec.mlp = {3};
  deepfm_spec.seed = 1;
  deepfm_spec.field_dims = vocab.field_dims();
  auto deepfm_model = deepfm::make_model<float>(deepfm_spec);
  deepfm::save_model_file<float>(path, *deepfm_model, deepfm_spec, reader, vocab);
  keep("deepfm-f32");

  deepfm::ModelSpec fm_spec = deepfm::ModelSpec::defaults(deepfm::ModelKind::fm);
  fm_spec.factors = 1;
  fm_spec.optimizer.kind = deepfm::Optimizer::adagrad;
  const deepfm::Vocabulary hashing = deepfm::Vocabulary::hashing(2, 3);
  fm_spec.field_dims = hashing.field_dims();
  deepfm::ReaderOptions hashed;
  hashed.format = deepfm::Format::csv;
  hashed.label_column = "click";
  hashed.drop_columns = {"id", "a,b"};
  hashed.encode.hash_buckets = 3;
  auto fm_model = deepfm::make_model<double>(fm_spec);
  deepfm::save_model_file<double>(path, *fm_model, fm_spec, hashed, hashing);
  keep("fm-f64-hashing");

  // A checkpoint from a real (tiny) run, early stopping on, so it holds best.* sections too.
  deepfm::SyntheticConfig config;
  config.rows = 40;
  config.field_dims = vocab.field_dims();
  config.seed = 3;
  const deepfm::SyntheticData data = deepfm::generate_synthetic(config);
  for (const deepfm::AdamMode mode : {deepfm::AdamMode::dense, deepfm::AdamMode::lazy_exact}) {
    deepfm::ModelSpec spec = deepfm_spec;
    spec.optimizer.adam_mode = mode;
    auto model = deepfm::make_model<float>(spec);
    deepfm::TrainerOptions options;
    options.epochs = 2;
    options.batch_size = 16;
    options.early_stop = 1;
    options.checkpoint_file = path;
    deepfm::Trainer<float> trainer(*model, spec, reader, vocab, options, "fuzz seed");
    deepfm::TrainerData split;
    split.train = data.slice(0, 32);
    split.validation = data.slice(32, 40);
    trainer.run(split);
    keep(mode == deepfm::AdamMode::dense ? "checkpoint" : "checkpoint-lazy-exact");
  }

  const std::string valid = read(root / "model_file" / "seed-deepfm-f32");
  write("model_file", "truncated", valid.substr(0, valid.size() - 100));
  std::string flipped = valid;
  flipped[valid.size() / 2] = static_cast<char>(flipped[valid.size() / 2] ^ 1);
  write("model_file", "bit-flipped", flipped);
  write("model_file", "empty", "");
}

void cli_numbers_seeds() {
  const auto args = [](const std::string& name, const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& word : words) text += word + "\n";
    write("cli_numbers", name, text);
  };
  args("typical", {"--train", "t.tsv", "--epochs", "3", "--lr", "0.01", "--batch", "256", "--mlp",
                   "30,20,10", "--dropout", "0.5", "--factors", "16", "--seed", "7"});
  args("memory-sizes", {"--max-memory", "8G", "--max-line-bytes", "1048576"});
  args("memory-overflow", {"--max-memory", "99999999999999999999G"});
  args("huge-mlp", {"--mlp", "4294967296,4294967296,4294967296"});
  args("numbers-out-of-range",
       {"--epochs", "-1", "--lr", "nan", "--l2", "inf", "--factors", "0x10", "--seed",
        "18446744073709551616", "--valid-fraction", "0.95", "--threads", "4097"});
  args("float-edge-cases",
       {"--lr", "1e-320", "--dropout", "0.99", "--l2", "1e308", "--valid-fraction", "0.9"});
  // Texts the flags read to a canonical spelling (leading zeros, a long decimal at a bound,
  // "-0"), the list item CLI11 alone would drop, and the flags that need each other.
  args("canonical-texts",
       {"--mlp", "030,10", "--mlp", "7", "--dropout", "0.99000000000000000000000001", "--lr",
        "1e-3", "--l2", "-0", "--epochs", "010"});
  args("list-empty-item", {"--mlp", "30,,10"});
  args("memory-none-early-stop", {"--max-memory", "none", "--early-stop", "3", "--valid-fraction",
                                  "0.2", "--l2", "-0", "--epochs", "010"});
  args("fm-sgd", {"--model", "fm", "--optimizer", "sgd", "--adam-mode", "lazy-exact", "--format",
                  "libffm", "--fields", "39", "--hash-buckets", "1000000"});
  args("csv-flags", {"--format", "csv", "--label-column", "click", "--drop-columns", "id,,hour",
                     "--min-count", "0", "--strict"});
  args("help", {"--help"});
  args("equals-forms", {"--epochs=2", "--lr=2e-2", "--batch=1", "--generated-rows=100"});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_FOLDER\n", argv[0]);
    return 2;
  }
  root = argv[1];
  fs::create_directories(root);
  d2l_seeds();
  criteo_seeds();
  csv_seeds();
  libsvm_seeds();
  libffm_seeds();
  gzip_seeds();
  binary_dataset_seeds();
  section_file_seeds();
  model_file_seeds();
  cli_numbers_seeds();
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}
