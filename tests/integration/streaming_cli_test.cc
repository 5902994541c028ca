// fenlei predict, explain and segment answer a writer that sends one line and waits for the
// answer before it sends the next (as a program talking to fastText does), and still answer
// every line of a file in order.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "test_util.h"
#include "trained_sample_model.h"

namespace fenlei::testing {
namespace {

// A child process running `fenlei <args>` with pipes to its stdin and stdout.
class Interactive {
 public:
  explicit Interactive(const std::vector<std::string>& args) {
    int in[2], out[2];
    EXPECT_EQ(::pipe(in), 0);
    EXPECT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::close(in[1]);
      ::close(out[0]);
      std::vector<char*> argv;
      std::vector<std::string> all = {fenlei_binary()};
      all.insert(all.end(), args.begin(), args.end());
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
  }
  ~Interactive() {
    if (to_child_ >= 0) ::close(to_child_);
    ::close(from_child_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void send(const std::string& text) {
    ASSERT_EQ(::write(to_child_, text.data(), text.size()), ssize_t(text.size()));
  }
  // One line of output, or "<timeout>" if none arrives within `ms` (the child keeps its stdin
  // open, so an answer that waits for more input never comes).
  std::string read_line(int ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (true) {
      const size_t nl = pending_.find('\n');
      if (nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "<timeout>";
      pollfd p{from_child_, POLLIN, 0};
      if (::poll(&p, 1, int(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(from_child_, buf, sizeof(buf));
      if (n <= 0) return "<eof>";
      pending_.append(buf, size_t(n));
    }
  }
  int finish() {
    ::close(to_child_);
    to_child_ = -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }

 private:
  pid_t pid_ = -1;
  int to_child_ = -1, from_child_ = -1;
  std::string pending_;
};

class StreamingCli : public TrainedSampleModel<StreamingCli> {};

// A generous limit: the answer must come while the writer waits, not after it closes its end.
constexpr int kAnswerMs = 20000;

TEST_F(StreamingCli, PredictAnswersEachLineWhileTheWriterWaits) {
  Interactive p({"predict", model_});
  for (const char* text : {"房间很干净，服务也好", "太吵了，不会再来", ""}) {
    p.send(std::string(text) + "\n");
    const std::string answer = p.read_line(kAnswerMs);
    ASSERT_NE(answer, "<timeout>") << "no answer to '" << text << "' before more input";
    EXPECT_NE(answer.find('\t'), std::string::npos) << answer;
  }
  EXPECT_EQ(p.finish(), 0);
}

TEST_F(StreamingCli, ExplainAndSegmentAnswerEachLineWhileTheWriterWaits) {
  Interactive e({"explain", model_, "--json"});
  e.send("房间很干净\n");
  const std::string answer = e.read_line(kAnswerMs);
  ASSERT_NE(answer, "<timeout>");
  EXPECT_NE(answer.find("\"label\""), std::string::npos) << answer;
  EXPECT_EQ(e.finish(), 0);

  Interactive s({"segment"});
  s.send("我来到北京清华大学\n");
  EXPECT_EQ(s.read_line(kAnswerMs), "我 / 来到 / 北京 / 清华大学");
  EXPECT_EQ(s.finish(), 0);
}

TEST_F(StreamingCli, PredictAnswersEveryLineOfAFileInOrder) {
  // More lines than one batch, the last without a newline and one with CRLF: one answer each, in
  // order, identical to answering the lines one at a time.
  std::string input, single;
  for (int i = 0; i < 1200; ++i) {
    const std::string text = i % 2 ? "房间很干净，服务也好" : "太吵了，不会再来";
    input += text + (i == 7 ? "\r\n" : "\n");
  }
  input += "位置不错";
  TempDir dir;
  write_text_file(dir.file("in.txt"), input);
  const auto all = run_fenlei("predict '" + model_ + "' '" + dir.file("in.txt") + "'");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = all.out.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(all.out.substr(start, nl - start));
  ASSERT_EQ(lines.size(), 1201u);
  const auto a = run_fenlei("predict '" + model_ + "'", "太吵了，不会再来\n");
  const auto b = run_fenlei("predict '" + model_ + "'", "房间很干净，服务也好\n");
  const auto c = run_fenlei("predict '" + model_ + "'", "位置不错\n");
  EXPECT_EQ(lines[0] + "\n", a.out);
  EXPECT_EQ(lines[7] + "\n", b.out);
  EXPECT_EQ(lines[1200] + "\n", c.out);
}

}  // namespace
}  // namespace fenlei::testing
