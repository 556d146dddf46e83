//! A test's catalog, described and then built in one go:
//!
//! ```ignore
//! let cat = TestCatalog::new()
//!     .user("alice", "acme", Role::Admin)
//!     .admin("root")
//!     .artifact("alice", Art::template("web", "1.0.0").public())
//!     .build()
//!     .await;
//! cat.get(&cat.uri("web"), Some(cat.token("alice"))).await;
//! ```
//!
//! Tenants named by users are created on the way; every artifact is made
//! through the API as its user would make it (create, upload, activate,
//! then visibility and shares), so a builder never reaches around the rules
//! the tests are about.

use std::collections::HashMap;
use std::ops::Deref;

use appcat::caller::Role;
use appcat::services::Limits;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;

/// Every scope a token can carry.
pub const ALL_SCOPES: &str = "read,write,publish";

struct UserSpec {
    name: String,
    tenant: String,
    role: Option<Role>,
    admin: bool,
    scopes: String,
}

/// One artifact of a [`TestCatalog`].
pub struct Art {
    key: String,
    type_name: String,
    body: Value,
    blob: Option<(String, String, Vec<u8>)>,
    active: bool,
    visibility: Option<&'static str>,
    shared_with: Vec<String>,
}

impl Art {
    /// An active heat template with a template blob; its key is its name.
    pub fn template(name: &str, version: &str) -> Art {
        Art {
            key: name.to_owned(),
            type_name: "heat_templates".to_owned(),
            body: json!({"name": name, "version": version}),
            blob: Some((
                "template".to_owned(),
                "application/x-yaml".to_owned(),
                b"heat_template_version: 2016-10-14\n".to_vec(),
            )),
            active: true,
            visibility: None,
            shared_with: Vec::new(),
        }
    }

    /// A drafted artifact of `type_name` created from `body` (no blob); its
    /// key is its name.
    pub fn draft(type_name: &str, body: Value) -> Art {
        Art {
            key: body["name"].as_str().unwrap_or(type_name).to_owned(),
            type_name: type_name.to_owned(),
            body,
            blob: None,
            active: false,
            visibility: None,
            shared_with: Vec::new(),
        }
    }

    /// Made public by a catalog admin.
    pub fn public(mut self) -> Art {
        self.visibility = Some("public");
        self
    }

    /// Shared with `tenant` by its owner.
    pub fn shared_with(mut self, tenant: &str) -> Art {
        self.visibility = Some("shared");
        self.shared_with.push(tenant.to_owned());
        self
    }
}

/// What a test's catalog is to hold.
#[derive(Default)]
pub struct TestCatalog {
    limits: Limits,
    users: Vec<UserSpec>,
    artifacts: Vec<(String, Art)>,
}

impl TestCatalog {
    pub fn new() -> TestCatalog {
        TestCatalog::default()
    }

    pub fn limits(mut self, limits: Limits) -> TestCatalog {
        self.limits = limits;
        self
    }

    /// A user with `role` in `tenant` and a token with every scope.
    pub fn user(self, name: &str, tenant: &str, role: Role) -> TestCatalog {
        self.user_with(name, tenant, Some(role), ALL_SCOPES)
    }

    /// A user whose token acts in `tenant` with `scopes`; `role: None`
    /// makes no membership.
    pub fn user_with(
        mut self,
        name: &str,
        tenant: &str,
        role: Option<Role>,
        scopes: &str,
    ) -> TestCatalog {
        self.users.push(UserSpec {
            name: name.to_owned(),
            tenant: tenant.to_owned(),
            role,
            admin: false,
            scopes: scopes.to_owned(),
        });
        self
    }

    /// A catalog admin (token for tenant `ops`, no membership).
    pub fn admin(self, name: &str) -> TestCatalog {
        self.admin_with(name, "ops", ALL_SCOPES)
    }

    /// A catalog admin whose token acts in `tenant` with `scopes`.
    pub fn admin_with(mut self, name: &str, tenant: &str, scopes: &str) -> TestCatalog {
        self.users.push(UserSpec {
            name: name.to_owned(),
            tenant: tenant.to_owned(),
            role: None,
            admin: true,
            scopes: scopes.to_owned(),
        });
        self
    }

    /// An artifact made by `user` (declared with `user`).
    pub fn artifact(mut self, user: &str, art: Art) -> TestCatalog {
        self.artifacts.push((user.to_owned(), art));
        self
    }

    pub async fn build(self) -> Built {
        let app = TestApp::with(self.limits, None).await;
        let mut tokens = HashMap::new();
        for u in &self.users {
            let token = app
                .user(&u.name, &u.tenant, u.role, u.admin, &u.scopes)
                .await;
            tokens.insert(u.name.clone(), token);
        }
        let admin = self.users.iter().find(|u| u.admin).map(|u| u.name.clone());
        let mut built = Built {
            app,
            admin,
            tokens,
            ids: HashMap::new(),
            types: HashMap::new(),
        };
        for (user, art) in self.artifacts {
            let id = built.add(&user, &art).await;
            built.types.insert(art.key.clone(), art.type_name.clone());
            built.ids.insert(art.key, id);
        }
        built
    }
}

/// A built [`TestCatalog`]: the app, and the tokens and ids by name.
pub struct Built {
    pub app: TestApp,
    /// The first catalog admin declared, who publishes.
    admin: Option<String>,
    tokens: HashMap<String, String>,
    ids: HashMap<String, String>,
    types: HashMap<String, String>,
}

impl Deref for Built {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl Built {
    /// The token of a declared user.
    pub fn token(&self, user: &str) -> &str {
        self.tokens
            .get(user)
            .unwrap_or_else(|| panic!("no user {user} in this catalog"))
    }

    /// The id of a declared artifact.
    pub fn id(&self, key: &str) -> &str {
        self.ids
            .get(key)
            .unwrap_or_else(|| panic!("no artifact {key} in this catalog"))
    }

    /// `/api/v1/artifacts/<type>/<id>` of a declared artifact.
    pub fn uri(&self, key: &str) -> String {
        format!(
            "/api/v1/artifacts/{}/{}",
            self.types.get(key).map_or("", String::as_str),
            self.id(key)
        )
    }

    /// The first catalog admin's token, for what only an admin may do.
    fn admin_token(&self) -> &str {
        let admin = self
            .admin
            .as_deref()
            .unwrap_or_else(|| panic!("publishing needs a catalog admin (TestCatalog::admin)"));
        self.token(admin)
    }

    /// Makes one more artifact, as [`TestCatalog::artifact`] does, and
    /// returns its id.
    pub async fn add(&self, user: &str, art: &Art) -> String {
        let token = self.token(user).to_owned();
        let id = self.create(&art.type_name, &token, art.body.clone()).await;
        let uri = format!("/api/v1/artifacts/{}/{id}", art.type_name);
        if let Some((field, content_type, data)) = &art.blob {
            let (s, v) = self
                .put_blob(
                    &format!("{uri}/{field}"),
                    Some(&token),
                    content_type,
                    data.clone(),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let replace =
            |path: &str, value: &str| json!([{"op": "replace", "path": path, "value": value}]);
        if art.active {
            let (s, v) = self
                .patch(&uri, Some(&token), replace("/status", "active"))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        match art.visibility {
            Some("public") => {
                let admin = self.admin_token().to_owned();
                let (s, v) = self
                    .patch(&uri, Some(&admin), replace("/visibility", "public"))
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
            }
            Some(vis) => {
                let (s, v) = self
                    .patch(&uri, Some(&token), replace("/visibility", vis))
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
                for tenant in &art.shared_with {
                    let (s, v) = self
                        .call(
                            Method::POST,
                            &format!("{uri}/members"),
                            Some(&token),
                            Some(json!({ "tenant": tenant })),
                        )
                        .await;
                    assert_eq!(s, StatusCode::CREATED, "{v}");
                }
            }
            None => {}
        }
        id
    }
}
