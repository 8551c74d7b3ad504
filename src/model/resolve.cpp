// resolve_hub_file / resolve_model: cache first, then the Hub protocol (HEAD for metadata, resumable GET),
// then verification and the move into the cache layout.
#include <cerrno>
#include <system_error>

#include "hub_cache.h"
#include "hub_http.h"
#include "tagmetry/model_cache.h"
#include "tagmetry/sha256.h"
#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

namespace {

// An ETag is used as a blob file name; anything but [A-Za-z0-9._-] (or a leading dot) is not trusted.
bool safe_blob_name(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.front() == '.') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string human_bytes(uint64_t n) {
  char buf[32];
  if (n >= 1000ull * 1000 * 1000) std::snprintf(buf, sizeof buf, "%.2f GB", n / 1e9);
  else if (n >= 1000ull * 1000) std::snprintf(buf, sizeof buf, "%.1f MB", n / 1e6);
  else std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(n));
  return buf;
}

std::string offline_hint() {
  return "offline mode is on (--offline or HF_HUB_OFFLINE=1): download it first with `tagmetry models pull NAME` "
         "on a machine with network access (or copy the cache), or point --model-dir at a folder with the files";
}

Result<HubFile> download(const hub::RepoPaths& paths, const hub::Target& target, const hub::FileMetadata& meta,
                         std::string_view revision, const ResolveOptions& options) {
  const std::string commit = meta.commit.empty() ? std::string(revision) : meta.commit;
  const std::string etag = safe_blob_name(meta.etag) ? meta.etag : std::string();
  std::error_code ec;
  fs::create_directories(paths.blobs, ec);
  if (ec) return io_error(paths.blobs.string() + ": cannot create folder (" + ec.message() + ")");

  // Without a usable ETag the blob is named by its content's sha256 once downloaded; the partial file is
  // named after the URL so that it can still be resumed.
  const std::string partial_name = etag.empty() ? "tagmetry-" + sha256_hex(target.url).substr(0, 32) : etag;
  TM_ASSIGN_OR_RETURN(auto lock, hub::BlobLock::acquire(paths, partial_name));

  HubFile out;
  out.commit = commit;
  out.path = paths.snapshots / commit / target.file;
  if (!etag.empty() && fs::is_regular_file(paths.blobs / etag, ec)) {  // another process finished it
    TM_RETURN_IF_ERROR(hub::link_snapshot(paths, commit, target.file, etag));
    TM_RETURN_IF_ERROR(hub::write_ref(paths, revision, meta.commit));
    out.etag = etag;
    out.size = fs::file_size(out.path, ec);
    return out;
  }

  const fs::path partial = paths.blobs / (partial_name + ".incomplete");
  if (meta.size) {
    uint64_t have = fs::is_regular_file(partial, ec) ? fs::file_size(partial, ec) : 0;
    uint64_t need = *meta.size > have ? *meta.size - have : 0;
    auto space = fs::space(paths.blobs, ec);
    if (!ec && space.available < need) {
      return io_error(paths.blobs.string() + ": not enough disk space for " + target.repo + "/" + target.file +
                      ": needs " + human_bytes(need) + ", " + human_bytes(space.available) +
                      " free (set HF_HOME or HF_HUB_CACHE to a larger disk)");
    }
  }
  TM_ASSIGN_OR_RETURN(hub::DownloadOutcome got, hub::download_to_file(target, partial, meta.size, options));

  const std::string who = target.repo + ": " + target.file;
  if (meta.size && got.size != *meta.size) {
    fs::remove(partial, ec);
    return corrupt(who + ": downloaded " + std::to_string(got.size) + " bytes, the server announced " +
                   std::to_string(*meta.size) + "; download deleted, nothing cached");
  }
  if (is_sha256_hex(etag) && to_lower_ascii(etag) != got.sha256) {
    fs::remove(partial, ec);
    return corrupt(who + ": sha256 mismatch: expected " + to_lower_ascii(etag) + ", got " + got.sha256 +
                   "; download deleted, nothing cached (if this repeats, the server or mirror serves a different "
                   "file than it announces)");
  }
  const std::string blob = etag.empty() ? got.sha256 : etag;
  fs::rename(partial, paths.blobs / blob, ec);
  if (ec) return io_error((paths.blobs / blob).string() + ": cannot move the download in place (" + ec.message() + ")");
  TM_RETURN_IF_ERROR(hub::link_snapshot(paths, commit, target.file, blob));
  TM_RETURN_IF_ERROR(hub::write_ref(paths, revision, meta.commit));
  out.etag = blob;
  out.size = got.size;
  out.downloaded_bytes = got.fetched;
  return out;
}

}  // namespace

Result<HubFile> resolve_hub_file(std::string_view repo, std::string_view revision, std::string_view file,
                                 const ResolveOptions& options) {
  TM_RETURN_IF_ERROR(hub::check_relative_name("repo id", repo));
  TM_RETURN_IF_ERROR(hub::check_relative_name("revision", revision));
  TM_RETURN_IF_ERROR(hub::check_relative_name("file name", file));
  const hub::RepoPaths paths = hub::repo_paths(options.hub, repo);
  const bool offline = options.offline || options.hub.offline;
  std::optional<HubFile> cached = hub::find_cached_file(paths, revision, file);
  if (cached && (offline || !options.check_for_updates)) return *cached;
  if (offline) {
    return not_found(std::string(repo) + ": " + std::string(file) + " (revision " + std::string(revision) +
                     ") is not in the cache " + paths.root.string() + "; " + offline_hint());
  }

  hub::Target target{std::string(repo), std::string(file), hub_file_url(options.hub, repo, revision, file)};
  Result<hub::FileMetadata> meta = hub::fetch_metadata(target, options);
  if (!meta.ok()) {
    if (cached && meta.status().code() == ErrorCode::kNetwork) {
      HubFile f = *cached;
      f.warning = "could not check for updates, using the cached copy: " + meta.status().message();
      return f;
    }
    return meta.status();
  }
  const std::string commit = meta->commit.empty() ? std::string(revision) : meta->commit;
  if (auto hit = hub::find_cached_file(paths, commit, file)) {  // up to date (maybe fetched by another tool)
    TM_RETURN_IF_ERROR(hub::write_ref(paths, revision, meta->commit));
    return *hit;
  }
  return download(paths, target, *meta, revision, options);
}

Result<ModelFiles> find_cached_model(const ModelEntry& entry, const HubConfig& hub) {
  const hub::RepoPaths paths = hub::repo_paths(hub, entry.repo);
  auto model = hub::find_cached_file(paths, entry.revision, entry.model_file);
  auto labels = hub::find_cached_file(paths, entry.revision, entry.labels_file);
  if (!model || !labels) {
    std::vector<std::string> missing;
    if (!model) missing.push_back(entry.model_file);
    if (!labels) missing.push_back(entry.labels_file);
    return not_found(entry.name + " (" + entry.repo + "@" + entry.revision + ") is not in the cache " +
                     paths.root.string() + ": missing " + join(missing, " and "));
  }
  ModelFiles f;
  f.model = model->path;
  f.labels = labels->path;
  f.commit = model->commit;
  return f;
}

Result<ModelFiles> resolve_model(const ModelEntry& entry, const ResolveOptions& options) {
  if (options.offline || options.hub.offline) {
    auto cached = find_cached_model(entry, options.hub);
    if (!cached.ok()) return not_found(cached.status().message() + "; " + replace_all(offline_hint(), "NAME", entry.name));
    return cached;
  }
  ModelFiles f;
  TM_ASSIGN_OR_RETURN(HubFile model, resolve_hub_file(entry.repo, entry.revision, entry.model_file, options));
  TM_ASSIGN_OR_RETURN(HubFile labels, resolve_hub_file(entry.repo, entry.revision, entry.labels_file, options));
  f.model = model.path;
  f.labels = labels.path;
  f.commit = model.commit;
  f.downloaded_bytes = model.downloaded_bytes + labels.downloaded_bytes;
  f.warning = !model.warning.empty() ? model.warning : labels.warning;
  return f;
}

}  // namespace tagmetry
