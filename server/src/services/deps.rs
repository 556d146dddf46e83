//! Dependencies: resolving link fields to artifacts, the dependency graph
//! of an artifact (with missing targets and cycles reported), and reverse
//! dependencies.
//!
//! A link is exact (`/artifacts/<type>/<id>`), external (an http(s) URL), or
//! named (`{"name", "version", "type"}`): a named link resolves to the
//! highest version the caller can see that matches the requirement.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::{Map, Value};

use super::artifacts::{find_visible, parse_properties};
use super::{Catalog, list};
use crate::auth::Caller;
use crate::entities::{artifact, artifact_property};
use crate::error::{AppResult, bad_request};
use crate::types::definition::RequirementStyle;
use crate::types::registry::{ALL, ArtifactType};
use crate::types::{LinkDef, Multiplicity};
use crate::version::{parse_requirement, parse_version};

/// Every Murano package implicitly requires the core library.
pub const MURANO_CORE: &str = "io.murano";

/// `/artifacts/<type>/<id>` split, if the string has that shape.
pub fn parse_exact(target: &str) -> Option<(&str, &str)> {
    let rest = target.strip_prefix("/artifacts/")?;
    let (ty, id) = rest.split_once('/')?;
    (!ty.is_empty() && !id.is_empty() && !id.contains('/')).then_some((ty, id))
}

/// Murano's `Require:` rules turned into a cargo-style requirement.
pub fn murano_requirement(spec: &str) -> String {
    let spec = spec.trim();
    if spec.is_empty() {
        return ">=0.0.0, <1.0.0".to_owned();
    }
    if spec.starts_with(|c: char| c.is_ascii_digit())
        && let Ok(v) = parse_version(spec)
    {
        return format!(">={v}, <{}.{}.0", v.major, v.minor + 1);
    }
    spec.to_owned()
}

/// The requirement of a named link in the cargo/pip dialect the list
/// filters understand (`*` for any version).
pub fn requirement_of(def: &LinkDef, version: Option<&str>) -> String {
    match def.requirement {
        RequirementStyle::Murano => murano_requirement(version.unwrap_or("")),
        RequirementStyle::Semver => match version.map(str::trim) {
            None | Some("") => "*".to_owned(),
            Some(v) => v.to_owned(),
        },
    }
}

/// Checks a `{name, version, type}` link value.
pub fn check_named_link(field: &str, def: &LinkDef, o: &Map<String, Value>) -> AppResult<()> {
    for key in o.keys() {
        if !matches!(key.as_str(), "name" | "version" | "type") {
            return Err(bad_request(format!(
                "link '{field}': unknown key '{key}' (name, version, type)"
            )));
        }
    }
    let name = o.get("name").and_then(Value::as_str).unwrap_or("");
    if name.trim().is_empty() || name.len() > 255 {
        return Err(bad_request(format!(
            "link '{field}' needs a 'name' of 1 to 255 characters"
        )));
    }
    let version = match o.get("version") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            return Err(bad_request(format!(
                "link '{field}': 'version' must be a string"
            )));
        }
    };
    parse_requirement(&requirement_of(def, version))
        .map_err(|e| bad_request(format!("link '{field}': {e}")))?;
    if let Some(ty) = o.get("type") {
        let ty = ty.as_str().unwrap_or("");
        if !def.target_types.is_empty() && !def.target_types.iter().any(|t| t == ty) {
            return Err(bad_request(format!(
                "link '{field}' may point only at {}",
                def.target_types.join(", ")
            )));
        }
    }
    Ok(())
}

/// One link of an artifact.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Link {
    pub field: String,
    pub semantics: String,
    /// The value as stored, or the implied requirement.
    pub requirement: Value,
    /// Added by the type's rules, not stored (Murano's core library).
    pub implicit: bool,
}

/// The links of an artifact, in field order.
pub fn links_of(ty: &ArtifactType, m: &artifact::Model) -> Vec<Link> {
    let props = parse_properties(m);
    let mut out = Vec::new();
    for (field, def) in &ty.links {
        let values: Vec<Value> = match (def.multiplicity, props.get(field)) {
            (_, None | Some(Value::Null)) => vec![],
            (Multiplicity::Single, Some(v)) => vec![v.clone()],
            (_, Some(Value::Array(items))) => items.clone(),
            (_, Some(Value::Object(entries))) => entries.values().cloned().collect(),
            _ => vec![],
        };
        for v in values {
            out.push(Link {
                field: field.clone(),
                semantics: def.semantics.clone(),
                requirement: v,
                implicit: false,
            });
        }
    }
    if ty.def.behaviours.iter().any(|b| b == "murano_package") && m.name != MURANO_CORE {
        let names_core = out
            .iter()
            .any(|l| l.requirement.get("name").and_then(Value::as_str) == Some(MURANO_CORE));
        if !names_core {
            out.push(Link {
                field: "requires".to_owned(),
                semantics: "requires".to_owned(),
                requirement: serde_json::json!({"name": MURANO_CORE, "version": ""}),
                implicit: true,
            });
        }
    }
    out
}

/// A node of the graph.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Node {
    pub id: String,
    pub type_name: String,
    pub name: String,
    pub version: String,
}

impl From<&artifact::Model> for Node {
    fn from(m: &artifact::Model) -> Node {
        Node {
            id: m.id.clone(),
            type_name: m.type_name.clone(),
            name: m.name.clone(),
            version: m.version.clone(),
        }
    }
}

/// How a link resolved.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Resolved,
    /// Nothing by that name or id exists.
    Missing,
    /// The name exists, but no visible version matches the requirement.
    NoMatchingVersion,
    /// A match exists, but the caller may not see it.
    NotVisible,
    /// An http(s) URL outside the catalog.
    External,
}

#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub field: String,
    pub semantics: String,
    pub requirement: Value,
    pub implicit: bool,
    pub status: Status,
    /// The artifact the link resolved to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Node>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Graph {
    pub root: Node,
    /// Every artifact reached, root first.
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// The cycles: each group of artifacts that depend on each other in a
    /// circle (a strongly connected component), as sorted ids.
    pub cycles: Vec<Vec<String>>,
    /// How many edges did not resolve (missing, no matching version, not visible).
    pub unresolved: usize,
}

/// The highest visible artifact named `name` (of `types`, any if empty)
/// matching `requirement`.
async fn best_match(
    catalog: &Catalog,
    caller: &Caller,
    types: &[String],
    name: &str,
    requirement: &str,
) -> AppResult<Option<artifact::Model>> {
    let mut params = vec![
        ("name".to_owned(), name.to_owned()),
        ("sort".to_owned(), "version:desc".to_owned()),
        ("limit".to_owned(), "1".to_owned()),
    ];
    if requirement != "*" {
        params.push(("version".to_owned(), format!("spec:{requirement}")));
    }
    if !types.is_empty() {
        let quoted: Vec<String> = types.iter().map(|t| format!("\"{t}\"")).collect();
        params.push(("type_name".to_owned(), format!("in:{}", quoted.join(","))));
    }
    let page = list::list(catalog, caller, ALL, &params).await?;
    let Some(id) = page
        .artifacts
        .first()
        .and_then(|a| a.get("id"))
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    Ok(artifact::Entity::find_by_id(id.to_owned())
        .one(&catalog.db)
        .await?)
}

/// Resolves one link for the caller.
pub async fn resolve(
    catalog: &Catalog,
    caller: &Caller,
    ty: &ArtifactType,
    link: &Link,
) -> AppResult<(Status, Option<artifact::Model>)> {
    match &link.requirement {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            Ok((Status::External, None))
        }
        Value::String(s) => {
            let Some((t, id)) = parse_exact(s) else {
                return Ok((Status::Missing, None));
            };
            match find_visible(catalog, caller, t, id).await {
                Ok((_, m)) => Ok((Status::Resolved, Some(m))),
                Err(_) => {
                    let exists = uuid::Uuid::parse_str(id).is_ok()
                        && artifact::Entity::find_by_id(id.to_owned())
                            .one(&catalog.db)
                            .await?
                            .is_some();
                    Ok((
                        if exists {
                            Status::NotVisible
                        } else {
                            Status::Missing
                        },
                        None,
                    ))
                }
            }
        }
        Value::Object(o) => {
            let name = o.get("name").and_then(Value::as_str).unwrap_or("");
            let def = ty.links.get(&link.field);
            let mut types: Vec<String> = def.map(|d| d.target_types.clone()).unwrap_or_default();
            if let Some(t) = o.get("type").and_then(Value::as_str) {
                types = vec![t.to_owned()];
            }
            let requirement = match def {
                Some(def) => requirement_of(def, o.get("version").and_then(Value::as_str)),
                // Implicit links follow Murano's rules.
                None => murano_requirement(o.get("version").and_then(Value::as_str).unwrap_or("")),
            };
            let requirement = if link.implicit {
                murano_requirement("")
            } else {
                requirement
            };
            if let Some(m) = best_match(catalog, caller, &types, name, &requirement).await? {
                return Ok((Status::Resolved, Some(m)));
            }
            if best_match(catalog, caller, &types, name, "*")
                .await?
                .is_some()
            {
                return Ok((Status::NoMatchingVersion, None));
            }
            let system = Caller::system("");
            if best_match(catalog, &system, &types, name, &requirement)
                .await?
                .is_some()
            {
                return Ok((Status::NotVisible, None));
            }
            if best_match(catalog, &system, &types, name, "*")
                .await?
                .is_some()
            {
                return Ok((Status::NoMatchingVersion, None));
            }
            Ok((Status::Missing, None))
        }
        _ => Ok((Status::Missing, None)),
    }
}

/// The resolved dependency graph of an artifact, breadth first.
pub async fn graph(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<Graph> {
    let (_, root) = find_visible(catalog, caller, type_name, id).await?;
    let mut nodes = vec![Node::from(&root)];
    let mut seen = BTreeSet::from([root.id.clone()]);
    let mut queue = VecDeque::from([root.clone()]);
    let mut edges = Vec::new();
    let mut adjacency: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some(m) = queue.pop_front() {
        let Some(ty) = catalog.types.get(&m.type_name) else {
            continue;
        };
        for link in links_of(&ty, &m) {
            let (status, target) = resolve(catalog, caller, &ty, &link).await?;
            if let Some(t) = &target {
                adjacency
                    .entry(m.id.clone())
                    .or_default()
                    .push(t.id.clone());
                if seen.insert(t.id.clone()) {
                    nodes.push(Node::from(t));
                    queue.push_back(t.clone());
                }
            }
            edges.push(Edge {
                from: m.id.clone(),
                field: link.field,
                semantics: link.semantics,
                requirement: link.requirement,
                implicit: link.implicit,
                status,
                to: target.as_ref().map(Node::from),
            });
        }
    }
    let unresolved = edges
        .iter()
        .filter(|e| {
            matches!(
                e.status,
                Status::Missing | Status::NoMatchingVersion | Status::NotVisible
            )
        })
        .count();
    Ok(Graph {
        root: Node::from(&root),
        nodes,
        edges,
        cycles: cycles(&adjacency),
        unresolved,
    })
}

/// The cycles of the graph: each strongly connected component that holds a
/// cycle (more than one artifact, or one that links to itself), as its
/// members' ids in order. Every artifact on any cycle is in exactly one of
/// them (Tarjan's algorithm).
pub fn cycles(adjacency: &BTreeMap<String, Vec<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        adjacency: &'a BTreeMap<String, Vec<String>>,
        index: HashMap<String, usize>,
        low: HashMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: &str) {
            self.index.insert(v.to_owned(), self.next);
            self.low.insert(v.to_owned(), self.next);
            self.next += 1;
            self.stack.push(v.to_owned());
            self.on_stack.insert(v.to_owned());
            let adjacency = self.adjacency;
            for w in adjacency.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v.to_owned(), low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v.to_owned(), low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(&w);
                    let done = w == v;
                    component.push(w);
                    if done {
                        break;
                    }
                }
                let self_loop = adjacency.get(v).is_some_and(|e| e.iter().any(|x| x == v));
                if component.len() > 1 || self_loop {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        adjacency,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in adjacency.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.found.sort();
    t.found
}

/// Artifacts visible to the caller whose links resolve to this one.
pub async fn dependents(
    catalog: &Catalog,
    caller: &Caller,
    type_name: &str,
    id: &str,
) -> AppResult<Vec<(Node, Link)>> {
    let (_, target) = find_visible(catalog, caller, type_name, id).await?;
    let exact = format!("/artifacts/{}/{}", target.type_name, target.id);
    let link_names: BTreeSet<String> = catalog
        .types
        .all()
        .flat_map(|t| t.links.keys().cloned())
        .collect();
    let mut candidates: BTreeSet<String> = artifact_property::Entity::find()
        .filter(artifact_property::Column::Name.is_in(link_names))
        .filter(artifact_property::Column::StrValue.is_in([exact.clone(), target.name.clone()]))
        .all(&catalog.db)
        .await?
        .into_iter()
        .map(|p| p.artifact_id)
        .collect();
    if target.name == MURANO_CORE {
        // Every Murano package requires the core library implicitly.
        for ty in catalog
            .types
            .all()
            .filter(|t| t.def.behaviours.iter().any(|b| b == "murano_package"))
        {
            let ids: Vec<String> = artifact::Entity::find()
                .filter(artifact::Column::TypeName.eq(ty.name()))
                .all(&catalog.db)
                .await?
                .into_iter()
                .map(|m| m.id)
                .collect();
            candidates.extend(ids);
        }
    }
    candidates.remove(&target.id);
    let mut out = Vec::new();
    for candidate in candidates {
        let Ok((ty, m)) = find_visible(catalog, caller, ALL, &candidate).await else {
            continue;
        };
        for link in links_of(&ty, &m) {
            if let (Status::Resolved, Some(t)) = resolve(catalog, caller, &ty, &link).await?
                && t.id == target.id
            {
                out.push((Node::from(&m), link));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murano_requirements() {
        assert_eq!(murano_requirement(""), ">=0.0.0, <1.0.0");
        assert_eq!(murano_requirement("1.0.0"), ">=1.0.0, <1.1.0");
        assert_eq!(murano_requirement("2.3"), ">=2.3.0, <2.4.0");
        assert_eq!(murano_requirement(">=0.0.0"), ">=0.0.0");
    }

    #[test]
    fn every_artifact_on_a_cycle_is_reported() {
        let mut adj = BTreeMap::new();
        let mut add = |a: &str, b: &str| {
            adj.entry(a.to_owned())
                .or_insert_with(Vec::new)
                .push(b.to_owned())
        };
        add("r", "a");
        add("a", "r");
        add("r", "b");
        add("b", "a");
        add("d", "d");
        add("e", "f");
        let found = cycles(&adj);
        let expected: Vec<Vec<String>> = vec![vec!["a", "b", "r"], vec!["d"]]
            .into_iter()
            .map(|c| c.into_iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(found, expected);
    }
}
