// Helpers shared by fenlei's tests: paths to data, temporary directories and running the CLI.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fenlei::testing {

inline std::string shared_dir() { return FENLEI_SHARED_DIR; }
inline std::string test_data_dir() { return FENLEI_TEST_DATA_DIR; }
inline std::string fenlei_binary() { return FENLEI_BINARY; }
// A file of the bundled sample data in examples/ (reviews_train.tsv, reviews_test.tsv, ...).
inline std::string example_path(const std::string& name) {
  return std::string(FENLEI_SOURCE_DIR) + "/examples/" + name;
}

// A fresh directory removed when the object goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fenlei_test_XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    path_ = ::mkdtemp(buf.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_text_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a shell command line, capturing stdout and stderr separately.
inline CommandResult run_command(const std::string& command_line, const std::string& stdin_text = "") {
  TempDir dir;
  const std::string in_path = dir.file("stdin"), out_path = dir.file("stdout"),
                    err_path = dir.file("stderr");
  write_text_file(in_path, stdin_text);
  const std::string full = "(" + command_line + ") <'" + in_path + "' >'" + out_path + "' 2>'" +
                           err_path + "'";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text_file(out_path);
  r.err = read_text_file(err_path);
  return r;
}

// Runs `fenlei <args>`.
inline CommandResult run_fenlei(const std::string& args, const std::string& stdin_text = "") {
  return run_command("'" + fenlei_binary() + "' " + args, stdin_text);
}

// Reports the first index where the arrays differ by more than tol.
template <typename A, typename B>
void expect_array_near(const A& got, const B& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol) << "at index " << i;
  }
}

}  // namespace fenlei::testing
