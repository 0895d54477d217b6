// HDF5 C API calls behind the RAII types of h5.hpp.
#include "h5.hpp"

#include <algorithm>
#include <string_view>

namespace recoverysim::h5 {

namespace {

void quiet_errors() {
  static const bool done = [] {
    // HDF5 1.10 closes the files still open when the program exits, and crashes on one whose
    // close has failed (a full disk). Ours are all closed by their owners; a file left open
    // is one that failed, and is removed.
    H5dont_atexit();
    // Our exceptions say what failed; HDF5's stack dumps on stderr would only confuse users.
    return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
  }();
  (void)done;
}

// The operating system's reason for the failure just reported, as HDF5's file driver recorded
// it ("No space left on device", "File too large"), or nothing.
std::string system_reason() {
  std::string reason;
  const auto find = [](unsigned, const H5E_error2_t* error, void* out) -> herr_t {
    auto& found = *static_cast<std::string*>(out);
    const std::string_view description = error->desc ? error->desc : "";
    const std::string_view marker = "error message = '";
    const auto start = description.find(marker);
    if (found.empty() && start != std::string_view::npos) {
      const auto from = start + marker.size();
      found = description.substr(from, description.find('\'', from) - from);
    }
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, find, &reason);
  return reason.empty() ? reason : ": " + reason;
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw Error("HDF5: " + what + system_reason());
}

hid_t checked(hid_t id, const std::string& what) {
  if (id < 0) throw Error("HDF5: " + what + system_reason());
  return id;
}

Handle variable_string_type() {
  Handle type(checked(H5Tcopy(H5T_C_S1), "string type"), H5Tclose);
  check(H5Tset_size(type.id(), H5T_VARIABLE), "string type");
  check(H5Tset_cset(type.id(), H5T_CSET_UTF8), "string type");
  return type;
}

// An attribute read as one value (a string, an integer, a real) must hold exactly one: HDF5
// would write every element of a list into the single value's memory.
void check_single_value(hid_t attr, const std::string& what) {
  Handle space(checked(H5Aget_space(attr), what), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.id());
  if (n != 1) throw Error("HDF5: " + what + ": " + std::to_string(n) + " values, expected one");
}

void write_string_attribute(hid_t object, const std::string& object_path, const std::string& name,
                            const std::vector<std::string>& values, bool scalar) {
  const std::string what = "attribute '" + name + "' of " + object_path;
  Handle type = variable_string_type();
  const hsize_t n = values.size();
  Handle space(checked(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), what), H5Sclose);
  if (H5Aexists(object, name.c_str()) > 0) check(H5Adelete(object, name.c_str()), what);
  Handle attr(checked(H5Acreate2(object, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), what),
              H5Aclose);
  std::vector<const char*> pointers;
  for (const auto& v : values) pointers.push_back(v.c_str());
  check(H5Awrite(attr.id(), type.id(), pointers.data()), what);
}

}  // namespace

std::vector<hsize_t> Dataset::dims() const {
  Handle space(checked(H5Dget_space(id()), "dataspace of " + path_), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  std::vector<hsize_t> d(static_cast<std::size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space.id(), d.data(), nullptr);
  return d;
}

void Dataset::write_raw(const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count, const void* data,
                        std::size_t n, hid_t mem_type) {
  const std::string what = "writing " + path_;
  if (offset.empty()) {
    check(H5Dwrite(id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), what);
    return;
  }
  std::size_t expected = 1;
  for (hsize_t c : count) expected *= c;
  if (expected != n) throw Error("HDF5: " + what + ": block size does not match the data");
  Handle file_space(checked(H5Dget_space(id()), what), H5Sclose);
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr), what);
  Handle mem_space(checked(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), what), H5Sclose);
  check(H5Dwrite(id(), mem_type, mem_space.id(), file_space.id(), H5P_DEFAULT, data), what);
}

std::vector<std::uint8_t> Dataset::read_rows_raw(hsize_t first_row, hsize_t count) const {
  const std::string what = "reading rows of " + path_;
  std::vector<hsize_t> offset = dims(), block = dims();
  if (block.empty()) throw Error("HDF5: " + what + ": a scalar dataset has no rows");
  std::fill(offset.begin(), offset.end(), 0);
  offset[0] = first_row;
  block[0] = count;
  Handle type(checked(H5Dget_type(id()), what), H5Tclose);
  std::size_t bytes = H5Tget_size(type.id());
  for (hsize_t b : block) bytes *= b;
  std::vector<std::uint8_t> out(bytes);
  Handle file_space(checked(H5Dget_space(id()), what), H5Sclose);
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, offset.data(), nullptr, block.data(), nullptr), what);
  Handle mem_space(checked(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr), what), H5Sclose);
  check(H5Dread(id(), type.id(), mem_space.id(), file_space.id(), H5P_DEFAULT, out.data()), what);
  return out;
}

void Dataset::read_rows_converted(hsize_t first_row, hsize_t count, void* data, hid_t mem_type) const {
  const std::string what = "reading rows of " + path_;
  std::vector<hsize_t> offset = dims(), block = dims();
  if (block.empty()) throw Error("HDF5: " + what + ": a scalar dataset has no rows");
  if (first_row + count > block[0]) throw Error("HDF5: " + what + ": rows past the end");
  std::fill(offset.begin(), offset.end(), 0);
  offset[0] = first_row;
  block[0] = count;
  Handle file_space(checked(H5Dget_space(id()), what), H5Sclose);
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, offset.data(), nullptr, block.data(), nullptr), what);
  Handle mem_space(checked(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr), what), H5Sclose);
  check(H5Dread(id(), mem_type, mem_space.id(), file_space.id(), H5P_DEFAULT, data), what);
}

bool Dataset::has_attribute(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

std::string Dataset::type_name() const {
  Handle type(checked(H5Dget_type(id()), "reading the type of " + path_), H5Tclose);
  const std::string bits = std::to_string(8 * H5Tget_size(type.id()));
  switch (H5Tget_class(type.id())) {
    case H5T_INTEGER: return (H5Tget_sign(type.id()) == H5T_SGN_NONE ? "uint" : "int") + bits;
    case H5T_FLOAT: return "float" + bits;
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    default: return "another type";
  }
}

bool Dataset::same_stored_type(const Dataset& other) const {
  const Handle a(checked(H5Dget_type(id()), "reading the type of " + path_), H5Tclose);
  const Handle b(checked(H5Dget_type(other.id()), "reading the type of " + other.path_), H5Tclose);
  return H5Tequal(a.id(), b.id()) > 0;
}

bool Dataset::is_single_precision() const {
  Handle type(checked(H5Dget_type(id()), "reading the type of " + path_), H5Tclose);
  return H5Tget_class(type.id()) == H5T_FLOAT && H5Tget_size(type.id()) == 4;
}

void Dataset::append_raw(const void* data, std::size_t n, hid_t mem_type) {
  const std::string what = "appending to " + path_;
  if (n == 0) return;
  const std::vector<hsize_t> size = dims();
  if (size.size() != 1) throw Error("HDF5: " + what + ": not a one-dimensional dataset");
  const hsize_t offset = size[0], count = n, grown = size[0] + n;
  check(H5Dset_extent(id(), &grown), what);
  Handle file_space(checked(H5Dget_space(id()), what), H5Sclose);
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, &offset, nullptr, &count, nullptr), what);
  Handle mem_space(checked(H5Screate_simple(1, &count, nullptr), what), H5Sclose);
  check(H5Dwrite(id(), mem_type, mem_space.id(), file_space.id(), H5P_DEFAULT, data), what);
}

void Dataset::read_range_raw(hsize_t first, hsize_t count, void* data, hid_t mem_type) const {
  const std::string what = "reading " + path_;
  const std::vector<hsize_t> size = dims();
  if (size.size() != 1 || first + count > size[0]) throw Error("HDF5: " + what + ": elements out of range");
  if (count == 0) return;
  Handle file_space(checked(H5Dget_space(id()), what), H5Sclose);
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, &first, nullptr, &count, nullptr), what);
  Handle mem_space(checked(H5Screate_simple(1, &count, nullptr), what), H5Sclose);
  check(H5Dread(id(), mem_type, mem_space.id(), file_space.id(), H5P_DEFAULT, data), what);
}

void Dataset::read_raw(void* data, hid_t mem_type) const {
  check(H5Dread(id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "reading " + path_);
}

void Dataset::set_attribute(const std::string& name, const std::string& value) {
  write_string_attribute(id(), path_, name, {value}, true);
}

void Dataset::set_attribute(const std::string& name, const std::vector<std::string>& values) {
  write_string_attribute(id(), path_, name, values, false);
}

Group Group::create_group(const std::string& name) {
  const std::string path = path_ == "/" ? "/" + name : path_ + "/" + name;
  Handle lcpl(checked(H5Pcreate(H5P_LINK_CREATE), "property list"), H5Pclose);
  check(H5Pset_create_intermediate_group(lcpl.id(), 1), "property list");
  return Group(Handle(checked(H5Gcreate2(id(), name.c_str(), lcpl.id(), H5P_DEFAULT, H5P_DEFAULT),
                              "creating group " + path),
                      H5Gclose),
               path);
}

Group Group::open_group(const std::string& name) const {
  const std::string path = path_ == "/" ? "/" + name : path_ + "/" + name;
  return Group(Handle(checked(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), "opening group " + path), H5Gclose), path);
}

bool Group::exists(const std::string& name) const {
  // H5Lexists needs every intermediate link to exist: check the path one part at a time.
  std::string prefix;
  for (std::size_t start = 0; start <= name.size();) {
    const auto slash = std::min(name.find('/', start), name.size());
    prefix = name.substr(0, slash);
    if (H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    start = slash + 1;
  }
  return true;
}

bool Group::has_attribute(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

Dataset Group::create_dataset_raw(const std::string& name, const std::vector<hsize_t>& dims, hid_t type,
                                  const DatasetOptions& options) {
  const std::string path = path_ == "/" ? "/" + name : path_ + "/" + name;
  const std::string what = "creating dataset " + path;
  Handle space(checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), what), H5Sclose);
  Handle dcpl(checked(H5Pcreate(H5P_DATASET_CREATE), what), H5Pclose);
  if (!options.chunk.empty()) {
    check(H5Pset_chunk(dcpl.id(), static_cast<int>(options.chunk.size()), options.chunk.data()), what);
    if (options.deflate_level > 0) {
      check(H5Pset_shuffle(dcpl.id()), what);
      check(H5Pset_deflate(dcpl.id(), static_cast<unsigned>(options.deflate_level)), what);
    }
  }
  // Unwritten elements read back as zero; every dataset is written in full before renaming.
  Handle lcpl(checked(H5Pcreate(H5P_LINK_CREATE), what), H5Pclose);
  check(H5Pset_create_intermediate_group(lcpl.id(), 1), what);
  return Dataset(Handle(checked(H5Dcreate2(id(), name.c_str(), type, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
                                what),
                        H5Dclose),
                 path);
}

Dataset Group::create_appendable_raw(const std::string& name, hid_t type, hsize_t chunk, int deflate_level) {
  const std::string path = path_ == "/" ? "/" + name : path_ + "/" + name;
  const std::string what = "creating dataset " + path;
  const hsize_t empty = 0, unlimited = H5S_UNLIMITED;
  Handle space(checked(H5Screate_simple(1, &empty, &unlimited), what), H5Sclose);
  Handle dcpl(checked(H5Pcreate(H5P_DATASET_CREATE), what), H5Pclose);
  check(H5Pset_chunk(dcpl.id(), 1, &chunk), what);
  if (deflate_level > 0) {
    check(H5Pset_shuffle(dcpl.id()), what);
    check(H5Pset_deflate(dcpl.id(), static_cast<unsigned>(deflate_level)), what);
  }
  Handle lcpl(checked(H5Pcreate(H5P_LINK_CREATE), what), H5Pclose);
  check(H5Pset_create_intermediate_group(lcpl.id(), 1), what);
  return Dataset(Handle(checked(H5Dcreate2(id(), name.c_str(), type, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT),
                                what),
                        H5Dclose),
                 path);
}

Dataset Group::create_dataset_like(const std::string& name, const Dataset& model, hsize_t rows) {
  const std::string path = path_ == "/" ? "/" + name : path_ + "/" + name;
  const std::string what = "creating dataset " + path + " like " + model.path();
  std::vector<hsize_t> dims = model.dims();
  if (dims.empty()) throw Error("HDF5: " + what + ": a scalar dataset has no rows");
  dims[0] = rows;
  Handle type(checked(H5Dget_type(model.id()), what), H5Tclose);
  Handle dcpl(checked(H5Dget_create_plist(model.id()), what), H5Pclose);
  Handle space(checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), what), H5Sclose);
  Handle lcpl(checked(H5Pcreate(H5P_LINK_CREATE), what), H5Pclose);
  check(H5Pset_create_intermediate_group(lcpl.id(), 1), what);
  Dataset created(
      Handle(checked(H5Dcreate2(id(), name.c_str(), type.id(), space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT), what),
             H5Dclose),
      path);
  // Attributes, whatever their type: read and written in the stored type, variable-length
  // strings reclaimed after.
  const auto n = H5Aget_num_attrs(model.id());
  for (int i = 0; i < n; ++i) {
    Handle attr(checked(H5Aopen_by_idx(model.id(), ".", H5_INDEX_NAME, H5_ITER_INC, static_cast<hsize_t>(i),
                                       H5P_DEFAULT, H5P_DEFAULT),
                        what),
                H5Aclose);
    char attr_name[256];
    check(H5Aget_name(attr.id(), sizeof attr_name, attr_name) < 0 ? -1 : 0, what);
    Handle attr_type(checked(H5Aget_type(attr.id()), what), H5Tclose);
    Handle attr_space(checked(H5Aget_space(attr.id()), what), H5Sclose);
    const auto points = static_cast<std::size_t>(std::max<hssize_t>(H5Sget_simple_extent_npoints(attr_space.id()), 0));
    std::vector<std::uint8_t> buffer(points * H5Tget_size(attr_type.id()));
    check(H5Aread(attr.id(), attr_type.id(), buffer.data()), what);
    Handle copy(checked(H5Acreate2(created.id(), attr_name, attr_type.id(), attr_space.id(), H5P_DEFAULT, H5P_DEFAULT),
                        what),
                H5Aclose);
    const herr_t written = H5Awrite(copy.id(), attr_type.id(), buffer.data());
    if (H5Tdetect_class(attr_type.id(), H5T_VLEN) > 0 || H5Tis_variable_str(attr_type.id()) > 0)
      H5Dvlen_reclaim(attr_type.id(), attr_space.id(), H5P_DEFAULT, buffer.data());
    check(written, what);
  }
  return created;
}

std::vector<std::pair<std::string, bool>> Group::members() const {
  std::vector<std::pair<std::string, bool>> out;
  auto visit = [](hid_t group, const char* name, const H5L_info_t*, void* data) -> herr_t {
    H5O_info_t info;
    if (H5Oget_info_by_name2(group, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
    static_cast<std::vector<std::pair<std::string, bool>>*>(data)->emplace_back(name, info.type == H5O_TYPE_GROUP);
    return 0;
  };
  hsize_t index = 0;
  check(H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, &index, visit, &out), "listing " + path_);
  return out;
}

Dataset Group::open_dataset(const std::string& name) const {
  const std::string path = path_ == "/" ? "/" + name : path_ + "/" + name;
  return Dataset(Handle(checked(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "opening dataset " + path), H5Dclose), path);
}

void Group::set_attribute(const std::string& name, const std::string& value) {
  write_string_attribute(id(), path_, name, {value}, true);
}

void Group::set_attribute(const std::string& name, std::int64_t value) {
  const std::string what = "attribute '" + name + "' of " + path_;
  Handle space(checked(H5Screate(H5S_SCALAR), what), H5Sclose);
  if (H5Aexists(id(), name.c_str()) > 0) check(H5Adelete(id(), name.c_str()), what);
  Handle attr(checked(H5Acreate2(id(), name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), what),
              H5Aclose);
  check(H5Awrite(attr.id(), H5T_NATIVE_INT64, &value), what);
}

void Group::set_attribute(const std::string& name, double value) {
  const std::string what = "attribute '" + name + "' of " + path_;
  Handle space(checked(H5Screate(H5S_SCALAR), what), H5Sclose);
  if (H5Aexists(id(), name.c_str()) > 0) check(H5Adelete(id(), name.c_str()), what);
  Handle attr(checked(H5Acreate2(id(), name.c_str(), H5T_IEEE_F64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), what),
              H5Aclose);
  check(H5Awrite(attr.id(), H5T_NATIVE_DOUBLE, &value), what);
}

double Group::real_attribute(const std::string& name) const {
  const std::string what = "reading attribute '" + name + "' of " + path_;
  Handle attr(checked(H5Aopen(id(), name.c_str(), H5P_DEFAULT), what), H5Aclose);
  check_single_value(attr.id(), what);
  double value = 0;
  check(H5Aread(attr.id(), H5T_NATIVE_DOUBLE, &value), what);
  return value;
}

void Group::set_attribute(const std::string& name, const std::vector<std::string>& values) {
  write_string_attribute(id(), path_, name, values, false);
}

std::string Group::string_attribute(const std::string& name) const {
  const std::string what = "reading attribute '" + name + "' of " + path_;
  Handle attr(checked(H5Aopen(id(), name.c_str(), H5P_DEFAULT), what), H5Aclose);
  check_single_value(attr.id(), what);
  Handle type = variable_string_type();
  char* value = nullptr;
  check(H5Aread(attr.id(), type.id(), &value), what);
  std::string out = value ? value : "";
  H5free_memory(value);
  return out;
}

namespace {
std::vector<std::string> read_string_list_attribute(hid_t object, const std::string& path, const std::string& name);
}  // namespace

std::vector<std::string> Group::string_list_attribute(const std::string& name) const {
  return read_string_list_attribute(id(), path_, name);
}

std::vector<std::string> Dataset::string_list_attribute(const std::string& name) const {
  return read_string_list_attribute(id(), path_, name);
}

namespace {

std::vector<std::string> read_string_list_attribute(hid_t object, const std::string& path, const std::string& name) {
  const std::string what = "reading attribute '" + name + "' of " + path;
  Handle attr(checked(H5Aopen(object, name.c_str(), H5P_DEFAULT), what), H5Aclose);
  Handle space(checked(H5Aget_space(attr.id()), what), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.id());
  if (n < 0) throw Error("HDF5: " + what);
  Handle type = variable_string_type();
  std::vector<char*> values(static_cast<std::size_t>(n), nullptr);
  check(H5Aread(attr.id(), type.id(), values.data()), what);
  std::vector<std::string> out;
  for (char* v : values) out.emplace_back(v ? v : "");
  H5Dvlen_reclaim(type.id(), space.id(), H5P_DEFAULT, values.data());
  return out;
}

}  // namespace

std::int64_t Group::integer_attribute(const std::string& name) const {
  const std::string what = "reading attribute '" + name + "' of " + path_;
  Handle attr(checked(H5Aopen(id(), name.c_str(), H5P_DEFAULT), what), H5Aclose);
  check_single_value(attr.id(), what);
  std::int64_t value = 0;
  check(H5Aread(attr.id(), H5T_NATIVE_INT64, &value), what);
  return value;
}

namespace {

// The chunk shape of a chunked dataset; empty for other layouts.
std::vector<hsize_t> chunk_shape(const Dataset& dataset) {
  Handle dcpl(checked(H5Dget_create_plist(dataset.id()), "layout of " + dataset.path()), H5Pclose);
  if (H5Pget_layout(dcpl.id()) != H5D_CHUNKED) return {};
  std::vector<hsize_t> chunk(dataset.dims().size());
  check(H5Pget_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data()) < 0 ? -1 : 0,
        "chunks of " + dataset.path());
  return chunk;
}

}  // namespace

void copy_object(const Group& from, const std::string& name, Group& to, const std::string& new_name) {
  check(H5Ocopy(from.id(), name.c_str(), to.id(), new_name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
        "copying " + name + " to " + new_name);
}

std::string file_name(hid_t object) {
  const ssize_t length = H5Fget_name(object, nullptr, 0);
  if (length <= 0) return "(unknown file)";
  std::string name(static_cast<std::size_t>(length) + 1, '\0');
  H5Fget_name(object, name.data(), name.size());
  name.resize(static_cast<std::size_t>(length));
  return name;
}

void copy_rows(const Dataset& from, hsize_t from_row, Dataset& to, hsize_t to_row, hsize_t rows) {
  const std::string what = "copying rows of " + from.path() + " to " + to.path();
  const std::vector<hsize_t> dims = from.dims(), to_dims = to.dims();
  if (dims.empty() || dims.size() != to_dims.size() || !std::equal(dims.begin() + 1, dims.end(), to_dims.begin() + 1) ||
      from_row + rows > dims[0] || to_row + rows > to_dims[0])
    throw Error("HDF5: " + what + ": shapes do not match");
  {
    // Chunks are copied as stored: the stored types must be the same.
    const Handle a(checked(H5Dget_type(from.id()), what), H5Tclose), b(checked(H5Dget_type(to.id()), what), H5Tclose);
    if (H5Tequal(a.id(), b.id()) <= 0) throw Error("HDF5: " + what + ": stored types differ");
  }
  const std::vector<hsize_t> chunk = chunk_shape(from);
  if (!chunk.empty() && chunk[0] == 1 && chunk == chunk_shape(to)) {
    // Every chunk of each row, in order: the last index fastest.
    std::vector<hsize_t> at(dims.size(), 0);
    std::vector<std::uint8_t> buffer;
    for (hsize_t r = 0; r < rows; ++r) {
      std::fill(at.begin(), at.end(), 0);
      for (;;) {
        at[0] = from_row + r;
        unsigned mask = 0;
        haddr_t address = HADDR_UNDEF;
        hsize_t size = 0;
        check(H5Dget_chunk_info_by_coord(from.id(), at.data(), &mask, &address, &size), what);
        if (address != HADDR_UNDEF && size > 0) {
          buffer.resize(size);
          std::uint32_t filters = 0;
          check(H5Dread_chunk(from.id(), H5P_DEFAULT, at.data(), &filters, buffer.data()), what);
          at[0] = to_row + r;
          check(H5Dwrite_chunk(to.id(), H5P_DEFAULT, filters, at.data(), buffer.size(), buffer.data()), what);
        }
        std::size_t d = dims.size() - 1;
        for (; d >= 1; --d) {
          at[d] += chunk[d];
          if (at[d] < dims[d]) break;
          at[d] = 0;
        }
        if (d == 0) break;
      }
    }
    return;
  }
  const std::vector<std::uint8_t> data = from.read_rows_raw(from_row, rows);
  std::vector<hsize_t> offset(dims.size(), 0), block = dims;
  offset[0] = to_row;
  block[0] = rows;
  Handle type(checked(H5Dget_type(from.id()), what), H5Tclose);
  Handle file_space(checked(H5Dget_space(to.id()), what), H5Sclose);
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, offset.data(), nullptr, block.data(), nullptr), what);
  Handle mem_space(checked(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr), what), H5Sclose);
  check(H5Dwrite(to.id(), type.id(), mem_space.id(), file_space.id(), H5P_DEFAULT, data.data()), what);
}

File File::create(const std::string& path) {
  quiet_errors();
  File f;
  f.path_ = path;
  // Exclusive: an existing file, or a symbolic link placed at the name, makes this fail rather
  // than be overwritten or followed (O_CREAT | O_EXCL).
  f.file_ =
      Handle(checked(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), "cannot create '" + path + "'"),
             H5Fclose);
  f.root_ = Group(Handle(checked(H5Gopen2(f.file_.id(), "/", H5P_DEFAULT), "root group"), H5Gclose), "/");
  return f;
}

File File::open_read_only(const std::string& path) {
  quiet_errors();
  File f;
  f.path_ = path;
  f.file_ = Handle(checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open '" + path + "'"), H5Fclose);
  f.root_ = Group(Handle(checked(H5Gopen2(f.file_.id(), "/", H5P_DEFAULT), "root group"), H5Gclose), "/");
  return f;
}

void File::close() {
  root_ = Group();
  if (file_) {
    check(H5Fflush(file_.id(), H5F_SCOPE_GLOBAL), "flushing '" + path_ + "'");
    check(H5Fclose(file_.release()), "closing '" + path_ + "'");
  }
}

}  // namespace recoverysim::h5
