// Errors about user input (scenario files, --set values, output paths). They carry the place
// in the input they are about, and the CLI turns them into exit code 2.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

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

// Several input errors found in one pass (every key of a scenario), reported together: one
// line each, at most `shown` of them.
class InputErrors : public InputError {
 public:
  static constexpr std::size_t shown = 20;
  explicit InputErrors(std::vector<InputError> errors)
      : InputError(common_file(errors), message_of(errors)), errors_(std::move(errors)) {}
  const std::vector<InputError>& errors() const { return errors_; }

 private:
  // The file every error is in, if they share one: the place the whole report names.
  static SourceLocation common_file(const std::vector<InputError>& errors) {
    for (const auto& e : errors)
      if (e.where().file != errors.front().where().file) return {};
    return {errors.front().where().file, 0, 0};
  }
  static std::string message_of(const std::vector<InputError>& errors) {
    std::string m = std::to_string(errors.size()) + " problems in the input:";
    for (std::size_t k = 0; k < errors.size() && k < shown; ++k) m += std::string("\n  ") + errors[k].what();
    if (errors.size() > shown) m += "\n  ... and " + std::to_string(errors.size() - shown) + " more";
    return m;
  }
  std::vector<InputError> errors_;
};

// Collects input errors instead of stopping at the first.
class ErrorList {
 public:
  void add(const InputError& e) {
    if (const auto* many = dynamic_cast<const InputErrors*>(&e))
      errors_.insert(errors_.end(), many->errors().begin(), many->errors().end());
    else errors_.push_back(e);
  }
  // Runs `f`, keeping the input error it throws (if any).
  template <class F>
  void collect(F&& f) {
    try {
      f();
    } catch (const InputError& e) {
      add(e);
    }
  }
  bool empty() const { return errors_.empty(); }
  // One error is thrown as it is, several as InputErrors in the order of their places.
  void throw_if_any() const {
    if (errors_.size() == 1) throw errors_.front();
    if (errors_.size() > 1) {
      std::vector<InputError> sorted = errors_;
      std::stable_sort(sorted.begin(), sorted.end(), [](const InputError& a, const InputError& b) {
        return std::tie(a.where().file, a.where().line, a.where().column) <
               std::tie(b.where().file, b.where().line, b.where().column);
      });
      throw InputErrors(std::move(sorted));
    }
  }

 private:
  std::vector<InputError> errors_;
};

}  // namespace recoverysim
