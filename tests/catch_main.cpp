// The Catch2 main, compiled once for the whole suite.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>

int main(int argc, char* argv[]) {
  // Tests run side by side (ctest -j) and some start the deepfm tool, whose OpenMP threads
  // would otherwise spin while they wait for work and take the cores the others need. The
  // children inherit this; a caller's own OMP_WAIT_POLICY wins.
  ::setenv("OMP_WAIT_POLICY", "passive", 0);
  return Catch::Session().run(argc, argv);
}
