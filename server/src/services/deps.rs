//! Dependencies: resolving link fields to artifacts, the dependency graph
//! of an artifact (with missing targets and cycles reported), and reverse
//! dependencies.
//!
//! A link is exact (`/artifacts/<type>/<id>`), external (an http(s) URL), or
//! named (`{"name", "version", "type"}`): a named link resolves to the
//! highest matching version in the linking artifact's own tenant, else the
//! highest public one, else the highest one another tenant shared with the
//! linking tenant and that tenant accepted (see `members.rs`); always among
//! what the caller may read. Another tenant cannot inject an artifact into a
//! tenant's dependencies by sharing it, and whether a link resolved says
//! nothing about artifacts the caller cannot see.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::{Map, Value};

use super::artifacts::{find_visible, parse_properties};
use super::{Catalog, access, members};
use crate::caller::Caller;
use crate::entities::{artifact, artifact_member, artifact_property};
use crate::error::{AppResult, bad_request};
use crate::types::definition::RequirementStyle;
use crate::types::registry::{ALL, ArtifactType};
use crate::types::{LinkDef, Multiplicity};
use crate::version::{KeyBound, parse_requirement, parse_version};

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
    if name.trim().is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(bad_request(format!(
            "link '{field}' needs a 'name' of 1 to 255 characters"
        )));
    }
    let version = match o.get("version") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= 255 && !s.contains('\0') => Some(s.as_str()),
        Some(_) => {
            return Err(bad_request(format!(
                "link '{field}': 'version' must be a string of at most 255 characters"
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
    /// The tenant the artifact belongs to.
    pub owner: String,
}

impl From<&artifact::Model> for Node {
    fn from(m: &artifact::Model) -> Node {
        Node {
            id: m.id.clone(),
            type_name: m.type_name.clone(),
            name: m.name.clone(),
            version: m.version.clone(),
            owner: m.owner.clone(),
        }
    }
}

/// How a link resolved. Only what the caller may see counts, so an
/// artifact the caller cannot see is indistinguishable from one that does
/// not exist.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Resolved,
    /// Nothing by that name or id that the caller can see and the linking
    /// tenant may use.
    Missing,
    /// Such artifacts exist, but no version matches the requirement.
    NoMatchingVersion,
    /// An http(s) URL outside the catalog.
    External,
}

/// Where a resolved artifact came from, seen from the tenant that owns
/// the linking artifact.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The linking artifact's own tenant.
    Own,
    /// A public artifact of another tenant.
    Public,
    /// Another tenant's artifact, shared with the linking tenant and
    /// accepted by it.
    AcceptedShare,
}

#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub field: String,
    pub semantics: String,
    pub requirement: Value,
    pub implicit: bool,
    pub status: Status,
    /// Whose artifact the link resolved to (own tenant, public, accepted share).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
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
    /// How many edges did not resolve (missing or no matching version).
    pub unresolved: usize,
}

/// Most links one artifact may have (per field and in all), so that
/// resolving a graph stays bounded.
pub const MAX_LINKS: usize = 256;

/// Most artifacts a dependency graph walks before it stops.
pub const MAX_GRAPH_NODES: usize = 2000;

/// The version bounds of a requirement as a condition on the artifacts table.
fn requirement_condition(requirement: &str) -> AppResult<Condition> {
    let mut all = Condition::all();
    // Any version, pre-releases included (as an empty semver link means).
    if requirement == "*" {
        return Ok(all);
    }
    let req = parse_requirement(requirement).map_err(|e| bad_request(e.to_string()))?;
    if !req.allows_prerelease {
        all = all.add(artifact::Column::IsPrerelease.eq(false));
    }
    let v = artifact::Column::VersionSort;
    for b in &req.bounds {
        all = all.add(match b {
            KeyBound::Ge(k) => v.gte(k.clone()),
            KeyBound::Gt(k) => v.gt(k.clone()),
            KeyBound::Lt(k) => v.lt(k.clone()),
            KeyBound::Le(k) => v.lte(k.clone()),
            KeyBound::Eq(k) => v.eq(k.clone()),
            KeyBound::Ne(k) => v.ne(k.clone()),
            KeyBound::NotIn(lo, hi) => Condition::any()
                .add(v.lt(lo.clone()))
                .add(v.gte(hi.clone()))
                .into(),
        });
    }
    Ok(all)
}

/// The artifacts a link of `tenant`'s artifact may resolve to, in the
/// order they are preferred: the tenant's own, then public ones, then
/// other tenants' shares that the tenant accepted. Each is also limited to
/// what the caller may read.
fn tiers(caller: &Caller, tenant: &str) -> [(Source, Condition); 3] {
    let accepted = Query::select()
        .column(artifact_member::Column::ArtifactId)
        .from(artifact_member::Entity)
        .and_where(artifact_member::Column::TenantId.eq(tenant))
        .and_where(artifact_member::Column::Status.eq(members::ACCEPTED))
        .to_owned();
    let visible = access::visible_condition(caller, &Alias::new("artifacts"));
    [
        (
            Source::Own,
            Condition::all()
                .add(artifact::Column::Owner.eq(tenant))
                .add(visible.clone()),
        ),
        (
            Source::Public,
            Condition::all()
                .add(artifact::Column::Owner.ne(tenant))
                .add(artifact::Column::Visibility.eq(access::PUBLIC))
                .add(artifact::Column::Status.eq(access::ACTIVE)),
        ),
        (
            Source::AcceptedShare,
            Condition::all()
                .add(artifact::Column::Owner.ne(tenant))
                .add(artifact::Column::Visibility.eq(access::SHARED))
                .add(artifact::Column::Status.eq(access::ACTIVE))
                .add(artifact::Column::Id.in_subquery(accepted))
                .add(visible),
        ),
    ]
}

/// The highest version named `name` (of `types`, any if empty) matching
/// `requirement` that `tenant`'s links may use, by [`tiers`].
async fn best_match(
    catalog: &Catalog,
    caller: &Caller,
    tenant: &str,
    types: &[String],
    name: &str,
    requirement: &str,
) -> AppResult<Option<(Source, artifact::Model)>> {
    let bounds = requirement_condition(requirement)?;
    for (source, scope) in tiers(caller, tenant) {
        let mut q = artifact::Entity::find()
            .filter(artifact::Column::Name.eq(name))
            .filter(scope)
            .filter(bounds.clone());
        if !types.is_empty() {
            q = q.filter(artifact::Column::TypeName.is_in(types.iter().cloned()));
        }
        if let Some(m) = q
            .order_by_desc(artifact::Column::VersionSort)
            .one(&catalog.db)
            .await?
        {
            return Ok(Some((source, m)));
        }
    }
    Ok(None)
}

/// Where an artifact that an exact link names stands for `tenant`, if it
/// may use it (the caller has been checked already).
async fn source_of(
    catalog: &Catalog,
    tenant: &str,
    m: &artifact::Model,
) -> AppResult<Option<Source>> {
    if m.owner == tenant {
        return Ok(Some(Source::Own));
    }
    if m.status != access::ACTIVE {
        return Ok(None);
    }
    if m.visibility == access::PUBLIC {
        return Ok(Some(Source::Public));
    }
    let accepted = artifact_member::Entity::find_by_id((m.id.clone(), tenant.to_owned()))
        .one(&catalog.db)
        .await?
        .is_some_and(|r| r.status == members::ACCEPTED);
    Ok((m.visibility == access::SHARED && accepted).then_some(Source::AcceptedShare))
}

/// A resolved link.
pub struct Resolution {
    pub status: Status,
    pub source: Option<Source>,
    pub target: Option<artifact::Model>,
}

impl Resolution {
    fn unresolved(status: Status) -> Resolution {
        Resolution {
            status,
            source: None,
            target: None,
        }
    }
}

/// Resolves one link of `from` for the caller. Named links go to the
/// highest matching version in `from`'s own tenant, else the highest
/// public one, else the highest one another tenant shared with `from`'s
/// tenant and that tenant accepted; always among what the caller may read.
pub async fn resolve(
    catalog: &Catalog,
    caller: &Caller,
    ty: &ArtifactType,
    from: &artifact::Model,
    link: &Link,
) -> AppResult<Resolution> {
    match &link.requirement {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            Ok(Resolution::unresolved(Status::External))
        }
        Value::String(s) => {
            let Some((t, id)) = parse_exact(s) else {
                return Ok(Resolution::unresolved(Status::Missing));
            };
            let Ok((_, m)) = find_visible(catalog, caller, t, id).await else {
                return Ok(Resolution::unresolved(Status::Missing));
            };
            Ok(match source_of(catalog, &from.owner, &m).await? {
                Some(source) => Resolution {
                    status: Status::Resolved,
                    source: Some(source),
                    target: Some(m),
                },
                None => Resolution::unresolved(Status::Missing),
            })
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
            // A stored requirement that no longer parses (it was checked
            // when it was written) is an unresolved link, not an error for
            // the whole graph.
            if parse_requirement(&requirement).is_err() {
                return Ok(Resolution::unresolved(Status::Missing));
            }
            if let Some((source, m)) =
                best_match(catalog, caller, &from.owner, &types, name, &requirement).await?
            {
                return Ok(Resolution {
                    status: Status::Resolved,
                    source: Some(source),
                    target: Some(m),
                });
            }
            if best_match(catalog, caller, &from.owner, &types, name, "*")
                .await?
                .is_some()
            {
                return Ok(Resolution::unresolved(Status::NoMatchingVersion));
            }
            Ok(Resolution::unresolved(Status::Missing))
        }
        _ => Ok(Resolution::unresolved(Status::Missing)),
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
        for link in links_of(&ty, &m).into_iter().take(MAX_LINKS + 1) {
            let r = resolve(catalog, caller, &ty, &m, &link).await?;
            if let Some(t) = &r.target {
                adjacency
                    .entry(m.id.clone())
                    .or_default()
                    .push(t.id.clone());
                if seen.len() < MAX_GRAPH_NODES && seen.insert(t.id.clone()) {
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
                status: r.status,
                source: r.source,
                to: r.target.as_ref().map(Node::from),
            });
        }
    }
    let unresolved = edges
        .iter()
        .filter(|e| matches!(e.status, Status::Missing | Status::NoMatchingVersion))
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
            if let Some(t) = resolve(catalog, caller, &ty, &m, &link).await?.target
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
