// models/memory_estimate.hpp: the estimate counts exactly the parameters a model allocates.
#include <catch2/catch.hpp>

#include <cstdint>
#include <deepfm/models/memory_estimate.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "support/scratch_dir.hpp"

TEST_CASE("Memory estimate counts the model's parameters and optimiser state", "[train]") {
  const auto kind = GENERATE(deepfm::ModelKind::deepfm, deepfm::ModelKind::fm);
  deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(kind);
  spec.field_dims = {7, 30, 5, 1000};
  const auto model = deepfm::make_model<float>(spec);
  const std::uint64_t parameters = model->embedding_weights().size() +
                                   model->first_order_weights().size() +
                                   model->dense_parameters().size();
  const deepfm::MemoryEstimate m =
      deepfm::estimate_training_memory(spec, sizeof(float), 5000, 1000, 6000, 2048, true, 0, 0);
  CHECK(m.parameters == parameters * sizeof(float));
  CHECK(m.optimizer_state == 2 * m.parameters);  // Adam: two moments
  CHECK(m.best_copy == m.parameters);
  CHECK(m.datasets == 6000 * (4 * 4 + 4));
  CHECK(m.total() > m.parameters + m.optimizer_state + m.datasets);
  spec.optimizer.kind = deepfm::Optimizer::sgd;
  CHECK(deepfm::estimate_training_memory(spec, 4, 5000, 1000, 6000, 2048, false, 0, 0)
            .optimizer_state == 0);
}

// Found by tests/fuzz (cli_numbers target): `--mlp 4294967296,4294967296,4294967296` made the
// layer products wrap around 2^64, and the estimate came out at a few hundred terabytes or
// less, small enough to pass a memory limit that should refuse the run.
TEST_CASE("Memory estimate saturates instead of wrapping around", "[train]") {
  deepfm::ModelSpec spec = deepfm::ModelSpec::defaults(deepfm::ModelKind::deepfm);
  spec.field_dims = {10, 10};
  spec.mlp = std::vector<std::size_t>(3, std::size_t{1} << 32);
  const deepfm::MemoryEstimate m =
      deepfm::estimate_training_memory(spec, sizeof(float), 1000, 100, 1100, 2048, true, 0, 0);
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  CHECK(m.parameters == kMax);
  CHECK(m.optimizer_state == kMax);
  CHECK(m.total() == kMax);
  // One layer of 2^32 units still fits and is counted exactly: a 20 x 2^32 weight matrix and
  // 2^32 biases, then the 2^32 + 1 of the output unit, besides the first-order head's 2.
  spec.mlp = {std::size_t{1} << 32};
  const std::uint64_t units = std::uint64_t{1} << 32;
  const std::uint64_t dense = 2 + 20 * units + units + units + 1;
  const std::uint64_t table = 20 * (10 + 1);  // 20 rows of 10 factors and a first-order weight
  CHECK(deepfm::estimate_training_memory(spec, 4, 1000, 100, 1100, 2048, false, 0, 0).parameters ==
        (table + dense) * 4);
}

TEST_CASE("Default memory limit takes the smallest limit of the process's cgroups", "[train]") {
  deepfm::test::ScratchDir dir("cgroup_limit");
  const auto put = [&](const std::filesystem::path& relative, const std::string& text) {
    std::filesystem::create_directories((dir.path / relative).parent_path());
    std::ofstream(dir.path / relative) << text << "\n";
  };
  put("memory.max", "max");
  put("slice/memory.max", "8000000");  // a parent's limit binds its children
  put("slice/job/memory.max", "max");
  put("memory/memory.limit_in_bytes", "9223372036854771712");  // v1's "no limit"
  put("memory/x/memory.limit_in_bytes", "5000000");
  CHECK(deepfm::cgroup_memory_limit(dir.path, "0::/slice/job\n") == 8000000);
  CHECK(deepfm::cgroup_memory_limit(dir.path, "0::/slice/job/\n") == 8000000);
  CHECK(deepfm::cgroup_memory_limit(dir.path, "0::/other\n") == 0);  // no file: no limit
  CHECK(deepfm::cgroup_memory_limit(dir.path, "0::/\n") == 0);
  CHECK(deepfm::cgroup_memory_limit(dir.path, "5:cpu,cpuacct:/x\n4:memory:/x\n0::/\n") == 5000000);
  CHECK(deepfm::cgroup_memory_limit(dir.path, "5:cpu,cpuacct:/x\n") == 0);  // not memory's
  CHECK(deepfm::cgroup_memory_limit(dir.path, "4:memory:/x\n0::/slice/job\n") == 5000000);
  put("memory.max", "3000000");  // a container's own namespace: its limit sits at the root
  CHECK(deepfm::cgroup_memory_limit(dir.path, "0::/\n") == 3000000);
  CHECK(deepfm::cgroup_memory_limit(dir.path, "garbage\n\n0:\n") == 0);
}
