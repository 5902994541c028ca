// LineInput: lines from a file or standard input, read with its own buffer so that a command can
// ask whether another line is already there. Streaming commands (predict, explain, segment) use
// it to answer a program that writes one line and waits for the answer at once, and still
// classify in batches when input arrives faster than it is answered (a file, a busy pipe).
//
//   FENLEI_ASSIGN_OR_RETURN(auto in, LineInput::open(path));   // "-" or "": standard input
//   std::string line;
//   while (true) {
//     FENLEI_ASSIGN_OR_RETURN(bool got, in->next(&line));
//     if (!got) break;
//     batch.push_back(line);
//     if (!in->ready() || batch.size() == kMax) answer(batch);  // nothing more waiting: answer now
//   }
#pragma once

#include <memory>
#include <string>

#include "fenlei/status.h"

namespace fenlei::cli {

class LineInput {
 public:
  // NOT_FOUND for a missing file, INVALID_ARGUMENT if it cannot be opened.
  static StatusOr<std::unique_ptr<LineInput>> open(const std::string& path);
  ~LineInput();
  LineInput(const LineInput&) = delete;
  LineInput& operator=(const LineInput&) = delete;

  // The next line without its "\n" or "\r\n"; false at the end of the input (a last line without
  // a newline is still returned). Lines are numbered from 1 (line_number() after the call).
  // Errors: DATA_LOSS when reading fails (the message names the input and line).
  StatusOr<bool> next(std::string* line);

  // True when next() would return without waiting: a whole line is buffered, the input has
  // ended, or the descriptor has data ready right now.
  bool ready();

  size_t line_number() const { return line_number_; }
  // "<stdin>" or the path, for messages.
  const std::string& name() const { return name_; }

 private:
  LineInput(int fd, bool owned, std::string name);
  // Reads more bytes into the buffer; false at end of input. Errors: DATA_LOSS.
  StatusOr<bool> fill();

  int fd_ = -1;
  bool owned_ = false;
  bool eof_ = false;
  std::string name_;
  std::string buffer_;
  size_t pos_ = 0;  // first unread byte of buffer_
  size_t line_number_ = 0;
};

}  // namespace fenlei::cli
