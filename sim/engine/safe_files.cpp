// Safe creation of files and directories (see safe_files.hpp).
#include "safe_files.hpp"

#include "errors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace recoverysim {

namespace {

// What is at `path` without following a link: 0 when nothing.
bool look(const std::string& path, struct stat& st) {
  if (lstat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  throw InputError({path, 0, 0}, std::string("cannot inspect: ") + std::strerror(errno));
}

std::string not_ours(const std::string& path, const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return path + " is a symbolic link: refusing to follow it (remove it, or choose another -o)";
  if (st.st_uid != geteuid())
    return path + " belongs to another user (uid " + std::to_string(st.st_uid) + "): refusing to replace it";
  return {};
}

}  // namespace

void check_way_for_file(const std::string& path, const std::string& shown_as) {
  struct stat st {};
  if (!look(path, st)) return;
  if (const std::string why = not_ours(path, st); !why.empty()) throw InputError({shown_as, 0, 0}, why);
  if (!S_ISREG(st.st_mode)) throw InputError({shown_as, 0, 0}, path + " is in the way and is not a file: remove it");
}

void make_way_for_file(const std::string& path, const std::string& shown_as) {
  struct stat st {};
  if (!look(path, st)) return;
  check_way_for_file(path, shown_as);
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    throw InputError({shown_as, 0, 0}, "cannot remove the stale " + path + ": " + std::strerror(errno));
}

bool create_own_directory(const std::string& path, const std::string& shown_as) {
  const std::filesystem::path dir(path);
  if (dir.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(dir.parent_path(), ec);
  }
  if (mkdir(path.c_str(), 0777) == 0) return true;  // the umask applies
  const int error = errno;
  struct stat st {};
  if (error != EEXIST || !look(path, st))
    throw InputError({shown_as, 0, 0},
                     "cannot create " + path + " (where the run keeps its finished work): " + std::strerror(error));
  if (const std::string why = not_ours(path, st); !why.empty()) throw InputError({shown_as, 0, 0}, why);
  if (!S_ISDIR(st.st_mode))
    throw InputError({shown_as, 0, 0}, path + " is in the way and is not a directory: remove it");
  return false;
}

namespace {

// fsync(2) of a file or a directory; file systems that cannot sync a directory are let be.
void sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + " to make it durable: " + std::strerror(errno));
  int status = 0;
  while ((status = ::fsync(fd)) != 0 && errno == EINTR) {
  }
  const int error = errno;
  ::close(fd);
  if (status != 0 && !(directory && (error == EINVAL || error == EROFS)))
    throw std::runtime_error("cannot write " + path + " to disk: " + std::strerror(error));
}

std::string directory_of(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

void durable_rename(const std::string& from, const std::string& to) {
  sync_path(from, false);
  std::filesystem::rename(from, to);
  sync_path(directory_of(to), true);
}

void write_file_durably(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".partial";
  make_way_for_file(temporary, path);
  {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary);
  }
  durable_rename(temporary, path);
}

std::uint64_t file_checksum(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  // Words of 8 bytes, each multiplied, rotated and mixed in; the tail and the length last.
  constexpr std::uint64_t k1 = 0x9E3779B97F4A7C15ull, k2 = 0xC2B2AE3D27D4EB4Full;
  const auto mix = [](std::uint64_t h, std::uint64_t w) {
    w *= k1;
    w = (w << 31) | (w >> 33);
    h ^= w * k2;
    return ((h << 27) | (h >> 37)) * 5 + 0x52DCE729;
  };
  std::uint64_t h = k2, length = 0;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    length += n;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, buffer.data() + i, 8);
      h = mix(h, w);
    }
    if (i < n) {
      std::uint64_t w = 0;
      std::memcpy(&w, buffer.data() + i, n - i);
      h = mix(h, w ^ (static_cast<std::uint64_t>(n - i) << 56));
    }
  }
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  h = mix(h, length);
  h ^= h >> 33;
  h *= k2;
  return h ^ (h >> 29);
}

void write_checksum(const std::string& file, const std::string& checksum_path) {
  char text[32];
  std::snprintf(text, sizeof text, "%016llx\n", static_cast<unsigned long long>(file_checksum(file)));
  write_file_durably(checksum_path, text);
}

bool checksum_matches(const std::string& file, const std::string& checksum_path, std::string& why) {
  std::ifstream in(checksum_path);
  std::string stored;
  if (!(in >> stored) || stored.size() != 16) {
    why = "its checksum (" + std::filesystem::path(checksum_path).filename().string() + ") is missing or unreadable";
    return false;
  }
  char text[32];
  try {
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(file_checksum(file)));
  } catch (const std::runtime_error&) {
    why = "it cannot be read";
    return false;
  }
  if (stored != text) {
    why = "its contents differ from those written (checksum " + std::string(text) + ", stored " + stored + ")";
    return false;
  }
  return true;
}

void fault_point(const char* point) {
  static const char* const wanted = std::getenv("RECOVERYSIM_FAULT");
  if (!wanted || !*wanted) return;
  const std::string spec(wanted);
  const auto colon = spec.find(':');
  if (spec.substr(0, colon) != point) return;
  static std::atomic<long> reached{0};
  const long at = colon == std::string::npos ? 1 : std::atol(spec.c_str() + colon + 1);
  if (++reached == at) std::raise(SIGKILL);
}

}  // namespace recoverysim
