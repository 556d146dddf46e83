//! Murano packages: reading a package (zip archive or unpacked directory)
//! defensively, and turning its `manifest.yaml` into artifact fields. This
//! is the `murano_package` behaviour of a type: it runs when a package blob
//! is uploaded and when packages are imported.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use serde_norway::Value as Yaml;

/// Most entries a package archive may have.
pub const MAX_ENTRIES: usize = 10_000;
/// Most bytes a package may unpack to.
pub const MAX_UNPACKED: u64 = 512 * 1024 * 1024;
/// Largest manifest or logo read into memory.
pub const MAX_MEMBER: u64 = 4 * 1024 * 1024;
/// An entry that unpacks to more than this many times its packed size (and
/// to more than 1 MiB) is taken for a zip bomb.
pub const MAX_RATIO: u64 = 200;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PackageError {
    #[error("not a zip archive: {0}")]
    NotZip(String),
    #[error("the archive has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    #[error("the archive unpacks to more than {MAX_UNPACKED} bytes (zip bomb?)")]
    TooLarge,
    #[error("entry '{0}' is compressed more than {MAX_RATIO} times (zip bomb?)")]
    Bomb(String),
    #[error("entry '{0}' has an unsafe path (absolute or with '..')")]
    UnsafePath(String),
    #[error("the package has no manifest.yaml")]
    NoManifest,
    #[error("manifest.yaml: {0}")]
    Manifest(String),
    #[error("{0}")]
    Io(String),
}

impl From<std::io::Error> for PackageError {
    fn from(e: std::io::Error) -> Self {
        PackageError::Io(e.to_string())
    }
}

/// What a Murano manifest says.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub full_name: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub package_type: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub tags: Vec<String>,
    pub classes: Vec<String>,
    /// Required packages with their (Murano-style) version requirement.
    pub require: Vec<(String, String)>,
    pub format: Option<String>,
    pub logo: Option<String>,
}

fn text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses `manifest.yaml`.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, PackageError> {
    if bytes.len() as u64 > MAX_MEMBER {
        return Err(PackageError::Manifest("larger than 4 MiB".to_owned()));
    }
    crate::input::check_structure(bytes, MAX_MEMBER as usize, "the manifest")
        .map_err(PackageError::Manifest)?;
    let doc: Yaml =
        serde_norway::from_slice(bytes).map_err(|e| PackageError::Manifest(e.to_string()))?;
    let Yaml::Mapping(map) = doc else {
        return Err(PackageError::Manifest("not a mapping".to_owned()));
    };
    let get = |k: &str| map.get(Yaml::String(k.to_owned()));
    let full_name = get("FullName")
        .and_then(text)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| PackageError::Manifest("FullName is missing".to_owned()))?;
    let list = |k: &str| -> Vec<String> {
        match get(k) {
            Some(Yaml::Sequence(items)) => items.iter().filter_map(text).collect(),
            Some(v) => text(v)
                .map(|s| {
                    s.split(',')
                        .map(|t| t.trim().to_owned())
                        .filter(|t| !t.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            None => vec![],
        }
    };
    let classes = match get("Classes") {
        Some(Yaml::Mapping(m)) => m.keys().filter_map(text).collect(),
        _ => vec![],
    };
    let require = match get("Require") {
        Some(Yaml::Mapping(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((text(k)?, text(v).unwrap_or_default())))
            .collect(),
        Some(Yaml::Sequence(items)) => items
            .iter()
            .filter_map(text)
            .map(|k| (k, String::new()))
            .collect(),
        _ => vec![],
    };
    Ok(Manifest {
        full_name: full_name.trim().to_owned(),
        name: get("Name").and_then(text),
        version: get("Version").and_then(text),
        package_type: get("Type").and_then(text),
        description: get("Description").and_then(text),
        author: get("Author").and_then(text),
        tags: list("Tags"),
        classes,
        require,
        format: get("Format").and_then(text),
        logo: get("Logo").and_then(text),
    })
}

/// A package read from an archive: its manifest and logo.
#[derive(Debug)]
pub struct Package {
    pub manifest: Manifest,
    pub logo: Option<Vec<u8>>,
}

/// Reads a package archive, refusing path traversal, too many entries, too
/// much unpacked data and zip bombs. Every entry is checked, not only the
/// ones read, so a bad archive is refused as a whole.
pub fn read_zip<R: Read + Seek>(reader: R) -> Result<Package, PackageError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| PackageError::NotZip(e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(PackageError::TooManyEntries);
    }
    let mut total: u64 = 0;
    let mut manifest_index = None;
    let mut names = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| PackageError::NotZip(e.to_string()))?;
        let raw_name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| "(undecodable name)".to_owned());
        let Some(path) = entry
            .enclosed_name()
            .filter(|_| !raw_name.starts_with('/') && !raw_name.contains('\\'))
        else {
            return Err(PackageError::UnsafePath(raw_name));
        };
        total = total.saturating_add(entry.size());
        if total > MAX_UNPACKED {
            return Err(PackageError::TooLarge);
        }
        if entry.size() > 1024 * 1024 && entry.size() / entry.compressed_size().max(1) > MAX_RATIO {
            return Err(PackageError::Bomb(raw_name));
        }
        if path == Path::new("manifest.yaml") {
            manifest_index = Some(i);
        }
        names.push(path);
    }
    let read_member = |zip: &mut zip::ZipArchive<R>, i: usize| -> Result<Vec<u8>, PackageError> {
        let entry = zip
            .by_index(i)
            .map_err(|e| PackageError::NotZip(e.to_string()))?;
        let mut out = Vec::new();
        // Declared sizes can lie: never read past the limit.
        entry.take(MAX_MEMBER + 1).read_to_end(&mut out)?;
        if out.len() as u64 > MAX_MEMBER {
            return Err(PackageError::TooLarge);
        }
        Ok(out)
    };
    let manifest_index = manifest_index.ok_or(PackageError::NoManifest)?;
    let manifest = parse_manifest(&read_member(&mut zip, manifest_index)?)?;
    let logo_name = manifest
        .logo
        .clone()
        .unwrap_or_else(|| "logo.png".to_owned());
    let logo = match names.iter().position(|p| p == Path::new(&logo_name)) {
        Some(i) => Some(read_member(&mut zip, i)?),
        None => None,
    };
    Ok(Package { manifest, logo })
}

/// Packs an unpacked package directory into a zip archive (regular files
/// only; symbolic links are not followed).
pub fn zip_dir(dir: &Path) -> Result<tempfile::NamedTempFile, PackageError> {
    let mut out = tempfile::NamedTempFile::new()?;
    {
        let mut zip = zip::ZipWriter::new(out.as_file_mut());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut files = Vec::new();
        collect_files(dir, dir, &mut files)?;
        if files.len() > MAX_ENTRIES {
            return Err(PackageError::TooManyEntries);
        }
        let mut total = 0u64;
        for (rel, path) in files {
            total += std::fs::metadata(&path)?.len();
            if total > MAX_UNPACKED {
                return Err(PackageError::TooLarge);
            }
            zip.start_file(rel, options)
                .map_err(|e| PackageError::Io(e.to_string()))?;
            std::io::copy(&mut std::fs::File::open(&path)?, &mut zip)?;
        }
        zip.finish().map_err(|e| PackageError::Io(e.to_string()))?;
    }
    out.as_file_mut().flush()?;
    Ok(out)
}

fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), PackageError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            collect_files(root, &path, out)?;
        } else if kind.is_file() {
            let rel = path
                .strip_prefix(root)
                .map_err(|e| PackageError::Io(e.to_string()))?;
            out.push((rel.to_string_lossy().replace('\\', "/"), path));
        }
    }
    Ok(())
}

/// The artifact fields a manifest gives a `murano_packages` artifact.
pub fn fields(m: &Manifest) -> Map<String, Value> {
    let mut f = Map::new();
    if let Some(t) = m
        .package_type
        .as_deref()
        .filter(|t| matches!(*t, "Application" | "Library"))
    {
        f.insert("type".into(), json!(t));
    }
    if let Some(n) = &m.name {
        f.insert(
            "display_name".into(),
            json!(n.chars().take(255).collect::<String>()),
        );
    }
    if let Some(a) = &m.author {
        f.insert(
            "author".into(),
            json!(a.chars().take(255).collect::<String>()),
        );
    }
    if let Some(fmt) = &m.format {
        f.insert(
            "format".into(),
            json!(fmt.chars().take(64).collect::<String>()),
        );
    }
    let tags: Vec<String> = m
        .tags
        .iter()
        .filter(|t| !t.contains(',') && !t.contains('/'))
        .take(100)
        .cloned()
        .collect();
    if !tags.is_empty() {
        f.insert("tags".into(), json!(tags));
    }
    if !m.classes.is_empty() {
        f.insert(
            "class_definitions".into(),
            json!(m.classes.iter().take(500).collect::<Vec<_>>()),
        );
    }
    let requires: Vec<Value> = m
        .require
        .iter()
        .map(|(name, version)| json!({"name": name, "version": version}))
        .collect();
    if !requires.is_empty() {
        f.insert("requires".into(), Value::Array(requires));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                z.start_file(*name, o).expect("start");
                z.write_all(data).expect("write");
            }
            z.finish().expect("finish");
        }
        buf.into_inner()
    }

    const MANIFEST: &[u8] = b"Format: 1.3\nType: Application\nFullName: com.example.App\nName: App\nVersion: 1.2\nTags: [a, b]\nClasses:\n  com.example.App: App.yaml\nRequire:\n  io.murano.apps.Lib:\n  io.murano.Other: 2.0.0\n";

    #[test]
    fn reads_a_package() {
        let p = read_zip(Cursor::new(zip_of(&[
            ("manifest.yaml", MANIFEST),
            ("logo.png", b"png"),
        ])))
        .expect("reads");
        assert_eq!(p.manifest.full_name, "com.example.App");
        assert_eq!(p.manifest.version.as_deref(), Some("1.2"));
        assert_eq!(
            p.manifest.require,
            vec![
                ("io.murano.apps.Lib".to_owned(), String::new()),
                ("io.murano.Other".to_owned(), "2.0.0".to_owned())
            ]
        );
        assert_eq!(p.logo.as_deref(), Some(&b"png"[..]));
        let f = fields(&p.manifest);
        assert_eq!(
            f["requires"][1],
            json!({"name": "io.murano.Other", "version": "2.0.0"})
        );
        assert_eq!(f["class_definitions"], json!(["com.example.App"]));
    }

    #[test]
    fn refuses_bad_archives() {
        assert!(matches!(
            read_zip(Cursor::new(b"not a zip".to_vec())),
            Err(PackageError::NotZip(_))
        ));
        assert_eq!(
            read_zip(Cursor::new(zip_of(&[("readme", b"x")]))).err(),
            Some(PackageError::NoManifest)
        );
        assert!(matches!(
            read_zip(Cursor::new(zip_of(&[
                ("../evil", b"x"),
                ("manifest.yaml", MANIFEST)
            ]))),
            Err(PackageError::UnsafePath(_))
        ));
        assert!(matches!(
            read_zip(Cursor::new(zip_of(&[
                ("/etc/passwd", b"x"),
                ("manifest.yaml", MANIFEST)
            ]))),
            Err(PackageError::UnsafePath(_))
        ));
        let zeros = vec![0u8; 8 * 1024 * 1024];
        assert!(matches!(
            read_zip(Cursor::new(zip_of(&[
                ("manifest.yaml", MANIFEST),
                ("bomb", &zeros)
            ]))),
            Err(PackageError::Bomb(_))
        ));
        assert!(matches!(
            parse_manifest(b"Name: x\n"),
            Err(PackageError::Manifest(_))
        ));
        assert!(matches!(
            parse_manifest(b"[1, 2"),
            Err(PackageError::Manifest(_))
        ));
    }

    #[test]
    fn yaml_alias_bombs_are_refused() {
        let mut bomb =
            String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
        for i in 1..12 {
            let prev = (b'a' + (i - 1) as u8) as char;
            let cur = (b'a' + i as u8) as char;
            bomb.push_str(&format!("{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        bomb.push_str("FullName: x\n");
        assert!(matches!(
            parse_manifest(bomb.as_bytes()),
            Err(PackageError::Manifest(_))
        ));
    }
}
