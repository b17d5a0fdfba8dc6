// The other half of auc_scalar_vs_isa.cpp: reads the figures of the ISA build and of the
// scalar build, prints both, and fails unless each model's test AUC differs by at most the
// bound (by nothing where both builds have the same kernels). Logloss is printed, not
// bounded.
//
// Usage: compare_auc ISA_FILE SCALAR_FILE MAX_AUC_DIFFERENCE. With neither file present (the
// producers found no data) it prints "SKIPPED: ..." and succeeds.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deepfm/core/key_value_text.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace {

deepfm::detail::KeyValueReader read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open (did its producer fail?)");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return {deepfm::detail::parse_key_values(text, path), path};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ISA_FILE SCALAR_FILE MAX_AUC_DIFFERENCE\n", argv[0]);
    return 2;
  }
  const std::string isa_path = argv[1], scalar_path = argv[2];
  char* end = nullptr;
  const double bound = std::strtod(argv[3], &end);
  if (end == argv[3] || *end != '\0' || !std::isfinite(bound) || bound < 0) {
    std::fprintf(stderr, "%s: MAX_AUC_DIFFERENCE must be a number >= 0, got '%s'\n", argv[0],
                 argv[3]);
    return 2;
  }
  try {
    if (!std::filesystem::exists(isa_path) && !std::filesystem::exists(scalar_path)) {
      std::printf("SKIPPED: no figures to compare (d2l-ctr/test.csv not found)\n");
      return 0;
    }
    const auto isa = read(isa_path);
    const auto scalar = read(scalar_path);
    std::printf("kernels: %s against %s; AUC bound %g\n", isa.text("isa").c_str(),
                scalar.text("isa").c_str(), bound);
    // Both scalar (DEEPFM_DISABLE_SIMD for the whole build, or a target without SIMD): one
    // code, so the AUCs must be equal.
    const bool same_kernels = isa.text("isa") == scalar.text("isa");
    if (same_kernels)
      std::printf("note: both builds use the %s kernels: the AUCs must be equal\n",
                  isa.text("isa").c_str());
    bool ok = true;
    for (const std::string model : {"deepfm", "fm"}) {
      const double auc_isa = isa.real(model + ".auc"), auc_scalar = scalar.real(model + ".auc");
      const double loss_isa = isa.real(model + ".logloss");
      const double loss_scalar = scalar.real(model + ".logloss");
      const double difference = std::abs(auc_isa - auc_scalar);
      const bool within = difference <= (same_kernels ? 0.0 : bound);
      ok = ok && within;
      std::printf(
          "%-6s AUC isa %.17g scalar %.17g |difference| %.3g%s; logloss isa %.17g scalar %.17g "
          "|difference| %.3g\n",
          model.c_str(), auc_isa, auc_scalar, difference, within ? "" : " ABOVE THE BOUND",
          loss_isa, loss_scalar, std::abs(loss_isa - loss_scalar));
    }
    return ok ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}
