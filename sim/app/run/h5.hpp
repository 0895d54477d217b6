// A thin RAII layer over the HDF5 C API: files, groups, datasets written by hyperslab, and
// attributes. Errors become exceptions naming the file and object; HDF5's own error stack
// printing is switched off.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace recoverysim::h5 {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      closer_ = other.closer_;
      other.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  ~Handle() { reset(); }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t id() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  // Gives up ownership without closing.
  hid_t release() {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// The stored (file) type and the in-memory type of each element type we write.
template <class T>
hid_t file_type();
template <class T>
hid_t memory_type();

// clang-format off
template <> inline hid_t file_type<std::int8_t>() { return H5T_STD_I8LE; }
template <> inline hid_t file_type<std::uint8_t>() { return H5T_STD_U8LE; }
template <> inline hid_t file_type<std::int16_t>() { return H5T_STD_I16LE; }
template <> inline hid_t file_type<std::uint16_t>() { return H5T_STD_U16LE; }
template <> inline hid_t file_type<std::int32_t>() { return H5T_STD_I32LE; }
template <> inline hid_t file_type<std::int64_t>() { return H5T_STD_I64LE; }
template <> inline hid_t file_type<float>() { return H5T_IEEE_F32LE; }
template <> inline hid_t file_type<double>() { return H5T_IEEE_F64LE; }
template <> inline hid_t memory_type<std::int8_t>() { return H5T_NATIVE_INT8; }
template <> inline hid_t memory_type<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <> inline hid_t memory_type<std::int16_t>() { return H5T_NATIVE_INT16; }
template <> inline hid_t memory_type<std::uint16_t>() { return H5T_NATIVE_UINT16; }
template <> inline hid_t memory_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> inline hid_t memory_type<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> inline hid_t memory_type<float>() { return H5T_NATIVE_FLOAT; }
template <> inline hid_t memory_type<double>() { return H5T_NATIVE_DOUBLE; }
// clang-format on

struct DatasetOptions {
  std::vector<hsize_t> chunk;  // empty: contiguous
  int deflate_level = 0;       // 0: no compression (shuffle is added with compression)
};

class Dataset {
 public:
  Dataset() = default;
  Dataset(Handle handle, std::string path) : handle_(std::move(handle)), path_(std::move(path)) {}
  hid_t id() const { return handle_.id(); }
  const std::string& path() const { return path_; }

  // Writes `data` (row-major) into the block at `offset` of shape `count`.
  template <class T>
  void write_block(const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count, std::span<const T> data) {
    write_raw(offset, count, data.data(), data.size(), memory_type<T>());
  }
  template <class T>
  void write_all(std::span<const T> data) {
    write_raw({}, {}, data.data(), data.size(), memory_type<T>());
  }

  // Appends `data` to a one-dimensional dataset made with Group::create_appendable.
  template <class T>
  void append(std::span<const T> data) {
    append_raw(data.data(), data.size(), memory_type<T>());
  }
  // Elements [first, first + count) of a one-dimensional dataset.
  template <class T>
  std::vector<T> read_range(hsize_t first, hsize_t count) const {
    std::vector<T> out(count);
    read_range_raw(first, count, out.data(), memory_type<T>());
    return out;
  }

  std::vector<hsize_t> dims() const;
  template <class T>
  std::vector<T> read_all() const {
    std::size_t n = 1;
    for (hsize_t d : dims()) n *= d;
    std::vector<T> out(n);
    read_raw(out.data(), memory_type<T>());
    return out;
  }

  void set_attribute(const std::string& name, const std::string& value);
  void set_attribute(const std::string& name, const std::vector<std::string>& values);
  std::vector<std::string> string_list_attribute(const std::string& name) const;

  bool has_attribute(const std::string& name) const;
  // Stored as a 32-bit float (shown with the digits a float holds, not a double's).
  bool is_single_precision() const;
  // The stored type in words: "int8", "uint16", "float32", "float64", "string", ... (for
  // checks and messages).
  std::string type_name() const;
  // The same stored type as `other`, byte order included (what copy_rows needs).
  bool same_stored_type(const Dataset& other) const;

  // Reads `count` rows (indices along the first dimension) from `first_row` as bytes of the
  // stored type.
  std::vector<std::uint8_t> read_rows_raw(hsize_t first_row, hsize_t count) const;
  // The same rows converted to T (HDF5 converts any numeric type).
  template <class T>
  std::vector<T> read_rows(hsize_t first_row, hsize_t count) const {
    std::size_t n = count;
    const auto size = dims();
    for (std::size_t k = 1; k < size.size(); ++k) n *= size[k];
    std::vector<T> out(n);
    read_rows_converted(first_row, count, out.data(), memory_type<T>());
    return out;
  }

 private:
  void write_raw(const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count, const void* data, std::size_t n,
                 hid_t mem_type);
  void read_raw(void* data, hid_t mem_type) const;
  void append_raw(const void* data, std::size_t n, hid_t mem_type);
  void read_range_raw(hsize_t first, hsize_t count, void* data, hid_t mem_type) const;
  void read_rows_converted(hsize_t first_row, hsize_t count, void* data, hid_t mem_type) const;
  Handle handle_;
  std::string path_;
};

// A group or the file's root group: holds datasets, subgroups and attributes.
class Group {
 public:
  Group() = default;
  Group(Handle handle, std::string path) : handle_(std::move(handle)), path_(std::move(path)) {}
  hid_t id() const { return handle_.id(); }

  Group create_group(const std::string& name);
  Group open_group(const std::string& name) const;
  bool exists(const std::string& name) const;
  bool has_attribute(const std::string& name) const;

  template <class T>
  Dataset create_dataset(const std::string& name, const std::vector<hsize_t>& dims,
                         const DatasetOptions& options = {}) {
    return create_dataset_raw(name, dims, file_type<T>(), options);
  }
  // A one-dimensional dataset that starts empty and grows by Dataset::append, in chunks of
  // `chunk` elements compressed at `deflate_level` (with shuffle).
  template <class T>
  Dataset create_appendable(const std::string& name, hsize_t chunk, int deflate_level) {
    return create_appendable_raw(name, file_type<T>(), chunk, deflate_level);
  }
  Dataset open_dataset(const std::string& name) const;
  // A dataset shaped like `model` but with `rows` rows: same stored type, chunks, filters and
  // attributes.
  Dataset create_dataset_like(const std::string& name, const Dataset& model, hsize_t rows);

  // The group's members by name, each with whether it is a group (else a dataset).
  std::vector<std::pair<std::string, bool>> members() const;

  void set_attribute(const std::string& name, const std::string& value);
  void set_attribute(const std::string& name, std::int64_t value);
  void set_attribute(const std::string& name, double value);
  void set_attribute(const std::string& name, const std::vector<std::string>& values);
  std::string string_attribute(const std::string& name) const;
  double real_attribute(const std::string& name) const;
  std::vector<std::string> string_list_attribute(const std::string& name) const;
  std::int64_t integer_attribute(const std::string& name) const;

 private:
  Dataset create_dataset_raw(const std::string& name, const std::vector<hsize_t>& dims, hid_t type,
                             const DatasetOptions& options);
  Dataset create_appendable_raw(const std::string& name, hid_t type, hsize_t chunk, int deflate_level);
  Handle handle_;
  std::string path_;
};

// The name of the file an object (a group, a dataset) is in, as it was opened, for messages.
std::string file_name(hid_t object);

// Copies rows [from_row, from_row + rows) of `from` to rows starting at `to_row` of `to`, a
// dataset created like it. Chunks of one row are copied as stored, still compressed; other
// layouts go through memory.
void copy_rows(const Dataset& from, hsize_t from_row, Dataset& to, hsize_t to_row, hsize_t rows);

// Copies the group or dataset `name` of `from`, with everything under it, to `to` as
// `new_name` (H5Ocopy: chunks are copied as stored, still compressed).
void copy_object(const Group& from, const std::string& name, Group& to, const std::string& new_name);

class File {
 public:
  // Creates a new file for writing; fails if anything is at the name (see safe_files.hpp).
  static File create(const std::string& path);
  static File open_read_only(const std::string& path);

  Group& root() { return root_; }
  const Group& root() const { return root_; }
  const std::string& path() const { return path_; }
  // Flushes and closes; errors on close (e.g. a full disk) are reported here.
  void close();

 private:
  Handle file_;
  Group root_;
  std::string path_;
};

}  // namespace recoverysim::h5
