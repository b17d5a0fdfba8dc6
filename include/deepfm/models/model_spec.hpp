#pragma once
/// @file
/// What a trainer, a model file and a predictor need to rebuild a model: which model (FM or
/// DeepFM), its hyper-parameters and its field dims, with a text form that round-trips every
/// double exactly (it is stored in model files and compared on --resume).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "deepfm/core/config.hpp"
#include "deepfm/core/error.hpp"
#include "deepfm/core/key_value_text.hpp"
#include "deepfm/models/deepfm.hpp"
#include "deepfm/models/fm.hpp"

namespace deepfm {

/// The two models deepfm trains.
enum class ModelKind { deepfm, fm };

/// The hyper-parameters of an FM or a DeepFM over given fields.
struct ModelSpec {
  ModelKind kind = ModelKind::deepfm;
  std::size_t factors = 10;
  std::vector<std::size_t> mlp = {30, 20, 10};  ///< DeepFM only
  double dropout = 0.1;                         ///< DeepFM only
  OptimizerConfig optimizer{};
  std::uint64_t seed = 0;
  std::vector<std::size_t> field_dims{};

  /// d2l's DeepFM chapter (10 factors, MLP 30-20-10, dropout 0.1, Adam lr 0.01) or its FM
  /// chapter (20 factors, Adam lr 0.02).
  static ModelSpec defaults(ModelKind kind) {
    ModelSpec spec;
    spec.kind = kind;
    if (kind == ModelKind::fm) {
      const FMConfig fm;
      spec.factors = fm.factors;
      spec.mlp.clear();
      spec.dropout = 0;
      spec.optimizer = fm.optimizer;
    }
    return spec;
  }

  DeepFMConfig deepfm_config() const {
    return {
        .factors = factors, .mlp = mlp, .dropout = dropout, .optimizer = optimizer, .seed = seed};
  }
  FMConfig fm_config() const { return {.factors = factors, .optimizer = optimizer, .seed = seed}; }
};

inline std::string_view model_kind_name(ModelKind kind) noexcept {
  return kind == ModelKind::fm ? "fm" : "deepfm";
}

inline std::string_view optimizer_name(Optimizer kind) noexcept {
  switch (kind) {
    case Optimizer::sgd: return "sgd";
    case Optimizer::adagrad: return "adagrad";
    case Optimizer::adam: return "adam";
  }
  return "unknown";
}

inline std::string_view adam_mode_name(AdamMode mode) noexcept {
  switch (mode) {
    case AdamMode::dense: return "dense";
    case AdamMode::lazy: return "lazy";
    case AdamMode::lazy_exact: return "lazy-exact";
  }
  return "unknown";
}

/// The model `spec` describes, freshly initialised from its seed.
template <typename T>
std::unique_ptr<CtrModel<T>> make_model(const ModelSpec& spec) {
  if (spec.kind == ModelKind::fm) return std::make_unique<FM<T>>(spec.field_dims, spec.fm_config());
  return std::make_unique<DeepFM<T>>(spec.field_dims, spec.deepfm_config());
}

/// `spec` as key=value lines; every double in shortest round-trip form.
inline std::string to_text(const ModelSpec& spec) {
  const OptimizerConfig& o = spec.optimizer;
  std::string text;
  const auto line = [&](std::string_view key, const std::string& value) {
    text.append(key).append("=").append(value).append("\n");
  };
  line("model", std::string(model_kind_name(spec.kind)));
  line("factors", std::to_string(spec.factors));
  line("mlp", detail::list_text(spec.mlp));
  line("dropout", detail::exact_text(spec.dropout));
  line("optimizer", std::string(optimizer_name(o.kind)));
  line("lr", detail::exact_text(o.lr));
  line("beta1", detail::exact_text(o.beta1));
  line("beta2", detail::exact_text(o.beta2));
  line("eps", detail::exact_text(o.eps));
  line("adagrad_eps", detail::exact_text(o.adagrad_eps));
  line("l2", detail::exact_text(o.l2));
  line("adam_mode", std::string(adam_mode_name(o.adam_mode)));
  line("seed", std::to_string(spec.seed));
  line("field_dims", detail::list_text(spec.field_dims));
  return text;
}

/// Parses to_text's output; InvalidArgument naming the key that is missing or bad.
inline ModelSpec model_spec_from_text(std::string_view text,
                                      const std::string& what = "model spec") {
  const detail::KeyValueReader in(detail::parse_key_values(text, what), what);
  ModelSpec spec;
  const std::string& model = in.text("model");
  if (model != "deepfm" && model != "fm")
    throw InvalidArgument(what + ": unknown model '" + model + "'");
  spec.kind = model == "fm" ? ModelKind::fm : ModelKind::deepfm;
  spec.factors = in.u64("factors");
  spec.mlp = in.list("mlp");
  spec.dropout = in.real("dropout");
  const std::string& optimizer = in.text("optimizer");
  bool known = false;
  for (Optimizer kind : {Optimizer::sgd, Optimizer::adagrad, Optimizer::adam})
    if (optimizer_name(kind) == optimizer) {
      spec.optimizer.kind = kind;
      known = true;
    }
  if (!known) throw InvalidArgument(what + ": unknown optimizer '" + optimizer + "'");
  spec.optimizer.lr = in.real("lr");
  spec.optimizer.beta1 = in.real("beta1");
  spec.optimizer.beta2 = in.real("beta2");
  spec.optimizer.eps = in.real("eps");
  spec.optimizer.adagrad_eps = in.real("adagrad_eps");
  spec.optimizer.l2 = in.real("l2");
  const std::string& mode = in.text("adam_mode");
  known = false;
  for (AdamMode m : {AdamMode::dense, AdamMode::lazy, AdamMode::lazy_exact})
    if (adam_mode_name(m) == mode) {
      spec.optimizer.adam_mode = m;
      known = true;
    }
  if (!known) throw InvalidArgument(what + ": unknown adam_mode '" + mode + "'");
  spec.seed = in.u64("seed");
  spec.field_dims = in.list("field_dims");
  if (spec.kind == ModelKind::deepfm)
    detail::validate(spec.deepfm_config());
  else
    detail::validate(spec.fm_config());
  return spec;
}

}  // namespace deepfm
