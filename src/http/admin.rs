//! The control plane's routes under `/__admin` (SPEC §7): health, reset,
//! state and fixtures, accounts, the journal and faults.
//!
//! Admin bodies are the emulator's own formats, so they are read strictly
//! (unknown properties refused), unlike the emulated API's lenient ASP.NET
//! Core rules. Every change goes through the same loader and domain
//! operations as fixture files, so the admin API cannot reach a state the
//! invariant forbids.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, Problem, ValidationErrors};
use super::extract::{Path, Query, bearer_token};
use super::openapi;
use super::{AppState, json_ok};
use crate::control::faults::FaultSpec;
use crate::control::journal::Filter;
use crate::control::parse_rfc3339;
use crate::fixtures::{self, FixtureErrors, account_fixture};
use crate::licensing::{AdminError, GroupId};

/// The admin routes, all under `/__admin`.
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    // Full paths rather than a nested router: nesting matches twice and
    // rebuilds the URI on every request.
    let guarded = Router::new()
        .route("/__admin/reset", post(reset))
        .route("/__admin/state", get(state_document))
        .route("/__admin/fixtures", put(replace_fixtures))
        .route("/__admin/accounts", get(list_accounts).post(create_account))
        .route(
            "/__admin/accounts/{account_id}",
            get(get_account).put(put_account).delete(delete_account),
        )
        .route(
            "/__admin/accounts/{account_id}/groups/{group_id}",
            put(put_group),
        )
        .route("/__admin/accounts/{account_id}/licenses", put(put_licenses))
        .route(
            "/__admin/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/__admin/requests/count", post(count_requests))
        .route(
            "/__admin/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/__admin/faults/{id}", get(get_fault).delete(remove_fault))
        .route("/__admin/metrics", get(metrics))
        .route("/__admin/openapi.json", get(openapi_document))
        // Runs on these routes only: health stays open for container probes.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_admin_token,
        ));
    Router::new()
        .route("/__admin/health", get(health))
        .merge(guarded)
}

/// With `--admin-token`, admin routes need exactly that bearer token; a
/// license token never opens them.
async fn require_admin_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(expected) = &state.control.admin_token {
        if bearer_token(request.headers()) != Some(expected.as_str()) {
            let challenge = "Bearer realm=\"__admin\"".to_owned();
            return ApiError::Unauthorized { challenge }.into_response();
        }
    }
    next.run(request).await
}

/// Path of the account routes.
#[derive(Deserialize)]
pub(crate) struct AccountPath {
    account_id: String,
    #[serde(default)]
    group_id: Option<String>,
}

/// Path of a fault.
#[derive(Deserialize)]
pub(crate) struct FaultPath {
    id: String,
}

/// The name fixture errors from admin bodies are reported under.
const BODY: &str = "request body";

impl From<FixtureErrors> for ApiError {
    fn from(FixtureErrors(errors): FixtureErrors) -> Self {
        let mut map = ValidationErrors::new();
        for error in errors {
            map.entry(error.path).or_default().push(error.message);
        }
        ApiError::Validation(map)
    }
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        let detail = error.to_string();
        match error {
            AdminError::NotFound(_) => ApiError::NotFound(detail),
            AdminError::Exists(_) => ApiError::StateConflict {
                detail,
                conflicts: Vec::new(),
            },
            AdminError::Conflict(conflicts) => ApiError::StateConflict { detail, conflicts },
        }
    }
}

fn text(body: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(body).map_err(|_| ApiError::validation("$", "The body is not UTF-8."))
}

/// `GET /__admin/health`: always open, for container health checks.
#[utoipa::path(
    get,
    path = "/__admin/health",
    operation_id = "GetHealth",
    tag = "Admin",
    responses((status = 200, description = "The emulator is up.", body = openapi::Health)),
)]
async fn health(State(state): State<AppState>) -> Response {
    json_ok(&json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptimeSeconds": state.control.started.elapsed().as_secs(),
    }))
}

/// `?accountId=` and `?keep=journal,faults` of a reset.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResetQuery {
    account_id: Option<String>,
    keep: Option<String>,
}

/// `POST /__admin/reset`: the state back to the baseline (one account or all);
/// the journal and faults are cleared unless kept.
#[utoipa::path(
    post,
    path = "/__admin/reset",
    operation_id = "Reset",
    tag = "Admin",
    params(
        ("accountId" = Option<String>, Query, description = "Reset only this account."),
        ("keep" = Option<String>, Query, description = "`journal`, `faults` or `journal,faults`: not cleared."),
    ),
    responses(
        (status = 200, description = "What was reset and kept.", body = openapi::ResetAnswer),
        (status = 400, description = "An unknown `keep` value, or an unknown or malformed query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`accountId` names no account, now or in the baseline.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn reset(
    State(state): State<AppState>,
    Query(query): Query<ResetQuery>,
) -> Result<Response, ApiError> {
    let keep: Vec<&str> = query.keep.as_deref().map_or(Vec::new(), |k| {
        k.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    });
    if let Some(unknown) = keep.iter().find(|k| !["journal", "faults"].contains(k)) {
        let message = format!("'{unknown}' cannot be kept; use journal, faults or both");
        return Err(ApiError::validation("keep", message));
    }
    state.control.with_baseline(|baseline| {
        match &query.account_id {
            Some(id) => {
                let original = baseline
                    .accounts
                    .iter()
                    .find(|a| a.id.as_str() == id)
                    .cloned();
                if original.is_none() && state.store.account(id).is_none() {
                    return Err(AdminError::NotFound(id.clone()));
                }
                state.store.reset_account(id, original);
            }
            None => {
                state.store.replace_all(baseline.accounts.iter().cloned());
                state.identity.replace_credentials(&baseline.fixtures);
            }
        }
        Ok(())
    })?;
    if !keep.contains(&"journal") {
        state.control.journal.clear();
    }
    if !keep.contains(&"faults") {
        state.control.faults.clear();
    }
    Ok(json_ok(&json!({
        "reset": query.account_id.as_deref().unwrap_or("all"),
        "kept": keep,
    })))
}

/// `GET /__admin/state`: everything, in the fixture format, ready to load again.
#[utoipa::path(
    get,
    path = "/__admin/state",
    operation_id = "GetState",
    tag = "Admin",
    responses((status = 200, description = "The whole state in fixture format.", body = openapi::Fixtures)),
)]
async fn state_document(State(state): State<AppState>) -> Response {
    json_ok(&crate::state_file::document(&state))
}

/// `PUT /__admin/fixtures`: validates, then replaces the baseline and the state.
#[utoipa::path(
    put,
    path = "/__admin/fixtures",
    operation_id = "ReplaceFixtures",
    tag = "Admin",
    request_body(
        content = openapi::Fixtures,
        description = "A fixture document, read strictly.",
        example = json!({"accounts": [{"accountId": "1234", "licenses": {"IDU": 5}}]}),
    ),
    responses(
        (status = 200, description = "The new baseline is the state.", body = openapi::FixturesLoaded),
        (status = 400, description = "Refused fixtures; `errors` is keyed by JSON path.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn replace_fixtures(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let loaded = fixtures::load_sources(vec![(BODY.to_owned(), text(&body)?.to_owned())])?;
    let accounts = loaded.accounts.len();
    state.control.replace_baseline(loaded, |loaded| {
        state.store.replace_all(loaded.accounts.iter().cloned());
        state.identity.replace_credentials(&loaded.fixtures);
    });
    Ok(json_ok(&json!({ "accounts": accounts })))
}

/// `GET /__admin/accounts`: every account in fixture format.
#[utoipa::path(
    get,
    path = "/__admin/accounts",
    operation_id = "ListAccounts",
    tag = "Admin",
    responses((status = 200, description = "The accounts.", body = [openapi::AccountFixture])),
)]
async fn list_accounts(State(state): State<AppState>) -> Response {
    let accounts: Vec<_> = state.store.snapshot().iter().map(account_fixture).collect();
    json_ok(&accounts)
}

/// `POST /__admin/accounts`: a new account in fixture format; 409 if the id is taken.
#[utoipa::path(
    post,
    path = "/__admin/accounts",
    operation_id = "CreateAccount",
    tag = "Admin",
    request_body(
        content = openapi::AccountFixture,
        example = json!({"accountId": "suite-account-1", "licenses": {"IDU": 5, "RPADEVPRONU": 10}}),
    ),
    responses(
        (status = 201, description = "The account as stored.", body = openapi::AccountFixture),
        (status = 400, description = "A refused account; `errors` is keyed by JSON path.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An account with that id exists.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn create_account(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let account = fixtures::load_account(BODY, text(&body)?)?;
    let view = account_fixture(&account);
    state.store.create(account)?;
    Ok((StatusCode::CREATED, json_ok(&view)).into_response())
}

/// `GET /__admin/accounts/{accountId}`.
#[utoipa::path(
    get,
    path = "/__admin/accounts/{accountId}",
    operation_id = "GetAccount",
    tag = "Admin",
    params(("accountId" = String, Path, description = "The account id.")),
    responses(
        (status = 200, description = "The account in fixture format.", body = openapi::AccountFixture),
        (status = 404, description = "No such account.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn get_account(
    State(state): State<AppState>,
    Path(path): Path<AccountPath>,
) -> Result<Response, ApiError> {
    let account = state
        .store
        .account(&path.account_id)
        .ok_or(AdminError::NotFound(path.account_id))?;
    Ok(json_ok(&account_fixture(&account)))
}

/// `PUT /__admin/accounts/{accountId}`: creates or replaces the account whole.
#[utoipa::path(
    put,
    path = "/__admin/accounts/{accountId}",
    operation_id = "PutAccount",
    tag = "Admin",
    params(("accountId" = String, Path, description = "The account id.")),
    request_body(
        content = openapi::AccountFixture,
        description = "The account; its `accountId` must be the one in the URL.",
        example = json!({"accountId": "1234", "licenses": {"IDU": 5, "RPADEVPRONU": 10}}),
    ),
    responses(
        (status = 200, description = "The account was replaced.", body = openapi::AccountFixture),
        (status = 201, description = "The account was created.", body = openapi::AccountFixture),
        (status = 400, description = "A refused account, or another id than the URL's.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn put_account(
    State(state): State<AppState>,
    Path(path): Path<AccountPath>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let account = fixtures::load_account(BODY, text(&body)?)?;
    if account.id.as_str() != path.account_id {
        let message = format!("'{}' is not the account id in the URL", account.id);
        return Err(ApiError::validation("$.accountId", message));
    }
    let view = account_fixture(&account);
    let status = if state.store.put(account) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, json_ok(&view)).into_response())
}

/// `DELETE /__admin/accounts/{accountId}`.
#[utoipa::path(
    delete,
    path = "/__admin/accounts/{accountId}",
    operation_id = "DeleteAccount",
    tag = "Admin",
    params(("accountId" = String, Path, description = "The account id.")),
    responses(
        (status = 204, description = "The account is gone."),
        (status = 404, description = "No such account.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn delete_account(
    State(state): State<AppState>,
    Path(path): Path<AccountPath>,
) -> Result<Response, ApiError> {
    if state.store.remove(&path.account_id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(AdminError::NotFound(path.account_id).into())
    }
}

/// `PUT /__admin/accounts/{accountId}/groups/{groupId}` `{name, members}`:
/// declares a group or changes its members; 409 if its rule would then use
/// more seats than the account has.
#[utoipa::path(
    put,
    path = "/__admin/accounts/{accountId}/groups/{groupId}",
    operation_id = "PutGroup",
    tag = "Admin",
    params(("accountId" = String, Path, description = "The account id."), ("groupId" = String, Path, description = "The group id.")),
    request_body(
        content = openapi::GroupDeclaration,
        example = json!({"name": "Developers", "members": ["singer-77", "singer-88"]}),
    ),
    responses(
        (status = 200, description = "The account with the group.", body = openapi::AccountFixture),
        (status = 400, description = "A refused declaration.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The group's rule would use more seats than the account has.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn put_group(
    State(state): State<AppState>,
    Path(path): Path<AccountPath>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let group = GroupId::parse(path.group_id.unwrap_or_default())
        .map_err(|e| ApiError::validation("groupId", e.to_string()))?;
    let (name, members) = fixtures::load_group_declaration(BODY, text(&body)?)?;
    let view = state.store.modify(&path.account_id, |account| {
        account.declare_group(group, name, members)?;
        Ok(account_fixture(account))
    })?;
    Ok(json_ok(&view))
}

/// `PUT /__admin/accounts/{accountId}/licenses` `{code: quantity}` or `null`;
/// 409 if seats in use would not fit.
#[utoipa::path(
    put,
    path = "/__admin/accounts/{accountId}/licenses",
    operation_id = "PutLicenses",
    tag = "Admin",
    params(("accountId" = String, Path, description = "The account id.")),
    request_body(
        content = Option<std::collections::BTreeMap<String, u32>>,
        description = "Purchased quantity per code, or `null` for no account license.",
        example = json!({"IDU": 8, "RPADEVPRONU": 10}),
    ),
    responses(
        (status = 200, description = "The account with its new licenses.", body = openapi::AccountFixture),
        (status = 400, description = "A refused quantity.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Seats in use would not fit.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn put_licenses(
    State(state): State<AppState>,
    Path(path): Path<AccountPath>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let licenses = fixtures::load_licenses(BODY, text(&body)?)?;
    let view = state.store.modify(&path.account_id, |account| {
        account.set_licenses(licenses)?;
        Ok(account_fixture(account))
    })?;
    Ok(json_ok(&view))
}

/// Journal filters, from the query (`GET`) or a JSON body (`count`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JournalQuery {
    method: Option<String>,
    path: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    status: Option<String>,
    account_id: Option<String>,
    since: Option<String>,
    #[serde(default, deserialize_with = "number_or_text")]
    limit: Option<String>,
    body_contains: Option<String>,
}

/// Accepts `404` or `"4xx"` alike.
fn number_or_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

impl JournalQuery {
    fn filter(self) -> Result<(Filter, usize), ApiError> {
        let since_millis = match self.since.as_deref() {
            None => None,
            Some(text) => Some(
                text.parse::<u64>()
                    .ok()
                    .or_else(|| parse_rfc3339(text))
                    .ok_or_else(|| {
                        ApiError::validation(
                            "since",
                            "Use an RFC 3339 UTC time or Unix milliseconds.",
                        )
                    })?,
            ),
        };
        if let Some(status) = self.status.as_deref() {
            let valid = status.len() == 3
                && status
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.eq_ignore_ascii_case(&'x'));
            if !valid {
                return Err(ApiError::validation(
                    "status",
                    "Use a status such as 409 or a class such as 4xx.",
                ));
            }
        }
        let limit = match self.limit.as_deref() {
            None => usize::MAX,
            Some(text) => text
                .parse::<usize>()
                .map_err(|_| ApiError::validation("limit", "Use a non-negative whole number."))?,
        };
        let filter = Filter {
            method: self.method,
            path: self.path,
            status: self.status,
            account_id: self.account_id,
            since_millis,
            body_contains: self.body_contains,
        };
        Ok((filter, limit))
    }
}

/// `GET /__admin/requests`: journal entries, newest first.
#[utoipa::path(
    get,
    path = "/__admin/requests",
    operation_id = "ListRequests",
    tag = "Admin",
    params(
        ("method" = Option<String>, Query, description = "Only this method."),
        ("path" = Option<String>, Query, description = "Only paths matching this glob (`*` any characters, slashes included; `?` one)."),
        ("status" = Option<String>, Query, description = "A status such as `409` or a class such as `4xx`."),
        ("accountId" = Option<String>, Query, description = "Only requests to this account."),
        ("since" = Option<String>, Query, description = "An RFC 3339 UTC time or Unix milliseconds."),
        ("limit" = Option<u32>, Query, description = "At most this many entries."),
    ),
    responses(
        (status = 200, description = "Matching entries, newest first.", body = [openapi::JournalEntry]),
        (status = 400, description = "A bad filter value, or an unknown or malformed query parameter.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn list_requests(
    State(state): State<AppState>,
    Query(query): Query<JournalQuery>,
) -> Result<Response, ApiError> {
    let (filter, limit) = query.filter()?;
    let entries = state.control.journal.find(&filter, limit);
    Ok(json_ok(&entries))
}

/// `DELETE /__admin/requests`: empties the journal.
#[utoipa::path(
    delete,
    path = "/__admin/requests",
    operation_id = "ClearRequests",
    tag = "Admin",
    responses((status = 204, description = "The journal is empty.")),
)]
async fn clear_requests(State(state): State<AppState>) -> Response {
    state.control.journal.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /__admin/requests/count` with the filters as a JSON body.
#[utoipa::path(
    post,
    path = "/__admin/requests/count",
    operation_id = "CountRequests",
    tag = "Admin",
    request_body(
        content = Option<openapi::JournalFilter>,
        description = "The filters of `GET /__admin/requests` plus `bodyContains`; an empty body counts all.",
        example = json!({"method": "PUT", "path": "/*/lease_/api/account/1234/**", "status": "2xx"}),
    ),
    responses(
        (status = 200, description = "How many entries match.", body = openapi::CountAnswer),
        (status = 400, description = "A bad filter.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn count_requests(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let query: JournalQuery = if body.iter().all(u8::is_ascii_whitespace) {
        JournalQuery::default()
    } else {
        strict_json(&body)?
    };
    let (filter, _) = query.filter()?;
    Ok(json_ok(
        &json!({ "count": state.control.journal.count(&filter) }),
    ))
}

/// Reads an admin body strictly, with the JSON path of the first problem.
fn strict_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = fixtures::json_path(&error.path().to_string());
        ApiError::validation(path, error.inner().to_string())
    })?;
    deserializer
        .end()
        .map_err(|error| ApiError::validation("$", error.to_string()))?;
    Ok(value)
}

/// `POST /__admin/faults`: adds a rule; `201 {id}`.
#[utoipa::path(
    post,
    path = "/__admin/faults",
    operation_id = "AddFault",
    tag = "Admin",
    request_body(
        content = openapi::FaultSpec,
        example = json!({
            "match": {"method": "PUT", "path": "/lease_/api/account/1234/**"},
            "respond": {"status": 503},
            "times": 1
        }),
    ),
    responses(
        (status = 201, description = "The rule's id.", body = openapi::FaultId),
        (status = 400, description = "A refused rule.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn add_fault(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let spec: FaultSpec = strict_json(&body)?;
    let id = state
        .control
        .faults
        .add(spec)
        .map_err(|e| ApiError::validation("$", e.to_string()))?;
    Ok((StatusCode::CREATED, json_ok(&json!({ "id": id }))).into_response())
}

/// `GET /__admin/faults`: the rules in creation order, with their counters.
#[utoipa::path(
    get,
    path = "/__admin/faults",
    operation_id = "ListFaults",
    tag = "Admin",
    responses((status = 200, description = "The rules.", body = [openapi::Fault])),
)]
async fn list_faults(State(state): State<AppState>) -> Response {
    json_ok(&state.control.faults.list())
}

/// `DELETE /__admin/faults`: removes every rule.
#[utoipa::path(
    delete,
    path = "/__admin/faults",
    operation_id = "ClearFaults",
    tag = "Admin",
    responses((status = 204, description = "No rules are left.")),
)]
async fn clear_faults(State(state): State<AppState>) -> Response {
    state.control.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /__admin/faults/{id}`: one rule with its counters.
#[utoipa::path(
    get,
    path = "/__admin/faults/{id}",
    operation_id = "GetFault",
    tag = "Admin",
    params(("id" = String, Path, description = "The id `POST /__admin/faults` answered.")),
    responses(
        (status = 200, description = "The rule, with how often it matched and fired.", body = openapi::Fault),
        (status = 404, description = "No rule has this id.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn get_fault(
    State(state): State<AppState>,
    Path(path): Path<FaultPath>,
) -> Result<Response, ApiError> {
    let fault = state
        .control
        .faults
        .get(&path.id)
        .ok_or_else(|| ApiError::NotFound(format!("no fault has the id '{}'", path.id)))?;
    Ok(json_ok(&fault))
}

/// `DELETE /__admin/faults/{id}`: removes one rule.
#[utoipa::path(
    delete,
    path = "/__admin/faults/{id}",
    operation_id = "RemoveFault",
    tag = "Admin",
    params(("id" = String, Path, description = "The id `POST /__admin/faults` answered.")),
    responses(
        (status = 204, description = "The rule is gone."),
        (status = 404, description = "No rule has this id.", body = Problem, content_type = "application/problem+json"),
    ),
)]
async fn remove_fault(
    State(state): State<AppState>,
    Path(path): Path<FaultPath>,
) -> Result<Response, ApiError> {
    if state.control.faults.remove(&path.id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound(format!(
            "no fault has the id '{}'",
            path.id
        )))
    }
}

/// `GET /__admin/metrics`: Prometheus text format.
#[utoipa::path(
    get,
    path = "/__admin/metrics",
    operation_id = "GetMetrics",
    tag = "Admin",
    responses(
        (status = 200, description = "Requests by route and status, allocation outcomes, seats per account and code.",
            body = String, content_type = "application/openmetrics-text"),
    ),
)]
async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.control.metrics.render(&state.store);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// `GET /__admin/openapi.json`: this emulator's OpenAPI document, built on
/// first request from the handlers' annotations.
#[utoipa::path(
    get,
    path = "/__admin/openapi.json",
    operation_id = "GetOpenApiDocument",
    tag = "Admin",
    responses((status = 200, description = "The OpenAPI document.", body = Object)),
)]
async fn openapi_document() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        openapi::json(),
    )
        .into_response()
}
