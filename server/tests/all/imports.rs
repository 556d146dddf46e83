//! The importers on the real shared data, and the dependency numbers they
//! give, checked against numbers derived here independently from the files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use appcat::caller::Role;
use appcat::services::import;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use serde_norway::Value as Yaml;

use crate::builders::TestCatalog;
use crate::common::TestApp;
use crate::shared_data;

fn no_progress(_: usize, _: usize, _: &str) {}

fn assets(dir: &std::path::Path) -> Vec<Yaml> {
    let text = std::fs::read_to_string(dir.join("app-catalog/assets.yaml")).expect("assets.yaml");
    let doc: Yaml = serde_norway::from_str(&text).expect("yaml");
    doc["assets"].as_sequence().expect("list").clone()
}

fn s(v: &Yaml) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Strongly connected components with a cycle (Tarjan), as node sets.
fn cyclic_components(graph: &BTreeMap<String, Vec<String>>) -> BTreeSet<BTreeSet<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, Vec<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on: BTreeSet<String>,
        next: usize,
        out: BTreeSet<BTreeSet<String>>,
    }
    fn strong(t: &mut T, v: &str) {
        t.index.insert(v.to_owned(), t.next);
        t.low.insert(v.to_owned(), t.next);
        t.next += 1;
        t.stack.push(v.to_owned());
        t.on.insert(v.to_owned());
        for w in t.g.get(v).cloned().unwrap_or_default() {
            if !t.index.contains_key(&w) {
                strong(t, &w);
                let lw = t.low[&w];
                let lv = t.low[v];
                t.low.insert(v.to_owned(), lv.min(lw));
            } else if t.on.contains(&w) {
                let iw = t.index[&w];
                let lv = t.low[v];
                t.low.insert(v.to_owned(), lv.min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = BTreeSet::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(&w);
                comp.insert(w.clone());
                if w == v {
                    break;
                }
            }
            let self_loop = t.g.get(v).is_some_and(|e| e.iter().any(|x| x == v));
            if comp.len() > 1 || self_loop {
                t.out.insert(comp);
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: vec![],
        on: BTreeSet::new(),
        next: 0,
        out: BTreeSet::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            strong(&mut t, v);
        }
    }
    t.out
}

#[tokio::test]
async fn legacy_catalog_imports_completely_idempotently_with_the_right_dependency_numbers() {
    let Some(dir) = shared_data::dir() else {
        return;
    };
    let app = TestCatalog::new()
        .admin_with("root", "openstack", "read")
        .build()
        .await;
    let admin = app.token("root").to_owned();
    let text = std::fs::read(dir.join("app-catalog/assets.yaml")).expect("read");
    let dead = std::fs::read(dir.join("app-catalog/assets_dead.yaml")).expect("read");
    let report =
        import::import_app_catalog(&app.catalog, "openstack", &text, Some(&dead), &no_progress)
            .await
            .expect("import");
    let items = assets(&dir);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.created, items.len());

    // Counts per type, from the file.
    let mut by_service: BTreeMap<String, usize> = BTreeMap::new();
    for a in &items {
        *by_service.entry(s(&a["service"]["type"])).or_default() += 1;
    }
    for (service, type_name) in [
        ("glance", "images"),
        ("heat", "heat_templates"),
        ("murano", "murano_packages"),
        ("bundle", "bundles"),
        ("tosca", "tosca_templates"),
    ] {
        let (_, v) = app
            .get(
                &format!("/api/v1/artifacts/{type_name}?limit=1"),
                Some(&admin),
            )
            .await;
        assert_eq!(
            v["total_count"],
            by_service.get(service).copied().unwrap_or(0),
            "{type_name}"
        );
    }
    // Dead assets are deactivated, hence hidden from visitors.
    let dead_doc: Yaml = serde_norway::from_slice(&dead).expect("dead");
    let dead_names: Vec<String> = dead_doc["assets"]
        .as_mapping()
        .expect("map")
        .keys()
        .map(s)
        .collect();
    let (_, v) = app
        .get(
            "/api/v1/artifacts/all?status=deactivated&limit=100",
            Some(&admin),
        )
        .await;
    let deactivated: Vec<&Value> = v["artifacts"].as_array().expect("list").iter().collect();
    let expected_dead = items
        .iter()
        .filter(|a| dead_names.contains(&s(&a["name"])) || a["active"].as_bool() == Some(false))
        .count();
    assert_eq!(deactivated.len(), expected_dead);
    let (_, v) = app.get("/api/v1/artifacts/all?limit=1", None).await;
    assert_eq!(
        v["total_count"],
        items.len() - expected_dead,
        "visitors see the active, public ones"
    );

    // One glance asset in detail: fields and the external image with its MD5.
    let hyper = items
        .iter()
        .find(|a| s(&a["name"]).starts_with("Hyperglance"))
        .expect("Hyperglance");
    let (_, v) = app
        .get(
            &format!(
                "/api/v1/artifacts/images?name={}",
                urlencode(&s(&hyper["name"]))
            ),
            Some(&admin),
        )
        .await;
    let art = &v["artifacts"][0];
    assert_eq!(art["disk_format"], "qcow2");
    assert_eq!(art["min_ram"], 2048);
    assert_eq!(art["license"], "Other");
    assert_eq!(art["provided_by"]["company"], "Hyperglance LTD.");
    assert_eq!(art["image"]["external"], true);
    assert_eq!(art["image"]["url"], s(&hyper["attributes"]["url"]));
    assert_eq!(art["image"]["md5"], s(&hyper["hash"]));
    assert_eq!(art["icon_layout"]["height"], 72.0);
    assert_eq!(
        art["attributes"]["hyperglance docs"],
        "https://support.hyperglance.com"
    );
    assert_eq!(art["visibility"], "public");

    // `depends`: edges, dangling targets and cycles, from the file...
    let names: BTreeSet<String> = items.iter().map(|a| s(&a["name"])).collect();
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut edges = 0;
    let mut dangling = 0;
    for a in &items {
        for d in a["depends"].as_sequence().into_iter().flatten() {
            edges += 1;
            let target = s(&d["name"]);
            if !names.contains(&target) {
                dangling += 1;
            }
            graph.entry(s(&a["name"])).or_default().push(target);
        }
    }
    let cyclic_by_file: BTreeSet<String> =
        cyclic_components(&graph).into_iter().flatten().collect();
    // ... and from the catalog.
    let (_, all) = app
        .get("/api/v1/artifacts/all?limit=1000", Some(&admin))
        .await;
    let mut api_edges = 0;
    let mut api_dangling = 0;
    let mut cyclic_by_api = BTreeSet::new();
    let mut id_to_name = BTreeMap::new();
    for a in all["artifacts"].as_array().expect("list") {
        let legacy = a["display_name"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| a["name"].as_str().unwrap_or_default().to_owned());
        id_to_name.insert(a["id"].as_str().unwrap_or_default().to_owned(), legacy);
    }
    for a in all["artifacts"].as_array().expect("list") {
        let uri = format!(
            "/api/v1/artifacts/{}/{}/dependencies",
            a["type_name"].as_str().unwrap_or(""),
            a["id"].as_str().unwrap_or("")
        );
        let (s_, g) = app.get(&uri, Some(&admin)).await;
        assert_eq!(s_, StatusCode::OK);
        for e in g["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .filter(|e| e["from"] == a["id"] && e["field"] == "depends")
        {
            api_edges += 1;
            if e["status"] == "missing" {
                api_dangling += 1;
            }
        }
        for cycle in g["cycles"].as_array().expect("cycles") {
            for id in cycle.as_array().expect("ids") {
                cyclic_by_api.insert(id_to_name[id.as_str().unwrap_or_default()].clone());
            }
        }
    }
    assert_eq!(api_edges, edges);
    assert_eq!(api_dangling, dangling);
    assert_eq!(cyclic_by_api, cyclic_by_file);
    eprintln!(
        "legacy depends: {edges} edges, {dangling} dangling, {} artifacts on cycles",
        cyclic_by_file.len()
    );

    // A second run changes nothing.
    let again =
        import::import_app_catalog(&app.catalog, "openstack", &text, Some(&dead), &no_progress)
            .await
            .expect("import");
    assert_eq!(
        (
            again.created,
            again.updated,
            again.unchanged,
            again.failed.len()
        ),
        (0, 0, items.len(), 0)
    );
    let (_, after) = app
        .get("/api/v1/artifacts/all?limit=1000", Some(&admin))
        .await;
    assert_eq!(after, all, "a second import changes nothing");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Murano manifests as the test reads them: FullName → required names.
fn manifest_versions(dir: &std::path::Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for path in import::find_packages(&dir.join("murano")) {
        let doc: Yaml = serde_norway::from_str(
            &std::fs::read_to_string(path.join("manifest.yaml")).expect("read"),
        )
        .expect("yaml");
        let version = match &doc["Version"] {
            Yaml::Null => "0.0.0".to_owned(),
            Yaml::Number(n) => n.to_string(),
            v => s(v),
        };
        out.insert(s(&doc["FullName"]), version);
    }
    out
}

fn manifests(dir: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for path in import::find_packages(&dir.join("murano")) {
        let text = std::fs::read_to_string(path.join("manifest.yaml")).expect("manifest");
        let doc: Yaml = serde_norway::from_str(&text).expect("yaml");
        let requires = doc["Require"]
            .as_mapping()
            .map(|m| m.keys().map(s).collect())
            .unwrap_or_default();
        out.insert(s(&doc["FullName"]), requires);
    }
    out
}

#[tokio::test]
async fn murano_packages_import_with_requires_resolved_by_murano_rules() {
    let Some(dir) = shared_data::dir() else {
        return;
    };
    let app = TestCatalog::new()
        .admin_with("root", "openstack", "read")
        .build()
        .await;
    let admin = app.token("root").to_owned();
    let report = import::import_murano(
        &app.catalog,
        "openstack",
        &[dir.join("murano")],
        true,
        &no_progress,
    )
    .await;
    let expected = manifests(&dir);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.created, expected.len());
    let again = import::import_murano(
        &app.catalog,
        "openstack",
        &[dir.join("murano")],
        true,
        &no_progress,
    )
    .await;
    assert_eq!((again.created, again.unchanged), (0, expected.len()));

    // From the files: edges, dangling targets, implicit io.murano edges, cycles.
    let edges: usize = expected.values().map(Vec::len).sum();
    let dangling = expected
        .values()
        .flatten()
        .filter(|r| !expected.contains_key(*r))
        .count();
    let implicit = expected
        .iter()
        .filter(|(n, r)| n.as_str() != "io.murano" && !r.iter().any(|x| x == "io.murano"))
        .count();
    let mut graph: BTreeMap<String, Vec<String>> = expected.clone();
    for (n, r) in graph.iter_mut() {
        if n != "io.murano" && !r.iter().any(|x| x == "io.murano") {
            r.push("io.murano".to_owned());
        }
    }
    let cyclic_by_file: BTreeSet<String> =
        cyclic_components(&graph).into_iter().flatten().collect();

    let (_, all) = app
        .get("/api/v1/artifacts/murano_packages?limit=1000", Some(&admin))
        .await;
    let list = all["artifacts"].as_array().expect("list");
    assert_eq!(list.len(), expected.len());
    let names: BTreeMap<String, String> = list
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap_or_default().to_owned(),
                a["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let (mut api_edges, mut api_dangling, mut api_implicit, mut api_no_match) = (0, 0, 0, 0);
    // Requirements whose target exists at a version they do not accept,
    // by Murano's rules, read here straight from the manifests.
    let versions = manifest_versions(&dir);
    let mut no_match = 0;
    for path in import::find_packages(&dir.join("murano")) {
        let doc: Yaml = serde_norway::from_str(
            &std::fs::read_to_string(path.join("manifest.yaml")).expect("read"),
        )
        .expect("yaml");
        for (name, spec) in doc["Require"].as_mapping().into_iter().flatten() {
            let Some(have) = versions.get(&s(name)) else {
                continue;
            };
            let have: Vec<u64> = have.split('.').map(|p| p.parse().unwrap_or(0)).collect();
            let spec = spec.as_str().unwrap_or("").trim().to_owned();
            let ok = if spec.is_empty() {
                have[0] < 1
            } else if let Some(min) = spec.strip_prefix(">=") {
                let min: Vec<u64> = min.split('.').map(|p| p.parse().unwrap_or(0)).collect();
                have >= min
            } else {
                let want: Vec<u64> = spec.split('.').map(|p| p.parse().unwrap_or(0)).collect();
                have >= want && have[..2] == want[..2]
            };
            if !ok {
                no_match += 1;
            }
        }
    }
    let mut cyclic_by_api = BTreeSet::new();
    for a in list {
        // Fields came from the manifest; the archive and logo are blobs.
        assert!(
            a["package"]["size"].as_u64().is_some_and(|n| n > 0),
            "{}",
            a["name"]
        );
        assert_eq!(a["package"]["content_type"], "application/zip");
        let (_, g) = app
            .get(
                &format!(
                    "/api/v1/artifacts/murano_packages/{}/dependencies",
                    a["id"].as_str().unwrap_or("")
                ),
                Some(&admin),
            )
            .await;
        for e in g["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .filter(|e| e["from"] == a["id"])
        {
            if e["implicit"] == true {
                api_implicit += 1;
                assert_eq!(e["status"], "resolved", "io.murano is in the data set");
            } else {
                api_edges += 1;
                if e["status"] == "missing" {
                    api_dangling += 1;
                }
                if e["status"] == "no_matching_version" {
                    api_no_match += 1;
                }
            }
        }
        for cycle in g["cycles"].as_array().expect("cycles") {
            for id in cycle.as_array().expect("ids") {
                cyclic_by_api.insert(names[id.as_str().unwrap_or_default()].clone());
            }
        }
    }
    assert_eq!(api_edges, edges);
    assert_eq!(
        api_no_match, no_match,
        "Murano's rules: an empty requirement is <1.0.0"
    );
    assert_eq!(api_dangling, dangling);
    assert_eq!(api_implicit, implicit);
    assert_eq!(cyclic_by_api, cyclic_by_file);
    eprintln!(
        "murano requires: {edges} edges, {dangling} dangling, {implicit} implicit io.murano, {} on cycles",
        cyclic_by_file.len()
    );

    // Reverse dependencies: everything requires io.murano.
    let core = list
        .iter()
        .find(|a| a["name"] == "io.murano")
        .expect("io.murano");
    let (_, d) = app
        .get(
            &format!(
                "/api/v1/artifacts/murano_packages/{}/dependents",
                core["id"].as_str().unwrap_or("")
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(
        d["dependents"].as_array().expect("list").len(),
        expected.len() - 1
    );
}

#[tokio::test]
async fn resolution_follows_murano_rules_visibility_and_reports_cycles() {
    let app = TestCatalog::new()
        .user("alice", "acme", Role::Admin)
        .user("bob", "beta", Role::Admin)
        .build()
        .await;
    let t = app.token("alice").to_owned();
    let other = app.token("bob").to_owned();
    for (name, version) in [
        ("lib", "0.9.0"),
        ("lib", "1.0.3"),
        ("lib", "1.1.0"),
        ("io.murano", "0.0.0"),
    ] {
        app.create(
            "murano_packages",
            &t,
            json!({"name": name, "version": version}),
        )
        .await;
    }
    let app_id = app
        .create("murano_packages", &t, json!({"name": "app", "requires": [{"name": "lib", "version": "1.0.0"}, {"name": "lib", "version": ""}, {"name": "ghost"}]}))
        .await;
    let (s_, g) = app
        .get(
            &format!("/api/v1/artifacts/murano_packages/{app_id}/dependencies"),
            Some(&t),
        )
        .await;
    assert_eq!(s_, StatusCode::OK, "{g}");
    let direct: Vec<&Value> = g["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["from"] == app_id.as_str())
        .collect();
    // `1.0.0` means >=1.0.0, <1.1.0; empty means >=0.0.0, <1.0.0.
    assert_eq!(direct[0]["to"]["version"], "1.0.3");
    assert_eq!(direct[1]["to"]["version"], "0.9.0");
    assert_eq!(direct[2]["status"], "missing");
    assert_eq!(direct[3]["implicit"], true);
    assert_eq!(direct[3]["to"]["name"], "io.murano");
    assert_eq!(g["unresolved"], 1);
    // Another tenant does not see acme's packages: to it they are missing
    // (it cannot tell an invisible artifact from one that does not exist).
    let mine = app
        .create(
            "murano_packages",
            &other,
            json!({"name": "b-app", "requires": [{"name": "lib"}]}),
        )
        .await;
    let (_, g) = app
        .get(
            &format!("/api/v1/artifacts/murano_packages/{mine}/dependencies"),
            Some(&other),
        )
        .await;
    assert_eq!(g["edges"][0]["status"], "missing");
    // A requirement no version meets.
    let picky = app
        .create(
            "murano_packages",
            &t,
            json!({"name": "picky", "requires": [{"name": "lib", "version": ">=5.0"}]}),
        )
        .await;
    let (_, g) = app
        .get(
            &format!("/api/v1/artifacts/murano_packages/{picky}/dependencies"),
            Some(&t),
        )
        .await;
    assert_eq!(g["edges"][0]["status"], "no_matching_version");
    // A cycle is reported, not followed forever.
    let a = app.create("bundles", &t, json!({"name": "ring-a"})).await;
    let b = app
        .create(
            "bundles",
            &t,
            json!({"name": "ring-b", "depends": [format!("/artifacts/bundles/{a}")]}),
        )
        .await;
    let (s_, _) = app
        .patch(&format!("/api/v1/artifacts/bundles/{a}"), Some(&t), json!([{"op": "add", "path": "/depends", "value": [format!("/artifacts/bundles/{b}")]}]))
        .await;
    assert_eq!(s_, StatusCode::OK);
    let (_, g) = app
        .get(
            &format!("/api/v1/artifacts/bundles/{a}/dependencies"),
            Some(&t),
        )
        .await;
    assert_eq!(g["cycles"].as_array().expect("cycles").len(), 1);
    assert_eq!(g["nodes"].as_array().expect("nodes").len(), 2);
    let (_, d) = app
        .get(
            &format!("/api/v1/artifacts/bundles/{a}/dependents"),
            Some(&t),
        )
        .await;
    assert_eq!(d["dependents"][0]["artifact"]["id"], b);
    // Bad requirements are refused on input.
    let (s_, _) = app
        .call(
            Method::POST,
            "/api/v1/artifacts/murano_packages",
            Some(&t),
            Some(json!({"name": "x", "requires": [{"name": "lib", "version": ">>1"}]})),
        )
        .await;
    assert_eq!(s_, StatusCode::BAD_REQUEST);
    let (s_, _) = app
        .call(
            Method::POST,
            "/api/v1/artifacts/murano_packages",
            Some(&t),
            Some(json!({"name": "x", "requires": [{"version": "1"}]})),
        )
        .await;
    assert_eq!(s_, StatusCode::BAD_REQUEST);
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
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

const MANIFEST: &[u8] = b"Format: 1.3\nType: Application\nFullName: com.example.Uploaded\nName: Uploaded app\nVersion: 2.1.0\nDescription: From the manifest\nTags: [web]\nClasses:\n  com.example.Uploaded: Uploaded.yaml\nRequire:\n  com.example.Lib: 1.0.0\n";

#[tokio::test]
async fn package_uploads_fill_fields_and_bad_archives_are_refused() {
    let app = TestCatalog::new()
        .user("alice", "acme", Role::Admin)
        .build()
        .await;
    let t = app.token("alice").to_owned();
    let id = app
        .create("murano_packages", &t, json!({"name": "placeholder"}))
        .await;
    let uri = format!("/api/v1/artifacts/murano_packages/{id}");
    let zeros = vec![0u8; 16 * 1024 * 1024];
    for (what, data) in [
        ("not a zip", b"plain text".to_vec()),
        ("no manifest", zip_of(&[("readme.txt", b"hi")])),
        (
            "path traversal",
            zip_of(&[("manifest.yaml", MANIFEST), ("../../etc/cron.d/x", b"x")]),
        ),
        (
            "zip bomb",
            zip_of(&[("manifest.yaml", MANIFEST), ("bomb.bin", &zeros)]),
        ),
        (
            "broken manifest",
            zip_of(&[("manifest.yaml", b"FullName: [unclosed")]),
        ),
    ] {
        let (s_, v) = app
            .put_blob(&format!("{uri}/package"), Some(&t), "application/zip", data)
            .await;
        assert_eq!(s_, StatusCode::BAD_REQUEST, "{what}: {v}");
        let (_, art) = app.get(&uri, Some(&t)).await;
        assert_eq!(art["package"], Value::Null, "{what}: no blob left");
        assert_eq!(art["name"], "placeholder", "{what}: nothing changed");
    }
    let (s_, v) = app
        .put_blob(
            &format!("{uri}/package"),
            Some(&t),
            "application/zip",
            zip_of(&[("manifest.yaml", MANIFEST), ("logo.png", b"png")]),
        )
        .await;
    assert_eq!(s_, StatusCode::OK, "{v}");
    assert_eq!(v["name"], "com.example.Uploaded");
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["display_name"], "Uploaded app");
    assert_eq!(v["description"], "From the manifest");
    assert_eq!(
        v["requires"],
        json!([{"name": "com.example.Lib", "version": "1.0.0"}])
    );
    assert_eq!(v["class_definitions"], json!(["com.example.Uploaded"]));

    // The importer refuses the same archives, names them, and goes on.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bomb.zip"),
        zip_of(&[("manifest.yaml", MANIFEST), ("bomb.bin", &zeros)]),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("evil.zip"),
        zip_of(&[("manifest.yaml", MANIFEST), ("/abs", b"x")]),
    )
    .expect("write");
    let good = String::from_utf8_lossy(MANIFEST).replace("Uploaded", "Good");
    std::fs::write(
        dir.path().join("good.zip"),
        zip_of(&[("manifest.yaml", good.as_bytes())]),
    )
    .expect("write");
    let report = import::import_murano(
        &app.catalog,
        "acme",
        &[dir.path().to_owned()],
        false,
        &no_progress,
    )
    .await;
    assert_eq!(report.created, 1, "{report:?}");
    assert_eq!(report.failed.len(), 2);
    assert!(
        report
            .failed
            .iter()
            .any(|f| f.name.ends_with("bomb.zip") && f.error.contains("zip bomb")),
        "{:?}",
        report.failed
    );
    assert!(
        report
            .failed
            .iter()
            .any(|f| f.name.ends_with("evil.zip") && f.error.contains("unsafe path")),
        "{:?}",
        report.failed
    );
}

#[tokio::test]
async fn a_broken_entry_is_reported_with_its_line_and_the_rest_goes_on() {
    let app = TestApp::new().await;
    assert!(
        import::import_app_catalog(&app.catalog, "acme", b"assets: []", None, &no_progress)
            .await
            .is_err(),
        "the tenant must exist"
    );
    app.tenant("acme").await;
    let text = b"assets:\n  - name: Good image\n    description: fine\n    license: Apache 2.0\n    provided_by: {name: a, href: 'https://a.example', company: A}\n    service: {type: glance, disk_format: qcow2, container_format: bare}\n    attributes: {url: 'https://a.example/i.qcow2'}\n  - name: Odd thing\n    description: what\n    license: Other\n    provided_by: {name: b, href: 'https://b.example', company: B}\n    service: {type: puppet}\n  - name: Bad image\n    description: no format\n    license: Other\n    provided_by: {name: c, href: 'https://c.example', company: C}\n    service: {type: glance, disk_format: floppy, container_format: bare}\n";
    let report = import::import_app_catalog(&app.catalog, "acme", text, None, &no_progress)
        .await
        .expect("import");
    assert_eq!(report.created, 1);
    assert_eq!(report.failed.len(), 2, "{:?}", report.failed);
    assert_eq!(
        (report.failed[0].name.as_str(), report.failed[0].line),
        ("Odd thing", 8)
    );
    assert!(
        report.failed[0]
            .error
            .contains("unknown service type 'puppet'")
    );
    assert_eq!(
        (report.failed[1].name.as_str(), report.failed[1].line),
        ("Bad image", 13)
    );
    assert!(
        report.failed[1].error.contains("disk_format"),
        "{}",
        report.failed[1].error
    );
    // Nothing half-made stays behind for the failed ones.
    let admin = app.user("root", "ops", None, true, "read").await;
    let (_, v) = app
        .get("/api/v1/artifacts/all?limit=10", Some(&admin))
        .await;
    assert_eq!(v["total_count"], 1);
    // Malformed YAML and bombs are refused as a whole.
    assert!(
        import::import_app_catalog(
            &app.catalog,
            "acme",
            b"assets: [unclosed",
            None,
            &no_progress
        )
        .await
        .is_err()
    );
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    for i in 1..12u8 {
        let (p, c) = ((b'a' + i - 1) as char, (b'a' + i) as char);
        bomb.push_str(&format!(
            "{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        ));
    }
    bomb.push_str("assets: []\n");
    assert!(
        import::import_app_catalog(&app.catalog, "acme", bomb.as_bytes(), None, &no_progress)
            .await
            .is_err()
    );
}
