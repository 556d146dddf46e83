//! Importers: the legacy apps.openstack.org catalog (`assets.yaml`, see
//! `docs/LEGACY.md` for the mapping) and Murano packages. Both are
//! idempotent: an artifact that already exists (same type, tenant, name and
//! version) is left as it is, so a second run changes nothing. A broken
//! entry is reported and skipped; the rest goes on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use serde_norway::Value as Yaml;

use super::access::{ACTIVE, DEACTIVATED, PUBLIC};
use super::blobs::{self, ExternalLocation};
use super::view::ArtifactView;
use super::{Catalog, artifacts, murano};
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::version::parse_version;

/// Largest `assets.yaml` read.
pub const MAX_CATALOG_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: Vec<Failure>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub name: String,
    /// Line of the entry in the file (1-based), 0 when unknown.
    pub line: usize,
    pub error: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (line {}): {}", self.name, self.line, self.error)
    }
}

/// Reports progress: (done, total, current item).
pub type Progress<'a> = &'a (dyn Fn(usize, usize, &str) + Sync);

fn message(e: &AppError) -> String {
    match e {
        AppError::Internal(inner) => format!("internal error: {inner:#}"),
        other => other.to_string(),
    }
}

fn ytext(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn yget<'a>(v: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    v.as_mapping()?.get(Yaml::String(key.to_owned()))
}

fn ystr(v: &Yaml, key: &str) -> Option<String> {
    yget(v, key).and_then(ytext)
}

/// A mapping of scalars as a JSON object of strings.
fn string_dict(v: Option<&Yaml>) -> Option<Value> {
    let m = v?.as_mapping()?;
    let out: Map<String, Value> = m
        .iter()
        .filter_map(|(k, v)| Some((ytext(k)?, Value::String(ytext(v)?))))
        .collect();
    (!out.is_empty()).then_some(Value::Object(out))
}

fn string_list(v: Option<&Yaml>) -> Option<Value> {
    let items: Vec<Value> = v?
        .as_sequence()?
        .iter()
        .filter_map(ytext)
        .map(Value::String)
        .collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

fn to_json(v: &Yaml) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// `ever: [{min: [1,0,0], max: [1,3,0]}]` as requirement strings.
fn ever(v: Option<&Yaml>) -> Option<Value> {
    let triple = |v: Option<&Yaml>| -> Option<String> {
        let parts: Vec<String> = v?.as_sequence()?.iter().filter_map(ytext).collect();
        (parts.len() == 3).then(|| parts.join("."))
    };
    let items: Vec<Value> = v?
        .as_sequence()?
        .iter()
        .filter_map(|e| {
            let mut req = Vec::new();
            if let Some(min) = triple(yget(e, "min")) {
                req.push(format!(">={min}"));
            }
            if let Some(max) = triple(yget(e, "max")) {
                req.push(format!("<={max}"));
            }
            (!req.is_empty()).then(|| Value::String(req.join(", ")))
        })
        .collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

/// The legacy service type's artifact type and the attribute holding its
/// download URL, and the blob field it goes to.
fn service_mapping(service: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match service {
        "glance" => ("images", "url", "image"),
        "heat" => ("heat_templates", "url", "template"),
        "murano" => ("murano_packages", "Package URL", "package"),
        "bundle" => ("bundles", "url", "definition"),
        "tosca" => ("tosca_templates", "url", "template"),
        _ => return None,
    })
}

/// Lines (1-based) where the items of the top-level `assets` list start.
fn item_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut indent = None;
    let mut in_assets = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("assets:") {
            in_assets = true;
            continue;
        }
        if !in_assets || !(trimmed == "-" || trimmed.starts_with("- ")) {
            continue;
        }
        let this = line.len() - trimmed.len();
        match indent {
            None => {
                indent = Some(this);
                lines.push(i + 1);
            }
            Some(n) if n == this => lines.push(i + 1),
            _ => {}
        }
    }
    lines
}

/// What one legacy asset becomes.
struct Planned {
    type_name: &'static str,
    name: String,
    body: Value,
    blobs: Vec<(&'static str, ExternalLocation)>,
    active: bool,
}

fn plan(asset: &Yaml, dead: &BTreeMap<String, bool>) -> Result<Planned, String> {
    let name = ystr(asset, "name")
        .filter(|n| !n.trim().is_empty())
        .ok_or("no name")?;
    let service = yget(asset, "service").ok_or("no service")?;
    let service_type = ystr(service, "type").ok_or("service has no type")?;
    let (type_name, url_attr, blob) = service_mapping(&service_type)
        .ok_or_else(|| format!("unknown service type '{service_type}'"))?;
    let mut body = Map::new();
    body.insert("version".into(), json!("0.0.0"));
    if let Some(d) = ystr(asset, "description") {
        body.insert("description".into(), json!(d.trim_end()));
    }
    for key in ["license", "license_url", "hash", "hash_url", "cloud_user"] {
        if let Some(v) = ystr(asset, key) {
            body.insert(key.into(), json!(v));
        }
    }
    for key in ["provided_by", "supported_by", "attributes"] {
        if let Some(v) = string_dict(yget(asset, key)) {
            body.insert(key.into(), v);
        }
    }
    for key in ["release", "tags"] {
        if let Some(v) = string_list(yget(asset, key)) {
            body.insert(key.into(), v);
        }
    }
    let mut blobs = Vec::new();
    if let Some(icon) = yget(asset, "icon") {
        let mut layout = Map::new();
        for k in ["top", "left", "height"] {
            if let Some(n) = yget(icon, k).and_then(|v| v.as_f64()) {
                layout.insert(k.into(), json!(n));
            }
        }
        if !layout.is_empty() {
            body.insert("icon_layout".into(), Value::Object(layout));
        }
        if let Some(url) = ystr(icon, "url") {
            blobs.push((
                "icon",
                ExternalLocation {
                    url,
                    md5: None,
                    sha1: None,
                    sha256: None,
                },
            ));
        }
    }
    // Service fields: dedicated fields where the type has them, the rest in
    // metadata as `service.<key>`.
    let mut metadata = Map::new();
    let mut artifact_name = name.clone();
    if let Some(m) = service.as_mapping() {
        for (k, v) in m {
            let Some(k) = ytext(k) else { continue };
            match (service_type.as_str(), k.as_str()) {
                (_, "type") => {}
                ("glance", "disk_format" | "container_format") => {
                    body.insert(k.clone(), to_json(v));
                }
                ("glance", "min_ram" | "min_disk") => {
                    body.insert(k.clone(), json!(v.as_f64().map(|f| f.round() as i64)));
                }
                ("heat", "format") => {
                    body.insert("format".into(), to_json(v));
                }
                ("heat", "environment") => {
                    body.insert("environment".into(), json!(to_json(v).to_string()));
                }
                ("heat" | "murano" | "tosca", "ever") => {
                    if let Some(e) = ever(Some(v)) {
                        body.insert("ever".into(), e);
                    }
                }
                ("murano", "package_name") => {
                    // Murano resolves packages by their FullName.
                    artifact_name = ytext(v).ok_or("package_name is not a string")?;
                    body.insert("display_name".into(), json!(name));
                }
                ("bundle", "murano_package_name") => {
                    body.insert("package_name".into(), to_json(v));
                }
                ("tosca", "template_format") => {
                    body.insert("template_format".into(), to_json(v));
                }
                (_, other) => {
                    let text = ytext(v).unwrap_or_else(|| to_json(v).to_string());
                    metadata.insert(format!("service.{other}"), json!(text));
                }
            }
        }
    }
    if !metadata.is_empty() {
        body.insert("metadata".into(), Value::Object(metadata));
    }
    body.insert("name".into(), json!(artifact_name));
    // Assets behind a licence page only had an `indirect_url`: downloads
    // redirect there, as the old catalog's download button did.
    let url = yget(asset, "attributes")
        .and_then(|a| ystr(a, url_attr).or_else(|| ystr(a, "indirect_url")));
    if let Some(url) = url {
        let md5 = ystr(asset, "hash")
            .filter(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        blobs.push((
            blob,
            ExternalLocation {
                url,
                md5,
                sha1: None,
                sha256: None,
            },
        ));
    }
    let active = yget(asset, "active")
        .and_then(Yaml::as_bool)
        .unwrap_or(true)
        && dead.get(&name).copied().unwrap_or(true);
    Ok(Planned {
        type_name,
        name: artifact_name,
        body: Value::Object(body),
        blobs,
        active,
    })
}

/// `assets_dead.yaml`: `assets: {<name>: {active: false}}`.
fn parse_dead(text: Option<&[u8]>) -> Result<BTreeMap<String, bool>, String> {
    let Some(text) = text else {
        return Ok(BTreeMap::new());
    };
    crate::input::check_structure(text, MAX_CATALOG_BYTES, "assets_dead.yaml")?;
    let doc: Yaml = serde_norway::from_slice(text).map_err(|e| format!("assets_dead.yaml: {e}"))?;
    let mut out = BTreeMap::new();
    if let Some(m) = yget(&doc, "assets").and_then(Yaml::as_mapping) {
        for (k, v) in m {
            if let Some(name) = ytext(k) {
                out.insert(
                    name,
                    yget(v, "active").and_then(Yaml::as_bool).unwrap_or(true),
                );
            }
        }
    }
    Ok(out)
}

async fn patch(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
    ops: Value,
) -> AppResult<ArtifactView> {
    let patch: json_patch::Patch =
        serde_json::from_value(ops).map_err(|e| AppError::Internal(e.into()))?;
    artifacts::update(catalog, caller, type_name, id, &patch).await
}

/// Creates one artifact completely (blobs, active, public) or not at all.
async fn create_planned(catalog: &Catalog, caller: &Caller, p: &Planned) -> AppResult<String> {
    let created = artifacts::create(catalog, caller, p.type_name, p.body.clone()).await?;
    let id = created.id.clone();
    let result = async {
        for (field, location) in &p.blobs {
            let loc = ExternalLocation {
                url: location.url.clone(),
                md5: location.md5.clone(),
                sha1: None,
                sha256: None,
            };
            blobs::set_location(catalog, caller, p.type_name, &id, field, None, loc).await?;
        }
        patch(
            catalog,
            caller,
            p.type_name,
            &id,
            json!([{"op": "replace", "path": "/status", "value": ACTIVE}]),
        )
        .await?;
        patch(
            catalog,
            caller,
            p.type_name,
            &id,
            json!([{"op": "replace", "path": "/visibility", "value": PUBLIC}]),
        )
        .await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = result {
        // Leave no half-imported artifact behind.
        let _ = artifacts::delete(catalog, caller, p.type_name, &id).await;
        return Err(e);
    }
    Ok(id)
}

/// Imports the legacy catalog into `tenant`: every asset becomes a public
/// artifact (deactivated if listed dead), download URLs become external
/// blobs, and `depends` become links.
pub async fn import_app_catalog(
    catalog: &Catalog,
    tenant: &str,
    assets: &[u8],
    dead: Option<&[u8]>,
    progress: Progress<'_>,
) -> Result<Report, String> {
    if assets.len() > MAX_CATALOG_BYTES {
        return Err(format!(
            "assets.yaml is larger than {MAX_CATALOG_BYTES} bytes"
        ));
    }
    let text = std::str::from_utf8(assets).map_err(|e| format!("assets.yaml is not UTF-8: {e}"))?;
    crate::input::check_structure(assets, MAX_CATALOG_BYTES, "assets.yaml")?;
    let doc: Yaml = serde_norway::from_str(text).map_err(|e| format!("assets.yaml: {e}"))?;
    let items = yget(&doc, "assets")
        .and_then(Yaml::as_sequence)
        .ok_or("assets.yaml has no `assets` list")?;
    let dead = parse_dead(dead)?;
    let tenants = super::accounts::list_tenants(&catalog.db)
        .await
        .map_err(|e| message(&e))?;
    if tenants.iter().all(|t| t.id != tenant) {
        return Err(format!("tenant '{tenant}' does not exist"));
    }
    let lines = item_lines(text);
    let caller = Caller::system(tenant);
    let mut report = Report::default();
    // Legacy name → (type, id) of every artifact this catalog holds for it.
    let mut by_legacy_name: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut depends: Vec<(usize, String, &'static str, String, Vec<String>)> = Vec::new();
    // (legacy name, line, type, id, counts as an update) of dead assets.
    let mut to_deactivate: Vec<(String, usize, &'static str, String, bool)> = Vec::new();
    let total = items.len();
    for (i, asset) in items.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(0);
        let legacy_name = ystr(asset, "name").unwrap_or_else(|| format!("entry {}", i + 1));
        progress(i, total, &legacy_name);
        let fail = |error: String| Failure {
            name: legacy_name.clone(),
            line,
            error,
        };
        let planned = match plan(asset, &dead) {
            Ok(p) => p,
            Err(e) => {
                report.failed.push(fail(e));
                continue;
            }
        };
        let version = parse_version("0.0.0").map_err(|e| e.to_string())?;
        let id = match artifacts::find_by_name(
            catalog,
            planned.type_name,
            tenant,
            &planned.name,
            &version,
        )
        .await
        {
            Ok(Some(existing)) => {
                // Idempotent: keep it. Only the dead list changes anything
                // (deactivation, after the links are set); an artifact is
                // never reactivated behind an admin's back.
                if !planned.active && existing.status == ACTIVE {
                    to_deactivate.push((
                        legacy_name.clone(),
                        line,
                        planned.type_name,
                        existing.id.clone(),
                        true,
                    ));
                } else {
                    report.unchanged += 1;
                }
                existing.id
            }
            Ok(None) => match create_planned(catalog, &caller, &planned).await {
                Ok(id) => {
                    report.created += 1;
                    if !planned.active {
                        to_deactivate.push((
                            legacy_name.clone(),
                            line,
                            planned.type_name,
                            id.clone(),
                            false,
                        ));
                    }
                    id
                }
                Err(e) => {
                    report.failed.push(fail(message(&e)));
                    continue;
                }
            },
            Err(e) => {
                report.failed.push(fail(message(&e)));
                continue;
            }
        };
        by_legacy_name.insert(
            legacy_name.clone(),
            (planned.type_name.to_owned(), id.clone()),
        );
        let deps: Vec<String> = yget(asset, "depends")
            .and_then(Yaml::as_sequence)
            .map(|d| d.iter().filter_map(|e| ystr(e, "name")).collect())
            .unwrap_or_default();
        if !deps.is_empty() {
            depends.push((line, legacy_name, planned.type_name, id, deps));
        }
    }
    // Second pass: `depends` by legacy name, exact where the target was
    // imported, by name otherwise (reported as missing when resolved).
    for (line, legacy_name, type_name, id, deps) in depends {
        let links: Vec<Value> = deps
            .iter()
            .map(|d| match by_legacy_name.get(d) {
                Some((t, target)) => json!(format!("/artifacts/{t}/{target}")),
                None => json!({"name": d}),
            })
            .collect();
        let current = artifacts::get(catalog, &caller, type_name, &id)
            .await
            .map(|v| v.field("depends").cloned().unwrap_or_default());
        if current.as_ref().ok() == Some(&Value::Array(links.clone())) {
            continue;
        }
        if let Err(e) = patch(
            catalog,
            &caller,
            type_name,
            &id,
            json!([{"op": "add", "path": "/depends", "value": links}]),
        )
        .await
        {
            report.failed.push(Failure {
                name: legacy_name,
                line,
                error: format!("depends: {}", message(&e)),
            });
        }
    }
    for (legacy_name, line, type_name, id, counts) in to_deactivate {
        let ops = json!([{"op": "replace", "path": "/status", "value": DEACTIVATED}]);
        match patch(catalog, &caller, type_name, &id, ops).await {
            Ok(_) if counts => report.updated += 1,
            Ok(_) => {}
            Err(e) => report.failed.push(Failure {
                name: legacy_name,
                line,
                error: message(&e),
            }),
        }
    }
    progress(total, total, "");
    Ok(report)
}

/// Finds Murano packages under `path`: a `.zip`, a directory with a
/// `manifest.yaml`, or a tree holding such directories.
pub fn find_packages(path: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        if dir.join("manifest.yaml").is_file() {
            out.push(dir.to_owned());
            return;
        }
        if depth == 0 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, depth - 1, out);
            } else if p.extension().is_some_and(|e| e == "zip") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    if path.is_file() {
        out.push(path.to_owned());
    } else {
        walk(path, 8, &mut out);
    }
    out
}

fn image_type(name: &str) -> &'static str {
    match name
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        Some("gif") => "image/gif",
        _ => "image/png",
    }
}

async fn file_stream(
    path: &Path,
) -> std::io::Result<tokio_util::io::ReaderStream<tokio::fs::File>> {
    Ok(tokio_util::io::ReaderStream::new(
        tokio::fs::File::open(path).await?,
    ))
}

/// Imports Murano packages (zip archives or unpacked directories) into
/// `tenant`: fields from the manifest, the archive as the `package` blob,
/// the logo as the icon; active, and public when `public`.
pub async fn import_murano(
    catalog: &Catalog,
    tenant: &str,
    paths: &[PathBuf],
    public: bool,
    progress: Progress<'_>,
) -> Report {
    let caller = Caller::system(tenant);
    let mut report = Report::default();
    let packages: Vec<PathBuf> = paths.iter().flat_map(|p| find_packages(p)).collect();
    let total = packages.len();
    for (i, path) in packages.iter().enumerate() {
        let label = path.display().to_string();
        progress(i, total, &label);
        match import_one_package(catalog, &caller, tenant, path, public).await {
            Ok(true) => report.created += 1,
            Ok(false) => report.unchanged += 1,
            Err(error) => report.failed.push(Failure {
                name: label,
                line: 0,
                error,
            }),
        }
    }
    progress(total, total, "");
    report
}

async fn import_one_package(
    catalog: &Catalog,
    caller: &Caller,
    tenant: &str,
    path: &Path,
    public: bool,
) -> Result<bool, String> {
    // An unpacked package is zipped first: the blob is always an archive.
    let (archive, _keep) = if path.is_dir() {
        let dir = path.to_owned();
        let tmp = tokio::task::spawn_blocking(move || murano::zip_dir(&dir))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        (tmp.path().to_owned(), Some(tmp))
    } else {
        (path.to_owned(), None)
    };
    let reader = archive.clone();
    let package = tokio::task::spawn_blocking(move || {
        std::fs::File::open(&reader)
            .map_err(|e| e.to_string())
            .and_then(|f| murano::read_zip(f).map_err(|e| e.to_string()))
    })
    .await
    .map_err(|e| e.to_string())??;
    let m = &package.manifest;
    let version =
        parse_version(m.version.as_deref().unwrap_or("0.0.0")).map_err(|e| e.to_string())?;
    if artifacts::find_by_name(catalog, "murano_packages", tenant, &m.full_name, &version)
        .await
        .map_err(|e| message(&e))?
        .is_some()
    {
        return Ok(false);
    }
    let mut body = murano::fields(m);
    body.insert("name".into(), json!(m.full_name));
    body.insert("version".into(), json!(version.to_string()));
    if let Some(d) = &m.description {
        body.insert(
            "description".into(),
            json!(
                d.chars()
                    .take(artifacts::MAX_DESCRIPTION)
                    .collect::<String>()
            ),
        );
    }
    let created = artifacts::create(catalog, caller, "murano_packages", Value::Object(body))
        .await
        .map_err(|e| message(&e))?;
    let id = created.id.clone();
    let result = async {
        let size = tokio::fs::metadata(&archive)
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .len();
        let stream = file_stream(&archive)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        blobs::upload(
            catalog,
            caller,
            "murano_packages",
            &id,
            "package",
            None,
            Some("application/zip"),
            Some(size),
            stream,
        )
        .await?;
        if let Some(logo) = &package.logo {
            let name = m.logo.clone().unwrap_or_else(|| "logo.png".to_owned());
            let bytes = bytes::Bytes::from(logo.clone());
            let stream = futures::stream::iter([Ok::<_, std::io::Error>(bytes)]);
            blobs::upload(
                catalog,
                caller,
                "murano_packages",
                &id,
                "icon",
                None,
                Some(image_type(&name)),
                Some(logo.len() as u64),
                stream,
            )
            .await?;
        }
        patch(
            catalog,
            caller,
            "murano_packages",
            &id,
            json!([{"op": "replace", "path": "/status", "value": ACTIVE}]),
        )
        .await?;
        if public {
            patch(
                catalog,
                caller,
                "murano_packages",
                &id,
                json!([{"op": "replace", "path": "/visibility", "value": PUBLIC}]),
            )
            .await?;
        }
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = result {
        let _ = artifacts::delete(catalog, caller, "murano_packages", &id).await;
        return Err(message(&e));
    }
    Ok(true)
}
