//! Bundles: an artifact with its whole resolved dependency closure, their
//! blobs and a manifest with checksums, as one tar archive that another
//! catalog imports.
//!
//! Layout: `manifest.json` first, then `blobs/<sha256>` for each stored blob
//! (each once). Import is idempotent (artifacts already present, same type,
//! tenant, name and version, are kept) and all or nothing: the archive is
//! unpacked and every checksum verified before anything is written, blob
//! data is stored before the one database transaction that makes the
//! artifacts visible, and removed again if that transaction fails.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::PathBuf;

use chrono::Utc;
use futures::StreamExt;
use sea_orm::{ActiveModelTrait, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::access::{self, ACTIVE, PRIVATE};
use super::artifacts::{blobs_of, find_by_name, find_visible, parse_properties};
use super::deps::{self, parse_exact};
use super::{Catalog, list, properties};
use crate::caller::{Caller, Scope};
use crate::entities::{artifact, artifact_blob};
use crate::error::{AppError, AppResult, bad_request, forbidden, not_found};
use crate::types::validate::validate_value;
use crate::version::{is_prerelease, parse_version, sort_key};

pub const FORMAT: &str = "appcat-bundle/1";
const MAX_MANIFEST: u64 = 16 * 1024 * 1024;
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// Key of the exported artifact.
    pub root: String,
    pub artifacts: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    /// `<type>/<name>@<version>`, unique in the bundle.
    pub key: String,
    pub type_name: String,
    pub type_version: String,
    pub name: String,
    pub version: String,
    pub status: String,
    pub description: Option<String>,
    /// Field and link values; exact links to other artifacts of the bundle
    /// are `{"bundle": "<key>"}`.
    pub fields: Map<String, Value>,
    pub blobs: Vec<BlobEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct BlobEntry {
    pub field: String,
    #[serde(default)]
    pub key: String,
    pub external: bool,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub size: Option<i64>,
    #[serde(default)]
    pub md5: Option<String>,
    #[serde(default)]
    pub sha1: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
}

#[derive(Debug, Default, PartialEq)]
pub struct ExportSummary {
    pub artifacts: usize,
    pub blobs: usize,
}

#[derive(Debug, Default, PartialEq)]
pub struct ImportReport {
    pub created: usize,
    pub unchanged: usize,
    /// Id of the bundle's root artifact in this catalog.
    pub root_id: String,
    pub root_type: String,
}

fn key_of(m: &artifact::Model) -> String {
    format!("{}/{}@{}", m.type_name, m.name, m.version)
}

/// `<type>/<name>[@<requirement>]` to the highest visible matching artifact.
pub async fn find_for_export(
    catalog: &Catalog,
    caller: &Caller,
    spec: &str,
) -> AppResult<(String, String)> {
    let (type_name, rest) = spec
        .split_once('/')
        .ok_or_else(|| bad_request("expected <type>/<name>[@<version>]"))?;
    let (name, req) = match rest.split_once('@') {
        Some((n, r)) => (n, r),
        None => (rest, "*"),
    };
    let mut q = list::ListQuery::new(type_name)
        .eq("name", name)
        .sort("version", list::SortOrder::Desc)
        .limit(1);
    if req != "*" {
        q = q.filter(list::Filter::VersionSpec(req.to_owned()));
    }
    let page = list::list(catalog, caller, &q).await?;
    let id = page
        .artifacts
        .into_iter()
        .next()
        .map(|a| a.id)
        .ok_or_else(|| not_found(format!("no {type_name} named '{name}' matches '{req}'")))?;
    Ok((type_name.to_owned(), id))
}

/// Writes the bundle of an artifact to `out`.
pub async fn export<W: Write + Send + 'static>(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    out: W,
) -> AppResult<ExportSummary> {
    let graph = deps::graph(catalog, caller, type_name, id).await?;
    let mut models = Vec::new();
    for node in &graph.nodes {
        let (_, m) = find_visible(catalog, caller, &node.type_name, &node.id).await?;
        models.push(m);
    }
    let keys: BTreeMap<String, String> = models
        .iter()
        .map(|m| (format!("/artifacts/{}/{}", m.type_name, m.id), key_of(m)))
        .collect();
    let ids: Vec<String> = models.iter().map(|m| m.id.clone()).collect();
    let mut blob_rows = blobs_of(catalog, &ids).await?;
    let tmp = tempfile::tempdir().map_err(|e| AppError::Internal(e.into()))?;
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut entries = Vec::new();
    for m in &models {
        let ty = catalog
            .types
            .get(&m.type_name)
            .ok_or_else(|| not_found("unknown type"))?;
        let mut fields = parse_properties(m);
        for link in ty.links.keys() {
            if let Some(v) = fields.get_mut(link) {
                // Exact links into the closure become bundle references;
                // exact links that did not resolve (deleted, not visible)
                // cannot travel and are left out.
                rewrite_links(v, &|s: &str| match keys.get(s) {
                    Some(k) => Some(json!({ "bundle": k })),
                    None if parse_exact(s).is_some() => Some(Value::Null),
                    None => None,
                });
                prune_nulls(v);
            }
        }
        let mut blobs = Vec::new();
        for b in blob_rows.remove(&m.id).unwrap_or_default() {
            if b.status != ACTIVE {
                continue;
            }
            let path = match (&b.sha256, &b.storage_key, b.external) {
                (Some(sha), Some(storage_key), false) => {
                    let path = format!("blobs/{sha}");
                    if !files.contains_key(&path) {
                        let file = tmp.path().join(sha);
                        download_verified(catalog, storage_key, sha, &file).await?;
                        files.insert(path.clone(), file);
                    }
                    Some(path)
                }
                _ => None,
            };
            blobs.push(BlobEntry {
                field: b.field,
                key: b.key,
                external: b.external,
                url: b.url,
                path,
                size: b.size,
                md5: b.md5,
                sha1: b.sha1,
                sha256: b.sha256,
                content_type: b.content_type,
            });
        }
        entries.push(Entry {
            key: key_of(m),
            type_name: m.type_name.clone(),
            type_version: m.type_version.clone(),
            name: m.name.clone(),
            version: m.version.clone(),
            status: m.status.clone(),
            description: m.description.clone(),
            fields,
            blobs,
        });
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        root: key_of(&models[0]),
        artifacts: entries,
    };
    let summary = ExportSummary {
        artifacts: manifest.artifacts.len(),
        blobs: files.len(),
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| AppError::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut tar = tar::Builder::new(out);
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(Utc::now().timestamp().max(0) as u64);
        header.set_cksum();
        tar.append_data(&mut header, "manifest.json", json.as_slice())?;
        for (path, file) in &files {
            tar.append_path_with_name(file, path)?;
        }
        tar.into_inner()?.flush()?;
        drop(tmp);
        Ok(())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(summary)
}

/// Removes null entries from lists and dicts of a link value.
fn prune_nulls(v: &mut Value) {
    match v {
        Value::Array(items) => items.retain(|i| !i.is_null()),
        Value::Object(o) if !o.contains_key("name") && !o.contains_key("bundle") => {
            o.retain(|_, i| !i.is_null())
        }
        _ => {}
    }
}

/// Applies `f` to every string link in a link value; a `Some` replaces it.
fn rewrite_links(v: &mut Value, f: &dyn Fn(&str) -> Option<Value>) {
    match v {
        Value::String(s) => {
            if let Some(new) = f(s) {
                *v = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite_links(i, f)),
        Value::Object(o) if !o.contains_key("name") && !o.contains_key("bundle") => {
            o.values_mut().for_each(|i| rewrite_links(i, f))
        }
        _ => {}
    }
}

async fn download_verified(
    catalog: &Catalog,
    storage_key: &str,
    sha256: &str,
    file: &std::path::Path,
) -> AppResult<()> {
    let mut stream = catalog.store.get(storage_key, None).await?;
    let mut out = tokio::fs::File::create(file)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        hasher.update(&chunk);
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    tokio::io::AsyncWriteExt::flush(&mut out)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if hex::encode(hasher.finalize()) != sha256 {
        return Err(AppError::Internal(anyhow::anyhow!(
            "stored blob {storage_key} does not match its checksum"
        )));
    }
    Ok(())
}

/// Unpacks a bundle into a temporary directory, checking its shape.
/// Size and digests of one unpacked blob file.
struct FileSums {
    size: u64,
    md5: String,
    sha1: String,
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

type Unpacked = (Manifest, tempfile::TempDir, BTreeMap<String, FileSums>);

fn unpack<R: Read>(reader: R, max_blob: u64) -> Result<Unpacked, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut archive = tar::Archive::new(reader);
    let mut manifest = None;
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    for (n, entry) in entries.enumerate() {
        if n >= MAX_ENTRIES {
            return Err("too many entries".to_owned());
        }
        let mut entry = entry.map_err(|e| format!("corrupt or truncated archive: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("bad entry name: {e}"))?
            .to_string_lossy()
            .into_owned();
        if !entry.header().entry_type().is_file() {
            return Err(format!("unexpected entry '{path}' (only regular files)"));
        }
        if path == "manifest.json" {
            let mut text = Vec::new();
            (&mut entry)
                .take(MAX_MANIFEST + 1)
                .read_to_end(&mut text)
                .map_err(|e| format!("corrupt or truncated archive: {e}"))?;
            if text.len() as u64 > MAX_MANIFEST {
                return Err("manifest.json is too large".to_owned());
            }
            crate::input::check_structure(&text, MAX_MANIFEST as usize, "manifest.json")?;
            manifest = Some(
                serde_json::from_slice::<Manifest>(&text)
                    .map_err(|e| format!("manifest.json: {e}"))?,
            );
        } else if let Some(sha) = path
            .strip_prefix("blobs/")
            .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            if entry.size() > max_blob {
                return Err(format!("{path} is larger than the blob limit"));
            }
            let target = dir.path().join(sha);
            let mut out = std::fs::File::create(&target).map_err(|e| e.to_string())?;
            let copied = std::io::copy(&mut (&mut entry).take(max_blob + 1), &mut out)
                .map_err(|e| format!("corrupt or truncated archive: {e}"))?;
            if copied != entry.size() {
                return Err(format!("{path} is truncated"));
            }
        } else {
            return Err(format!("unexpected entry '{path}'"));
        }
    }
    let manifest = manifest.ok_or("the bundle has no manifest.json")?;
    if manifest.format != FORMAT {
        return Err(format!("unknown bundle format '{}'", manifest.format));
    }
    // Every referenced blob is present and matches its checksum; its size
    // and other digests are computed here, never taken from the manifest.
    let mut sums: BTreeMap<String, FileSums> = BTreeMap::new();
    for e in &manifest.artifacts {
        for b in e.blobs.iter().filter(|b| !b.external) {
            let sha = b
                .sha256
                .as_deref()
                .filter(|s| is_sha256(s))
                .ok_or_else(|| format!("{}: blob '{}' has no valid sha256", e.key, b.field))?;
            if sums.contains_key(sha) {
                continue;
            }
            let mut f = std::fs::File::open(dir.path().join(sha))
                .map_err(|_| format!("{}: blob '{}' is missing from the bundle", e.key, b.field))?;
            let mut sha256 = Sha256::new();
            let mut md5 = md5::Md5::new();
            let mut sha1 = sha1::Sha1::new();
            let mut size = 0u64;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = f.read(&mut buf).map_err(|e| e.to_string())?;
                if n == 0 {
                    break;
                }
                size += n as u64;
                sha256.update(&buf[..n]);
                md5.update(&buf[..n]);
                sha1.update(&buf[..n]);
            }
            if hex::encode(sha256.finalize()) != sha {
                return Err(format!(
                    "{}: blob '{}' does not match its checksum",
                    e.key, b.field
                ));
            }
            sums.insert(
                sha.to_owned(),
                FileSums {
                    size,
                    md5: hex::encode(md5.finalize()),
                    sha1: hex::encode(sha1.finalize()),
                },
            );
        }
    }
    Ok((manifest, dir, sums))
}

/// Reads and checks a bundle archive as [`import`] does first, without
/// importing it (for tests and fuzzing): its manifest and, for every blob
/// the manifest names, its sha256 and the size found in the archive.
pub fn read_bundle<R: Read>(
    reader: R,
    max_blob: u64,
) -> Result<(Manifest, BTreeMap<String, u64>), String> {
    let (manifest, _dir, sums) = unpack(reader, max_blob)?;
    Ok((
        manifest,
        sums.into_iter().map(|(sha, s)| (sha, s.size)).collect(),
    ))
}

/// Imports a bundle into the caller's tenant.
pub async fn import<R: Read + Send + 'static>(
    catalog: &Catalog,
    caller: &Caller,
    reader: R,
) -> AppResult<ImportReport> {
    let principal = caller.require_scope(Scope::Write)?.clone();
    if !access::can_create(caller) {
        return Err(forbidden("not a member of this tenant"));
    }
    let tenant = principal.tenant.clone();
    let max_blob = catalog.limits.max_blob_size;
    let (manifest, dir, sums) = tokio::task::spawn_blocking(move || unpack(reader, max_blob))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| bad_request(format!("invalid bundle: {e}")))?;

    // Which artifacts exist already, and the ids of the new ones.
    let mut ids: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut new_entries = Vec::new();
    let mut report = ImportReport::default();
    let mut seen = BTreeSet::new();
    for e in &manifest.artifacts {
        if !seen.insert(e.key.clone()) {
            return Err(bad_request(format!(
                "invalid bundle: '{}' appears twice",
                e.key
            )));
        }
        let ty = catalog.types.get(&e.type_name).ok_or_else(|| {
            bad_request(format!("invalid bundle: unknown type '{}'", e.type_name))
        })?;
        let version = parse_version(&e.version)
            .map_err(|err| bad_request(format!("invalid bundle: {}: {err}", e.key)))?;
        match find_by_name(catalog, &e.type_name, &tenant, &e.name, &version).await? {
            Some(m) => {
                ids.insert(e.key.clone(), (m.type_name.clone(), m.id.clone()));
                report.unchanged += 1;
            }
            None => {
                ids.insert(
                    e.key.clone(),
                    (e.type_name.clone(), Uuid::new_v4().to_string()),
                );
                new_entries.push((e, ty, version));
            }
        }
    }
    let (root_type, root_id) = ids
        .get(&manifest.root)
        .cloned()
        .ok_or_else(|| bad_request("invalid bundle: the root is not in it"))?;
    report.root_id = root_id;
    report.root_type = root_type;

    // Build every row first: validation errors stop the import before
    // anything is written.
    let now = Utc::now();
    let mut rows = Vec::new();
    let mut total_bytes = 0u64;
    for (e, ty, version) in &new_entries {
        let (_, id) = &ids[&e.key];
        let mut props = Map::new();
        for (k, v) in &e.fields {
            let mut v = v.clone();
            if let Some(def) = ty.fields.get(k) {
                v = validate_value(k, def, &v)
                    .map_err(|err| bad_request(format!("invalid bundle: {}: {err}", e.key)))?;
            } else if let Some(def) = ty.links.get(k) {
                rewrite_bundle_refs(&mut v, &ids)
                    .map_err(|err| bad_request(format!("invalid bundle: {}: {err}", e.key)))?;
                // The same checks as an upload: shape, count, requirements.
                super::artifacts::link_items(k, def, &v)
                    .map_err(|err| bad_request(format!("invalid bundle: {}: {err}", e.key)))?;
            } else {
                return Err(bad_request(format!(
                    "invalid bundle: {}: '{k}' is not a field of {}",
                    e.key, e.type_name
                )));
            }
            if !v.is_null() {
                props.insert(k.clone(), v);
            }
        }
        let name = super::artifacts::check_name(&json!(e.name))
            .and_then(|n| super::artifacts::check_description(&json!(e.description)).map(|_| n))
            .map_err(|err| bad_request(format!("invalid bundle: {}: {err}", e.key)))?;
        if let Some(tags) = props.get("tags") {
            super::artifacts::check_tags(tags)
                .map_err(|err| bad_request(format!("invalid bundle: {}: {err}", e.key)))?;
        }
        let blobs = check_blobs(e, ty, &sums, catalog.limits.max_blob_size, &mut total_bytes)?;
        // A type's upload behaviour runs on the bundle's blobs as well: a
        // Murano package must be a valid package whose manifest names this
        // artifact, exactly as an upload would require.
        if ty.def.behaviours.iter().any(|b| b == "murano_package") {
            for b in blobs.iter().filter(|b| b.field == "package") {
                let Some(sha) = &b.file else { continue };
                let path = dir.path().join(sha);
                let package = tokio::task::spawn_blocking(move || {
                    std::fs::File::open(path).map(super::murano::read_zip)
                })
                .await
                .map_err(|err| AppError::Internal(err.into()))?
                .map_err(|err| AppError::Internal(err.into()))?
                .map_err(|err| {
                    bad_request(format!(
                        "invalid bundle: {}: not a valid Murano package: {err}",
                        e.key
                    ))
                })?;
                if package.manifest.full_name != name {
                    return Err(bad_request(format!(
                        "invalid bundle: {}: the package's manifest names '{}'",
                        e.key, package.manifest.full_name
                    )));
                }
            }
        }
        // Active only as the API would allow it: with the `publish` scope and
        // everything required on activation present.
        let mut doc = props.clone();
        for b in &blobs {
            let value = json!({"status": ACTIVE});
            if ty.blobs.get(&b.field).is_some_and(|d| d.dict) {
                let entry = doc.entry(b.field.clone()).or_insert_with(|| json!({}));
                if let Value::Object(o) = entry {
                    o.insert(b.key.clone(), value);
                }
            } else {
                doc.insert(b.field.clone(), value);
            }
        }
        let may_activate = caller.require_scope(Scope::Publish).is_ok()
            && super::artifacts::missing_for_activation(ty, &doc).is_none();
        let status = if e.status == ACTIVE && may_activate {
            ACTIVE
        } else {
            super::access::DRAFTED
        };
        let model = artifact::ActiveModel {
            id: Set(id.clone()),
            type_name: Set(e.type_name.clone()),
            type_version: Set(ty.def.version.clone()),
            name: Set(name),
            version: Set(version.to_string()),
            version_sort: Set(sort_key(version)),
            is_prerelease: Set(is_prerelease(version)),
            owner: Set(tenant.clone()),
            created_by: Set((!principal.user_id.is_empty()).then(|| principal.user_id.clone())),
            visibility: Set(PRIVATE.to_owned()),
            status: Set(status.to_owned()),
            description: Set(e.description.clone()),
            properties: Set(Value::Object(props.clone()).to_string()),
            created_at: Set(now),
            updated_at: Set(now),
            activated_at: Set((status == ACTIVE).then_some(now)),
            downloads: Set(0),
            rating_score: Set(0),
            rating_count: Set(0),
        };
        rows.push((model, props, ty.clone(), id.clone(), blobs));
    }

    // Store the blob data under fresh keys; nothing refers to it yet.
    let mut stored: Vec<String> = Vec::new();
    let mut blob_rows = Vec::new();
    let result = async {
        for (_, _, _, id, blobs) in &rows {
            for b in blobs {
                let storage_key = match &b.file {
                    None => None,
                    Some(sha) => {
                        let key = format!("{id}/{}/{}", b.field, Uuid::new_v4());
                        let file = tokio::fs::File::open(dir.path().join(sha))
                            .await
                            .map_err(|e| AppError::Internal(e.into()))?;
                        store_stream(catalog, &key, tokio_util::io::ReaderStream::new(file))
                            .await?;
                        stored.push(key.clone());
                        Some(key)
                    }
                };
                blob_rows.push(artifact_blob::ActiveModel {
                    id: Set(Uuid::new_v4().to_string()),
                    artifact_id: Set(id.clone()),
                    field: Set(b.field.clone()),
                    key: Set(b.key.clone()),
                    status: Set(ACTIVE.to_owned()),
                    size: Set(b.size),
                    md5: Set(b.md5.clone()),
                    sha1: Set(b.sha1.clone()),
                    sha256: Set(b.sha256.clone()),
                    content_type: Set(b.content_type.clone()),
                    external: Set(b.file.is_none()),
                    url: Set(b.url.clone()),
                    storage_key: Set(storage_key),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
            }
        }
        let txn = catalog.db.begin().await?;
        for (model, props, ty, id, _) in &rows {
            let inserted = model.clone().insert(&txn).await?;
            properties::insert(&txn, properties::rows(id, &ty.fields, &ty.links, props)).await?;
            // A version joining an existing sequence carries its rating.
            super::community::refresh_rating(
                &txn,
                &inserted.type_name,
                &inserted.owner,
                &inserted.name,
            )
            .await?;
        }
        for b in &blob_rows {
            b.clone().insert(&txn).await?;
        }
        txn.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = result {
        for key in &stored {
            let _ = catalog.store.delete(key).await;
        }
        return Err(e);
    }
    report.created = rows.len();
    Ok(report)
}

async fn store_stream<S>(catalog: &Catalog, key: &str, mut stream: S) -> AppResult<()>
where
    S: futures::Stream<Item = std::io::Result<bytes::Bytes>> + Unpin,
{
    let mut upload = catalog.store.start_upload(key).await?;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => upload.write(&c).await?,
            Err(e) => {
                upload.abort().await;
                return Err(AppError::Internal(e.into()));
            }
        }
    }
    upload.finish().await?;
    Ok(())
}

/// A blob of the bundle, checked: stored ones carry the digests computed
/// from the file, external ones an http(s) URL.
struct CheckedBlob {
    field: String,
    key: String,
    /// The unpacked file (its sha256) for stored blobs.
    file: Option<String>,
    url: Option<String>,
    size: Option<i64>,
    md5: Option<String>,
    sha1: Option<String>,
    sha256: Option<String>,
    content_type: Option<String>,
}

fn hex_of(value: &Option<String>, len: usize) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(v) if v.len() == len && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(v.to_ascii_lowercase()))
        }
        Some(_) => Err(format!("a checksum is not {len} hexadecimal digits")),
    }
}

/// The rules an upload or a location would have to meet, for every blob
/// of one bundle entry; `total` counts the bytes the whole import stores.
fn check_blobs(
    e: &Entry,
    ty: &crate::types::registry::ArtifactType,
    sums: &BTreeMap<String, FileSums>,
    max_blob: u64,
    total: &mut u64,
) -> AppResult<Vec<CheckedBlob>> {
    let bad = |why: String| bad_request(format!("invalid bundle: {}: {why}", e.key));
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for b in &e.blobs {
        let def = ty
            .blobs
            .get(&b.field)
            .ok_or_else(|| bad(format!("'{}' is not a blob of {}", b.field, e.type_name)))?;
        let key_ok = if def.dict {
            !b.key.is_empty()
                && b.key.len() <= 255
                && !b.key.contains('/')
                && b.key != "."
                && b.key != ".."
        } else {
            b.key.is_empty()
        };
        if !key_ok {
            return Err(bad(format!("blob '{}' has an invalid key", b.field)));
        }
        if !seen.insert((b.field.clone(), b.key.clone())) {
            return Err(bad(format!("blob '{}/{}' appears twice", b.field, b.key)));
        }
        let content_type = b
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        if !b.external && (content_type.len() > 255 || !def.accepts_content_type(&content_type)) {
            return Err(bad(format!(
                "blob '{}' does not accept {content_type}",
                b.field
            )));
        }
        if b.external {
            let url = b.url.clone().unwrap_or_default();
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2048 {
                return Err(bad(format!("blob '{}' has no http(s) location", b.field)));
            }
            out.push(CheckedBlob {
                field: b.field.clone(),
                key: b.key.clone(),
                file: None,
                url: Some(url),
                size: None,
                md5: hex_of(&b.md5, 32).map_err(bad)?,
                sha1: hex_of(&b.sha1, 40).map_err(bad)?,
                sha256: hex_of(&b.sha256, 64).map_err(bad)?,
                content_type: None,
            });
        } else {
            let sha = b.sha256.clone().unwrap_or_default();
            let file = sums
                .get(&sha)
                .ok_or_else(|| bad(format!("blob '{}' is missing", b.field)))?;
            let limit = def.max_size.map_or(max_blob, |m| m.min(max_blob));
            if file.size > limit {
                return Err(bad(format!(
                    "blob '{}' is larger than its limit of {limit} bytes",
                    b.field
                )));
            }
            *total = total.saturating_add(file.size);
            if *total > max_blob {
                return Err(bad(format!("the bundle stores more than {max_blob} bytes")));
            }
            out.push(CheckedBlob {
                field: b.field.clone(),
                key: b.key.clone(),
                file: Some(sha.clone()),
                url: None,
                size: Some(i64::try_from(file.size).unwrap_or(i64::MAX)),
                md5: Some(file.md5.clone()),
                sha1: Some(file.sha1.clone()),
                sha256: Some(sha),
                content_type: Some(content_type),
            });
        }
    }
    Ok(out)
}

/// `{"bundle": key}` back to `/artifacts/<type>/<id>` in this catalog.
fn rewrite_bundle_refs(
    v: &mut Value,
    ids: &BTreeMap<String, (String, String)>,
) -> Result<(), String> {
    match v {
        Value::Object(o) if o.contains_key("bundle") => {
            let key = o.get("bundle").and_then(Value::as_str).unwrap_or("");
            let (t, id) = ids
                .get(key)
                .ok_or_else(|| format!("link to '{key}', which is not in the bundle"))?;
            *v = json!(format!("/artifacts/{t}/{id}"));
        }
        Value::Array(items) => {
            for i in items {
                rewrite_bundle_refs(i, ids)?;
            }
        }
        Value::Object(o) if !o.contains_key("name") => {
            for i in o.values_mut() {
                rewrite_bundle_refs(i, ids)?;
            }
        }
        Value::String(s) if parse_exact(s).is_some() => {
            // An exact link outside the closure cannot be carried over.
            return Err(format!("exact link {s} is not part of the bundle"));
        }
        _ => {}
    }
    Ok(())
}
