//! Page data for signed-in users: the session, the tenant space, the forms
//! generated from type definitions, tokens and the admin overview. The same
//! services as the API, as the same caller.

use std::collections::HashMap;

use app::models::{
    AdminOverview, BlobInfo, BlobSlot, Flash, FormField, Gate, ListingRequestInfo, ManagedArtifact,
    SessionInfo, Space, SpaceArtifact, TenantRow, TokenInfo, TokensPage, TypeForm, TypeRow,
    TypeSummary, UserRow, Viewer,
};
use axum::http::request::Parts;
use serde_json::Value;

use super::PageData;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::services::access::{self, Action, DRAFTED};
use crate::services::list::{ListQuery, SortOrder};
use crate::services::listing::{self, ListingRequest, PENDING};
use crate::services::view::ArtifactView;
use crate::services::{accounts, admin, artifacts, list, members};
use crate::types::definition::{FieldDef, FieldKind};
use crate::types::registry::ArtifactType;
use crate::web::session::{self, SessionUser};

fn request_info(r: ListingRequest) -> ListingRequestInfo {
    ListingRequestInfo {
        id: r.id,
        artifact_id: r.artifact_id,
        type_name: r.type_name,
        name: r.name,
        version: r.version,
        tenant: r.tenant,
        requested_by: r.requested_by,
        message: r.message,
        status: r.status,
        created_at: r.created_at.get(..10).unwrap_or_default().to_owned(),
        decided_by: r.decided_by,
        decision_note: r.decision_note,
    }
}

fn label(name: &str) -> String {
    let text = name.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn kind_name(def: &FieldDef) -> String {
    match def.kind {
        FieldKind::String if def.effective_max_length() > 1024 => "text".to_owned(),
        k => k.to_string(),
    }
}

/// A stored value as the form's input shows it (lists one item per line,
/// dicts as `key=value` lines).
fn input_text(v: Option<&Value>) -> String {
    let scalar = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::Array(items)) => items.iter().map(scalar).collect::<Vec<_>>().join("\n"),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| format!("{k}={}", scalar(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(v) => scalar(v),
    }
}

/// The form fields of a type: description, the type's own fields, the
/// generic ones, then links (as JSON).
fn form_fields(
    page: &PageData,
    ty: &ArtifactType,
    current: Option<&Value>,
    drafted: bool,
) -> Vec<FormField> {
    let value = |k: &str| current.and_then(|c| c.get(k));
    let mut out = vec![FormField {
        name: "description".to_owned(),
        label: "Description".to_owned(),
        help: "Markdown.".to_owned(),
        kind: "text".to_owned(),
        required: false,
        required_on_activate: false,
        editable: true,
        allowed: vec![],
        max_length: None,
        value: input_text(value("description")),
    }];
    let generic = page.catalog.types.generic_fields();
    let own = ty.fields.iter().filter(|(k, _)| !generic.contains_key(*k));
    let shared = ty.fields.iter().filter(|(k, _)| generic.contains_key(*k));
    for (name, def) in own.chain(shared) {
        out.push(FormField {
            name: name.clone(),
            label: label(name),
            help: def.description.clone().unwrap_or_default(),
            kind: kind_name(def),
            required: def.required,
            required_on_activate: def.required_on_activate,
            editable: drafted || def.mutable,
            allowed: def
                .allowed
                .iter()
                .flatten()
                .map(|v| input_text(Some(v)))
                .collect(),
            max_length: def.max_length.map(|m| m as u64),
            value: match value(name) {
                Some(v) => input_text(Some(v)),
                None if current.is_none() => def
                    .default
                    .as_ref()
                    .map(|d| input_text(Some(d)))
                    .unwrap_or_default(),
                None => String::new(),
            },
        });
    }
    for (name, def) in &ty.links {
        out.push(FormField {
            name: name.clone(),
            label: label(name),
            help: format!(
                "{} (JSON: see the type's schema at /api/v1/schemas/{})",
                def.description.clone().unwrap_or_default(),
                ty.def.name
            ),
            kind: "json".to_owned(),
            required: false,
            required_on_activate: def.required_on_activate,
            editable: drafted || def.mutable,
            allowed: vec![],
            max_length: None,
            value: value(name)
                .filter(|v| !v.is_null())
                .and_then(|v| serde_json::to_string(v).ok())
                .unwrap_or_default(),
        });
    }
    out
}

/// A blob value of the API as a page shows it (links to the API, or the
/// external location).
pub(super) fn blob_info(label: String, b: &Value) -> BlobInfo {
    let external = b.get("external").and_then(Value::as_bool).unwrap_or(false);
    let url = b.get("url").and_then(Value::as_str).unwrap_or("");
    BlobInfo {
        label,
        size: b.get("size").and_then(Value::as_u64),
        content_type: b
            .get("content_type")
            .and_then(Value::as_str)
            .map(str::to_owned),
        md5: b.get("md5").and_then(Value::as_str).map(str::to_owned),
        sha256: b.get("sha256").and_then(Value::as_str).map(str::to_owned),
        external,
        href: if external {
            url.to_owned()
        } else {
            format!("/api/v1{url}")
        },
    }
}

fn space_artifact(a: &ArtifactView, listing: Option<String>) -> SpaceArtifact {
    SpaceArtifact {
        id: a.id.clone(),
        type_name: a.type_name.clone(),
        name: a.name.clone(),
        version: a.version.clone(),
        status: a.status.as_str().to_owned(),
        visibility: a.visibility.as_str().to_owned(),
        updated_at: a.updated_at.format("%Y-%m-%d").to_string(),
        listing,
    }
}

impl PageData {
    pub(super) async fn session_user(&self, req: &Parts) -> AppResult<Option<SessionUser>> {
        match session::of(req) {
            Some(s) => session::user(&self.catalog.db, &s).await,
            None => Ok(None),
        }
    }

    /// The caller a page acts as: the same as the API would see.
    pub(super) async fn caller(&self, req: &Parts) -> AppResult<Caller> {
        Ok(self
            .session_user(req)
            .await?
            .map(|u| u.caller())
            .unwrap_or(Caller::Anonymous))
    }

    pub(super) async fn session_info_of(&self, req: &Parts) -> AppResult<SessionInfo> {
        let Some(s) = session::of(req) else {
            return Ok(SessionInfo::default());
        };
        let csrf = session::csrf_token(&s).await?;
        let flash = session::take_flash(&s).await?.map(|f| Flash {
            kind: f.kind,
            text: f.text,
        });
        let viewer = session::user(&self.catalog.db, &s).await?.map(|su| Viewer {
            username: su.user.username.clone(),
            display_name: su.user.display_name.clone(),
            tenant: su.tenant.clone(),
            tenants: su.tenants.iter().map(|(t, _)| t.clone()).collect(),
            is_admin: su.user.is_admin,
        });
        Ok(SessionInfo {
            viewer,
            csrf,
            registration_open: self.web.registration_open,
            oidc: self.web.oidc.as_ref().map(|o| o.display_name().to_owned()),
            flash,
        })
    }

    pub(super) async fn space_of(&self, req: &Parts) -> AppResult<Gate<Space>> {
        let Some(su) = self.session_user(req).await? else {
            return Ok(Gate::Login);
        };
        let caller = su.caller();
        let types = self
            .catalog
            .types
            .all()
            .map(|t| TypeSummary {
                name: t.def.name.clone(),
                display_name: t.def.display_name.clone(),
                description: t.def.description.clone(),
                public_count: 0,
            })
            .collect();
        let Some(tenant) = su.tenant.clone() else {
            return Ok(Gate::Ok(Space {
                tenant: String::new(),
                artifacts: vec![],
                shared_with_us: vec![],
                can_answer: false,
                types,
            }));
        };
        let mut latest: HashMap<String, String> = HashMap::new();
        for r in listing::list(&self.catalog, &caller, None, 1000).await? {
            latest.entry(r.artifact_id).or_insert(r.status);
        }
        let own = list::list(
            &self.catalog,
            &caller,
            &ListQuery::new(crate::types::registry::ALL)
                .eq("owner", tenant.clone())
                .sort("updated_at", SortOrder::Desc)
                .limit(500),
        )
        .await?;
        let offers = crate::services::members::offers(&self.catalog, &caller, None).await?;
        Ok(Gate::Ok(Space {
            artifacts: own
                .artifacts
                .iter()
                .map(|a| space_artifact(a, latest.get(&a.id).cloned()))
                .collect(),
            shared_with_us: offers
                .into_iter()
                .map(|o| app::models::ShareOffer {
                    id: o.artifact_id,
                    type_name: o.type_name,
                    name: o.name,
                    version: o.version,
                    owner: o.owner,
                    status: o.status,
                })
                .collect(),
            can_answer: access::can_answer(&caller, &tenant),
            tenant,
            types,
        }))
    }

    pub(super) async fn type_form_of(
        &self,
        req: &Parts,
        type_name: &str,
    ) -> AppResult<Gate<TypeForm>> {
        if self.session_user(req).await?.is_none() {
            return Ok(Gate::Login);
        }
        let Some(ty) = self.catalog.types.get(type_name) else {
            return Ok(Gate::NotFound);
        };
        Ok(Gate::Ok(TypeForm {
            type_name: ty.def.name.clone(),
            display_name: ty.def.display_name.clone(),
            description: ty.def.description.clone(),
            fields: form_fields(self, &ty, None, true),
            blobs: ty.blobs.keys().cloned().collect(),
        }))
    }

    pub(super) async fn managed_of(
        &self,
        req: &Parts,
        type_name: &str,
        id: &str,
    ) -> AppResult<Gate<ManagedArtifact>> {
        let Some(su) = self.session_user(req).await? else {
            return Ok(Gate::Login);
        };
        let caller = su.caller();
        let (ty, m) = match artifacts::find_visible(&self.catalog, &caller, type_name, id).await {
            Ok(found) => found,
            Err(AppError::NotFound(_)) => return Ok(Gate::NotFound),
            Err(e) => return Err(e),
        };
        if !access::allowed(&caller, Action::Manage, &m) {
            return Ok(Gate::Forbidden);
        }
        let v = artifacts::get(&self.catalog, &caller, type_name, id)
            .await?
            .to_json();
        let drafted = m.status == DRAFTED;
        let can_edit = access::allowed(&caller, Action::Write, &m);
        let mut fields = form_fields(self, &ty, Some(&v), drafted);
        for f in &mut fields {
            f.editable &= can_edit;
        }
        let blobs = ty
            .blobs
            .iter()
            .map(|(name, def)| BlobSlot {
                name: name.clone(),
                label: def.description.clone().unwrap_or_else(|| label(name)),
                dict: def.dict,
                max_size: def
                    .max_size
                    .map(|s| s.min(self.catalog.limits.max_blob_size)),
                content_types: def.content_types.clone(),
                current: match v.get(name) {
                    Some(Value::Object(o)) if def.dict => o
                        .iter()
                        .map(|(k, b)| blob_info(format!("{name}/{k}"), b))
                        .collect(),
                    Some(b @ Value::Object(_)) => vec![blob_info(name.clone(), b)],
                    _ => vec![],
                },
                upload_url: format!("/api/v1/artifacts/{type_name}/{id}/{name}"),
            })
            .collect();
        let requests: Vec<ListingRequestInfo> = listing::for_artifact(&self.catalog, &m.id)
            .await?
            .into_iter()
            .map(request_info)
            .collect();
        let pending = requests.iter().any(|r| r.status == PENDING);
        let may = |action| access::allowed(&caller, action, &m);
        let detail_href = format!(
            "/apps/{}/{}?version={}",
            app::urls::encode(type_name),
            app::urls::encode(&m.name),
            app::urls::encode(&m.version)
        );
        Ok(Gate::Ok(ManagedArtifact {
            id: m.id.clone(),
            type_name: type_name.to_owned(),
            type_display_name: ty.def.display_name.clone(),
            name: m.name.clone(),
            version: m.version.clone(),
            status: m.status.clone(),
            visibility: m.visibility.clone(),
            owner: m.owner.clone(),
            fields,
            blobs,
            members: members::list(&self.catalog, &caller, type_name, id).await?,
            requests,
            can_edit,
            can_publish: may(Action::Activate),
            can_deactivate: may(Action::Deactivate),
            can_delete: may(Action::Delete),
            can_share: may(Action::Share),
            can_request_listing: may(Action::RequestListing) && !pending,
            detail_href,
        }))
    }

    pub(super) async fn tokens_of(&self, req: &Parts) -> AppResult<Gate<TokensPage>> {
        let Some(su) = self.session_user(req).await? else {
            return Ok(Gate::Login);
        };
        let new_secret = match session::of(req) {
            Some(s) => session::take::<String>(&s, session::NEW_TOKEN).await?,
            None => None,
        };
        let day = |t: &chrono::DateTime<chrono::Utc>| {
            artifacts::timestamp(t)
                .get(..10)
                .unwrap_or_default()
                .to_owned()
        };
        let tokens = accounts::list_tokens(&self.catalog.db, &su.user.username)
            .await?
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                name: t.name,
                tenant: t.tenant_id,
                scopes: t.scopes,
                created_at: day(&t.created_at),
                last_used_at: t.last_used_at.as_ref().map(day),
                expires_at: t.expires_at.as_ref().map(day),
            })
            .collect();
        Ok(Gate::Ok(TokensPage {
            tokens,
            new_secret,
            tenants: su.tenants.iter().map(|(t, _)| t.clone()).collect(),
        }))
    }

    pub(super) async fn admin_of(&self, req: &Parts) -> AppResult<Gate<AdminOverview>> {
        let Some(su) = self.session_user(req).await? else {
            return Ok(Gate::Login);
        };
        let caller = su.caller();
        if !access::can_administer(&caller) {
            return Ok(Gate::Forbidden);
        }
        let overview = admin::overview(&self.catalog, &caller).await?;
        let pending = listing::list(&self.catalog, &caller, Some(PENDING), 500)
            .await?
            .into_iter()
            .map(request_info)
            .collect();
        let decided = listing::list(&self.catalog, &caller, None, 100)
            .await?
            .into_iter()
            .filter(|r| r.status != PENDING)
            .take(50)
            .map(request_info)
            .collect();
        let memberships = &overview.memberships;
        let users = overview
            .users
            .into_iter()
            .map(|u| UserRow {
                memberships: memberships
                    .iter()
                    .filter(|m| m.user_id == u.id)
                    .map(|m| format!("{} ({})", m.tenant_id, m.role))
                    .collect(),
                login: if u.password_hash.is_some() {
                    "password"
                } else {
                    "provider or token"
                }
                .to_owned(),
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                is_admin: u.is_admin,
            })
            .collect();
        let count =
            |counts: &HashMap<String, u64>, key: &str| counts.get(key).copied().unwrap_or(0);
        let tenants = overview
            .tenants
            .into_iter()
            .map(|t| TenantRow {
                members: memberships.iter().filter(|m| m.tenant_id == t.id).count() as u64,
                artifacts: count(&overview.artifacts_by_tenant, &t.id),
                id: t.id,
                display_name: t.display_name,
            })
            .collect();
        let types = self
            .catalog
            .types
            .all()
            .map(|ty| TypeRow {
                name: ty.def.name.clone(),
                display_name: ty.def.display_name.clone(),
                type_version: ty.def.version.clone(),
                fields: ty.fields.len() as u64,
                blobs: ty.blobs.len() as u64,
                artifacts: count(&overview.artifacts_by_type, ty.name()),
            })
            .collect();
        let reported = crate::services::community::reported(&self.catalog, &caller)
            .await?
            .into_iter()
            .map(|r| app::models::ReportedInfo {
                review_id: r.review_id,
                type_name: r.type_name,
                name: r.name,
                version: r.version,
                author: r.author,
                body: r.body,
                reports: r.reports,
                reasons: r.reasons,
            })
            .collect();
        let moderation = crate::services::community::moderation_log(&self.catalog, &caller, 50)
            .await?
            .into_iter()
            .map(|m| app::models::ModerationInfo {
                created_at: m
                    .created_at
                    .replace('T', " ")
                    .trim_end_matches('Z')
                    .to_owned(),
                actor: m.actor,
                action: m.action,
                type_name: m.type_name,
                name: m.name,
                review_id: m.review_id,
                note: m.note,
            })
            .collect();
        Ok(Gate::Ok(AdminOverview {
            pending,
            decided,
            users,
            tenants,
            types,
            reported,
            moderation,
        }))
    }
}
