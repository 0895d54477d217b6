// Errors about user input (scenario files, --set values, output paths). They carry the place
// in the input they are about, and the CLI turns them into exit code 2.
#pragma once

#include <stdexcept>
#include <string>

namespace recoverysim {

// Where a value came from: a line and column in a file (1-based), or a command-line option
// (line 0), or nowhere (a default).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  bool known() const { return !file.empty(); }
  std::string to_string() const {
    if (file.empty()) return "(default)";
    if (line <= 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

class InputError : public std::runtime_error {
 public:
  InputError(const SourceLocation& where, const std::string& message)
      : std::runtime_error(where.known() ? where.to_string() + ": " + message : message), where_(where) {}
  const SourceLocation& where() const { return where_; }

 private:
  SourceLocation where_;
};

}  // namespace recoverysim
