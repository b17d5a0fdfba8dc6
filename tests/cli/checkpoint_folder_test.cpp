// examples/deepfm_cli/checkpoint_folder.hpp: one run per checkpoint folder, no checkpoint
// overwritten without --resume, a killed save's temporaries swept.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>

#include "deepfm_cli/checkpoint_folder.hpp"
#include "support/scratch_dir.hpp"

using Catch::Contains;
using deepfm_cli::CheckpointFolder;

TEST_CASE("A checkpoint folder is created and held by one run at a time", "[cli][checkpoint]") {
  deepfm::test::ScratchDir dir("checkpoint_folder_lock");
  const auto folder = dir.path / "a" / "b";
  std::optional<CheckpointFolder> first(std::in_place, folder, false);
  CHECK(std::filesystem::is_directory(folder));
  CHECK(first->checkpoint_file() == folder / "checkpoint.dfm");
  CHECK_THROWS_AS(CheckpointFolder(folder, true), deepfm::ModelFileError);
  CHECK_THROWS_WITH(CheckpointFolder(folder, true),
                    Contains("b: another deepfm train is using this checkpoint folder"));
  // The refused run left the holder's save in progress alone.
  std::ofstream(folder / ".checkpoint.dfm.tmp-Saving") << "half";
  CHECK_THROWS(CheckpointFolder(folder, true));
  CHECK(std::filesystem::exists(folder / ".checkpoint.dfm.tmp-Saving"));
  first.reset();  // the run ends (killed, say): the folder is free, its temporary stale
  CHECK_NOTHROW(CheckpointFolder(folder, true));
  CHECK_FALSE(std::filesystem::exists(folder / ".checkpoint.dfm.tmp-Saving"));
}

TEST_CASE("A checkpoint folder refuses to overwrite a checkpoint without --resume",
          "[cli][checkpoint]") {
  deepfm::test::ScratchDir dir("checkpoint_folder_resume");
  std::ofstream(dir.path / "checkpoint.dfm") << "saved";
  CHECK_THROWS_AS(CheckpointFolder(dir.path, false), deepfm::InvalidArgument);
  CHECK_THROWS_WITH(CheckpointFolder(dir.path, false),
                    Contains("checkpoint.dfm already exists") && Contains("pass --resume"));
  CHECK(std::filesystem::file_size(dir.path / "checkpoint.dfm") == 5);
  // The refusal let go of the folder.
  CHECK_NOTHROW(CheckpointFolder(dir.path, true));
}

TEST_CASE("A checkpoint folder sweeps the temporaries of killed saves only", "[cli][checkpoint]") {
  deepfm::test::ScratchDir dir("checkpoint_folder_sweep");
  for (const char* name : {".checkpoint.dfm.tmp-a1B2c3", ".checkpoint.dfm.tmp-zzzzzz",
                           ".model.dfm.tmp-a1B2c3", "notes.txt"})
    std::ofstream(dir.path / name) << "x";
  const CheckpointFolder folder(dir.path, false);
  CHECK_FALSE(std::filesystem::exists(dir.path / ".checkpoint.dfm.tmp-a1B2c3"));
  CHECK_FALSE(std::filesystem::exists(dir.path / ".checkpoint.dfm.tmp-zzzzzz"));
  CHECK(std::filesystem::exists(dir.path / ".model.dfm.tmp-a1B2c3"));
  CHECK(std::filesystem::exists(dir.path / "notes.txt"));
}

TEST_CASE("A checkpoint folder that cannot be made is a ModelFileError naming it",
          "[cli][checkpoint]") {
  deepfm::test::ScratchDir dir("checkpoint_folder_bad");
  std::ofstream(dir.path / "file") << "x";
  CHECK_THROWS_AS(CheckpointFolder(dir.path / "file" / "sub", false), deepfm::ModelFileError);
  CHECK_THROWS_WITH(CheckpointFolder(dir.path / "file" / "sub", false),
                    Contains("sub: cannot create the checkpoint folder"));
  CHECK_THROWS_WITH(CheckpointFolder(dir.path / "file", false), Contains("file: cannot"));
}
