// The precompiled header of the test executables (FENLEI_TEST_PCH=ON; scripts/test.sh turns it on,
// developers' ccache builds leave it off). Only system and third-party headers that most test files
// include, directly or through src/ headers: they never change between builds, so the PCH is built
// once per tree, and nothing here defines a macro that a test or a fenlei header tests for.
// Every test file still includes what it uses: the tests must build with the option off too.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>
