// HDF5 C API calls behind the RAII types of h5.hpp.
#include "h5.hpp"

#include <algorithm>

namespace recoverysim::h5 {

namespace {

void quiet_errors() {
  // Our exceptions say what failed; HDF5's stack dumps on stderr would only confuse users.
  static const bool done = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)done;
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw Error("HDF5: " + what);
}

hid_t checked(hid_t id, const std::string& what) {
  if (id < 0) throw Error("HDF5: " + what);
  return id;
}

Handle variable_string_type() {
  Handle type(checked(H5Tcopy(H5T_C_S1), "string type"), H5Tclose);
  check(H5Tset_size(type.id(), H5T_VARIABLE), "string type");
  check(H5Tset_cset(type.id(), H5T_CSET_UTF8), "string type");
  return type;
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
  return Dataset(
      Handle(checked(H5Dcreate2(id(), name.c_str(), type, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT), what),
             H5Dclose),
      path);
}

Dataset Group::open_dataset(const std::string& name) const {
  const std::string path = path_ == "/" ? "/" + name : path_ + "/" + name;
  return Dataset(Handle(checked(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "opening dataset " + path), H5Dclose),
                 path);
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

void Group::set_attribute(const std::string& name, const std::vector<std::string>& values) {
  write_string_attribute(id(), path_, name, values, false);
}

std::string Group::string_attribute(const std::string& name) const {
  const std::string what = "reading attribute '" + name + "' of " + path_;
  Handle attr(checked(H5Aopen(id(), name.c_str(), H5P_DEFAULT), what), H5Aclose);
  Handle type = variable_string_type();
  char* value = nullptr;
  check(H5Aread(attr.id(), type.id(), &value), what);
  std::string out = value ? value : "";
  H5free_memory(value);
  return out;
}

std::vector<std::string> Group::string_list_attribute(const std::string& name) const {
  const std::string what = "reading attribute '" + name + "' of " + path_;
  Handle attr(checked(H5Aopen(id(), name.c_str(), H5P_DEFAULT), what), H5Aclose);
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

std::int64_t Group::integer_attribute(const std::string& name) const {
  const std::string what = "reading attribute '" + name + "' of " + path_;
  Handle attr(checked(H5Aopen(id(), name.c_str(), H5P_DEFAULT), what), H5Aclose);
  std::int64_t value = 0;
  check(H5Aread(attr.id(), H5T_NATIVE_INT64, &value), what);
  return value;
}

File File::create(const std::string& path) {
  quiet_errors();
  File f;
  f.path_ = path;
  f.file_ = Handle(checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                           "cannot create '" + path + "'"),
                   H5Fclose);
  f.root_ = Group(Handle(checked(H5Gopen2(f.file_.id(), "/", H5P_DEFAULT), "root group"), H5Gclose), "/");
  return f;
}

File File::open_read_only(const std::string& path) {
  quiet_errors();
  File f;
  f.path_ = path;
  f.file_ = Handle(checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "cannot open '" + path + "'"),
                   H5Fclose);
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
