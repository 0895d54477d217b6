// Creating files and directories safely in shared directories: never through a symbolic link,
// never over another user's file, with the user's umask. A file or directory of ours left by
// a crash (a `.partial`) is ours to replace; anything else at the name is refused.
#pragma once

#include <cstdint>
#include <string>

namespace recoverysim {

// Before creating `path` exclusively: throws InputError naming `shown_as` when a symbolic link,
// something other than a regular file, or another user's file is there; removes a regular file
// of ours (what a crash left). The creation itself must then be exclusive (O_CREAT | O_EXCL,
// H5F_ACC_EXCL), so a link placed in between makes it fail instead of being followed.
void make_way_for_file(const std::string& path, const std::string& shown_as);
// The same checks without removing anything: for a command to refuse before it starts work.
void check_way_for_file(const std::string& path, const std::string& shown_as);

// Creates the directory `path` (its parents as needed) or accepts it when it is a directory of
// ours; throws InputError naming `shown_as` for a symbolic link, a file, or another user's
// directory there. Returns whether it was created.
bool create_own_directory(const std::string& path, const std::string& shown_as);

// Makes the closed file `from` durable (fsync) and gives it the name `to`, then makes the
// rename durable (fsync of the directory): after a crash, `to` is either absent or complete.
void durable_rename(const std::string& from, const std::string& to);

// Writes `text` to `path` through `path.partial`, durably as above.
void write_file_durably(const std::string& path, const std::string& text);

// A 64-bit checksum of a file's bytes, to tell a file from a damaged copy of it (not a
// cryptographic hash). Throws std::runtime_error when the file cannot be read.
std::uint64_t file_checksum(const std::string& path);
// Stores the checksum of `file` in `checksum_path` (durably, as 16 hexadecimal digits).
void write_checksum(const std::string& file, const std::string& checksum_path);
// Whether `file` still has the checksum stored in `checksum_path`; otherwise says why in `why`
// (the file or the checksum unreadable, or a different checksum).
bool checksum_matches(const std::string& file, const std::string& checksum_path, std::string& why);

// Test-only fault injection (docs/testing.md): when the environment variable
// RECOVERYSIM_FAULT names `point`, the process kills itself there with SIGKILL, as a node
// failure or a scheduler's kill would. "point:K" kills at the K-th time the point is reached.
void fault_point(const char* point);

}  // namespace recoverysim
