// A test binary of its own, because it replaces the global operator new
// (allocation_counter.cpp): every heap allocation in the process is counted, so a test can
// assert that a warm training step or a prediction allocates nothing.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
