//! The emulator's own OpenAPI document (SPEC §7, `GET /__admin/openapi.json`):
//! every route the server serves is in it, every operation in it is served,
//! its examples work and the answers match its schemas.

use std::collections::{BTreeSet, HashMap, HashSet};

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uipath_license_mock::fixtures;

use crate::helpers::{Answer, TestApp, send, spawn_app, spawn_app_with};

/// The prefixes of `LICENSE_PREFIXES` in `src/http/mod.rs`, with the path
/// parameter named as the real documentation names it.
const LICENSE_PREFIXES: [&str; 4] = [
    "/{organizationName}/lease_",
    "/lease_",
    "/{organizationName}/la",
    "/la",
];

/// `license_routes()` in `src/http/mod.rs`, relative to a prefix.
const LICENSE_ROUTES: [(&str, &str); 12] = [
    ("GET", "/api/account/{accountId}/user-license"),
    ("PUT", "/api/account/{accountId}/user-license"),
    ("POST", "/api/account/{accountId}/user-license"),
    ("DELETE", "/api/account/{accountId}/user-license"),
    (
        "GET",
        "/api/account/{accountId}/user-license/user/{userId}/allocation",
    ),
    ("POST", "/api/account/{accountId}/user-license/group"),
    (
        "GET",
        "/api/account/{accountId}/user-license/group/{groupId}",
    ),
    (
        "PUT",
        "/api/account/{accountId}/user-license/group/{groupId}",
    ),
    (
        "DELETE",
        "/api/account/{accountId}/user-license/group/{groupId}",
    ),
    (
        "GET",
        "/api/account/{accountId}/user-license/group/{groupId}/with-quota",
    ),
    (
        "PUT",
        "/api/account/{accountId}/user-license/group/{groupId}/with-quota",
    ),
    (
        "GET",
        "/api/account/{accountId}/user-license/groups/with-quota",
    ),
];

/// `identity_routes()` in `src/http/mod.rs` and `routes()` in `src/http/admin.rs`.
const OTHER_ROUTES: [(&str, &str); 27] = [
    ("POST", "/identity_/connect/token"),
    ("POST", "/{organizationName}/identity_/connect/token"),
    ("GET", "/identity_/.well-known/openid-configuration"),
    ("GET", "/identity_/.well-known/openid-configuration/jwks"),
    ("POST", "/api/account/authenticate"),
    (
        "POST",
        "/{organizationName}/{tenantName}/api/account/authenticate",
    ),
    ("GET", "/__admin/health"),
    ("POST", "/__admin/reset"),
    ("GET", "/__admin/state"),
    ("PUT", "/__admin/fixtures"),
    ("GET", "/__admin/accounts"),
    ("POST", "/__admin/accounts"),
    ("GET", "/__admin/accounts/{accountId}"),
    ("PUT", "/__admin/accounts/{accountId}"),
    ("DELETE", "/__admin/accounts/{accountId}"),
    ("PUT", "/__admin/accounts/{accountId}/groups/{groupId}"),
    ("PUT", "/__admin/accounts/{accountId}/licenses"),
    ("GET", "/__admin/requests"),
    ("DELETE", "/__admin/requests"),
    ("POST", "/__admin/requests/count"),
    ("GET", "/__admin/faults"),
    ("POST", "/__admin/faults"),
    ("DELETE", "/__admin/faults"),
    ("GET", "/__admin/faults/{id}"),
    ("DELETE", "/__admin/faults/{id}"),
    ("GET", "/__admin/metrics"),
    ("GET", "/__admin/openapi.json"),
];

/// Every `(method, path)` the server serves.
fn served_routes() -> BTreeSet<(String, String)> {
    let license = LICENSE_PREFIXES.iter().flat_map(|prefix| {
        LICENSE_ROUTES
            .iter()
            .map(move |(method, path)| ((*method).to_owned(), format!("{prefix}{path}")))
    });
    let other = OTHER_ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()));
    license.chain(other).collect()
}

/// The real service's operation ids, or the handlers' names for the routes
/// its reference lacks, for the canonical prefix.
const CANONICAL_OPERATION_IDS: [(&str, &str, &str); 12] = [
    ("GET", "", "GetAvailableUserLicensesForAccount"),
    ("PUT", "", "AllocateUserLicensesForAccount"),
    ("POST", "", "RetrieveExplicitAllocations"),
    ("DELETE", "", "DeleteMultipleUserLicenses"),
    ("GET", "/user/{userId}/allocation", "RetrieveUserAllocation"),
    ("POST", "/group", "RetrieveGroupAllocations"),
    (
        "GET",
        "/group/{groupId}",
        "GetAvailableUserLicensesForAccountForGroupCreationOrEditing",
    ),
    ("PUT", "/group/{groupId}", "AllocateGroupRule"),
    ("DELETE", "/group/{groupId}", "DeallocateGroupRule"),
    (
        "GET",
        "/group/{groupId}/with-quota",
        "GetGroupRuleWithQuota",
    ),
    (
        "PUT",
        "/group/{groupId}/with-quota",
        "AllocateGroupRuleWithQuota",
    ),
    ("GET", "/groups/with-quota", "GetGroupRulesWithQuota"),
];

/// The document, fetched from a running server.
async fn fetch_document(app: &TestApp) -> Value {
    let answer = app.api.get("/__admin/openapi.json").await;
    answer.ok_json()
}

/// One operation of the document.
struct Operation {
    method: String,
    path: String,
    body: Value,
}

impl Operation {
    fn id(&self) -> &str {
        self.body["operationId"].as_str().unwrap_or_default()
    }
}

fn operations(document: &Value) -> Vec<Operation> {
    let paths = document["paths"].as_object().expect("paths is an object");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for (method, body) in item.as_object().expect("a path item is an object") {
            let method = method.to_ascii_uppercase();
            if [
                "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
            ]
            .contains(&method.as_str())
            {
                operations.push(Operation {
                    method,
                    path: path.clone(),
                    body: body.clone(),
                });
            }
        }
    }
    operations
}

#[tokio::test]
async fn every_served_route_is_in_the_document() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    let documented: BTreeSet<(String, String)> = operations(&document)
        .into_iter()
        .map(|op| (op.method, op.path))
        .collect();

    let missing: Vec<_> = served_routes().difference(&documented).cloned().collect();
    assert!(
        missing.is_empty(),
        "served but not documented: {missing:#?}"
    );
}

#[tokio::test]
async fn operation_ids_are_unique_and_the_canonical_ones_are_the_real_names() {
    let app = spawn_app().await;
    let document = fetch_document(&app).await;
    let operations = operations(&document);

    let mut seen = HashSet::new();
    for operation in &operations {
        assert!(
            !operation.id().is_empty(),
            "{} {} has no operationId",
            operation.method,
            operation.path
        );
        assert!(
            seen.insert(operation.id()),
            "{} is used twice",
            operation.id()
        );
    }
    let ids: HashMap<(&str, &str), &str> = operations
        .iter()
        .map(|op| ((op.method.as_str(), op.path.as_str()), op.id()))
        .collect();
    for (method, route, real) in CANONICAL_OPERATION_IDS {
        let path =
            format!("/{{organizationName}}/lease_/api/account/{{accountId}}/user-license{route}");
        assert_eq!(
            ids.get(&(method, path.as_str())),
            Some(&real),
            "{method} {path}"
        );
        for (prefix, suffix) in [
            ("/lease_", "_lease"),
            ("/{organizationName}/la", "_orgLa"),
            ("/la", "_la"),
        ] {
            let path = format!("{prefix}/api/account/{{accountId}}/user-license{route}");
            let expected = format!("{real}{suffix}");
            assert_eq!(
                ids.get(&(method, path.as_str())),
                Some(&expected.as_str()),
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let (_, exchanges) = walk().await;
    for Exchange { operation, answer } in &exchanges {
        let what = format!(
            "{} {} ({})",
            operation.method,
            operation.path,
            operation.id()
        );
        assert_ne!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{what}: {}",
            answer.body
        );
        assert!(
            !(answer.status == StatusCode::NOT_FOUND && answer.body.contains("No route")),
            "{what} is documented but not served: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn the_documented_examples_succeed_with_documented_answers() {
    let (document, exchanges) = walk().await;
    for Exchange { operation, answer } in &exchanges {
        let what = format!(
            "{} {} ({})",
            operation.method,
            operation.path,
            operation.id()
        );
        let status = answer.status.as_str();
        let Some(response) = operation.body["responses"].get(status) else {
            panic!("{what} answered an undocumented {status}: {}", answer.body);
        };
        assert!(
            answer.status.is_success(),
            "{what} answered {status}: {}",
            answer.body
        );

        let Some(content) = response.get("content").and_then(Value::as_object) else {
            assert!(
                answer.body.is_empty(),
                "{what}: {status} is documented without a body: {}",
                answer.body
            );
            continue;
        };
        let media_type = answer
            .header("content-type")
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .trim();
        let Some(documented) = content.get(media_type) else {
            panic!(
                "{what}: {status} is {media_type:?}, documented as {:?}",
                content.keys()
            );
        };
        if media_type.ends_with("json") {
            let value: Value = serde_json::from_str(&answer.body)
                .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", answer.body));
            let mut problems = Vec::new();
            check(&document, &documented["schema"], &value, "$", &mut problems);
            assert!(
                problems.is_empty(),
                "{what}: {status} does not match its schema: {problems:#?}\n{value:#}"
            );
        }
    }
}

/// One documented operation sent to the server with real values, and the answer.
struct Exchange {
    operation: Operation,
    answer: Answer,
}

/// Sends every operation of the document, each to its own fresh server (so
/// a DELETE of an account cannot change what a later call sees), with path
/// parameters set to real values (a fault id the server gave) and the body
/// set to the documented example.
async fn walk() -> (Value, Vec<Exchange>) {
    let document = fetch_document(&spawn_app().await).await;
    let mut exchanges = Vec::new();
    for operation in operations(&document) {
        let app = spawn_app_with(seeded_fixtures()).await;
        let fault_id = seed_journal_and_faults(&app).await;
        let path = operation
            .path
            .replace("{organizationName}", "acme")
            .replace("{tenantName}", "Default")
            .replace("{accountId}", "1234")
            .replace("{groupId}", "group-01")
            .replace("{userId}", "singer-111")
            .replace("{id}", &fault_id);
        assert!(
            !path.contains('{'),
            "an unknown path parameter in {}",
            operation.path
        );
        let method = Method::from_bytes(operation.method.as_bytes()).expect("a method");
        let mut request = app.api.request(method, &path);
        let content = &operation.body["requestBody"]["content"];
        if let Some(json) = content.get("application/json") {
            let example = json.get("example").unwrap_or_else(|| {
                panic!(
                    "{} {} has a JSON body without an example",
                    operation.method, operation.path
                )
            });
            request = request.json(example);
        } else if let Some(form) = content.get("application/x-www-form-urlencoded") {
            let encoded = serde_urlencoded::to_string(&form["example"]).expect("a flat example");
            request = request
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(encoded);
        }
        let answer = send(request).await;
        exchanges.push(Exchange { operation, answer });
    }
    (document, exchanges)
}

/// Gives the server one journal entry and one fault rule (one that never
/// fires), so that their listings have something in them; returns the
/// rule's id.
async fn seed_journal_and_faults(app: &TestApp) -> String {
    app.api
        .get("/lease_/api/account/1234/user-license")
        .await
        .ok_json();
    let rule = json!({"match": {"path": "/nothing/matches/this"}, "delayMs": 1});
    let answer = send(app.api.request(Method::POST, "/__admin/faults").json(&rule)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.json()["id"].as_str().expect("a fault id").to_owned()
}

/// The embedded default, where account `1234` also has a direct allocation
/// for `singer-111` and a rule with a quota on `group-01`, so that every
/// read answers with something in it.
fn seeded_fixtures() -> Value {
    let mut value: Value =
        serde_json::from_str(fixtures::DEFAULT_FIXTURES).expect("the default fixtures are JSON");
    let account = value["accounts"]
        .as_array_mut()
        .and_then(|accounts| accounts.iter_mut().find(|a| a["accountId"] == "1234"))
        .expect("the default fixtures hold account 1234");
    account["users"] = json!([
        {"userId": "singer-111", "userBundleCodes": ["RPADEVPRONU"], "useExternalLicense": false}
    ]);
    let group = account["groups"]
        .as_array_mut()
        .and_then(|groups| groups.iter_mut().find(|g| g["groupId"] == "group-01"))
        .expect("account 1234 declares group-01");
    group["rule"] =
        json!({"userBundleCodes": ["IDU"], "useExternalLicense": false, "quotas": {"IDU": 2}});
    value
}

/// Checks `value` against a schema of the document, strictly: an object may
/// only have the properties its schema lists (unless it allows more with
/// `additionalProperties`), because the document is meant to list every
/// property the emulator sends.
fn check(document: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(document, schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            check_shallow(document, part, value, at, problems);
        }
        if let Some(object) = value.as_object() {
            let known = property_names(document, schema);
            for key in object.keys().filter(|key| !known.contains(key.as_str())) {
                problems.push(format!("{at}.{key} is not documented"));
            }
        }
        return;
    }
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let fits = branches.iter().any(|branch| {
            let mut branch_problems = Vec::new();
            check(document, branch, value, at, &mut branch_problems);
            branch_problems.is_empty()
        });
        if !fits {
            problems.push(format!("{at} fits none of the oneOf branches: {value}"));
        }
        return;
    }
    check_shallow(document, schema, value, at, problems);
    if let (Some(object), Some(_)) = (value.as_object(), schema.get("properties")) {
        if schema.get("additionalProperties").is_none() {
            let known = property_names(document, schema);
            for key in object.keys().filter(|key| !known.contains(key.as_str())) {
                problems.push(format!("{at}.{key} is not documented"));
            }
        }
    }
}

/// Type, required properties, properties, items; not the closed-object rule.
fn check_shallow(
    document: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    problems: &mut Vec<String>,
) {
    let schema = resolve(document, schema);
    if schema.get("allOf").is_some() || schema.get("oneOf").is_some() {
        return check(document, schema, value, at, problems);
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let fits = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
        if !fits {
            problems.push(format!("{at} is {value}, not {types:?}"));
            return;
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                problems.push(format!("{at}.{name} is required but missing"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, item) in object {
            let path = format!("{at}.{key}");
            match properties.and_then(|p| p.get(key)) {
                Some(property) => check(document, property, item, &path, problems),
                None => {
                    if let Some(extra) =
                        schema.get("additionalProperties").filter(|e| e.is_object())
                    {
                        check(document, extra, item, &path, problems);
                    }
                }
            }
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(document, schema, item, &format!("{at}[{i}]"), problems);
        }
    }
}

/// The schema a `$ref` points to, or the schema itself.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("an unexpected $ref {reference}"));
            let target = &document["components"]["schemas"][name];
            assert!(!target.is_null(), "{reference} is not in the document");
            resolve(document, target)
        }
        None => schema,
    }
}

/// The property names a schema lists, through `$ref` and `allOf`.
fn property_names<'a>(document: &'a Value, schema: &'a Value) -> HashSet<&'a str> {
    let schema = resolve(document, schema);
    let mut names: HashSet<&str> = schema["properties"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.keys().map(String::as_str))
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        names.extend(property_names(document, part));
    }
    names
}
