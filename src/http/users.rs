//! Direct (explicit) user allocations and account totals: `.../user-license`
//! and `.../user-license/user/{userId}/allocation` (SPEC §3).

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, Problem};
use super::extract::{AspNetJson, Caller, Fields, FromJson, LicensePath};
use super::groups::{UserLicenseAsProductDto, available_bundles};
use super::openapi::{
    UserBundleDeallocationRequestDto, UserIdsRequestDto, UserLicenseAllocationRequestDto,
};
use super::{AppState, json_ok};
use crate::licensing::{Account, Allocation, BundleCode, LicenseSource, UserId, dedup};

/// Reads `userIds`, each once, in the order first named; empty strings
/// were reported by `string_list`.
fn user_ids(fields: &mut Fields<'_>) -> Vec<UserId> {
    let ids = fields.string_list("userIds").unwrap_or_default();
    dedup(
        ids.into_iter()
            .filter_map(|id| UserId::parse(id).ok())
            .collect(),
    )
}

/// `UserLicenseAllocationRequestDto`.
pub(crate) struct UserAllocationRequest {
    users: Vec<UserId>,
    allocation: Allocation,
}

impl FromJson for UserAllocationRequest {
    const TYPE_NAME: &'static str = "UiPath.LicenseAccountant.UserLicenseAllocationRequestDto";

    fn from_fields(fields: &mut Fields<'_>) -> Self {
        let users = user_ids(fields);
        // The deprecated `licenseCodes` counts only when `userBundleCodes` is absent or null.
        let codes = fields.string_list("userBundleCodes");
        let legacy = fields.string_list("licenseCodes");
        let codes: Vec<BundleCode> = codes
            .or(legacy)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|code| BundleCode::parse(code).ok())
            .collect();
        let source = LicenseSource::from_external_flag(fields.boolean("useExternalLicense"));
        Self {
            users,
            allocation: Allocation::new(codes, source),
        }
    }
}

/// `UserIdsRequestDto` and `UserBundleDeallocationRequestDto`.
pub(crate) struct UserIdsRequest(Vec<UserId>);

impl FromJson for UserIdsRequest {
    const TYPE_NAME: &'static str = "UiPath.LicenseAccountant.UserIdsRequestDto";

    fn from_fields(fields: &mut Fields<'_>) -> Self {
        Self(user_ids(fields))
    }
}

/// `UserLicenseDto`: one user's allocation after a PUT.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserLicenseDto<'a> {
    user_id: &'a str,
    /// The account id.
    organization_id: &'a str,
    use_external_license: bool,
    #[schema(value_type = Vec<String>)]
    user_bundle_codes: &'a [BundleCode],
}

/// `UserExplicitAllocationDto`. The emulator has no directory, so the
/// profile fields are `null` and no user is an orphan.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserExplicitAllocationDto<'a> {
    id: &'a str,
    email: Option<&'a str>,
    name: Option<&'a str>,
    surname: Option<&'a str>,
    #[schema(format = DateTime)]
    last_in_use: Option<&'a str>,
    #[schema(value_type = Vec<String>)]
    user_bundle_licenses: &'a [BundleCode],
    use_external_license: bool,
    orphan: bool,
}

impl<'a> UserExplicitAllocationDto<'a> {
    fn new(user: &'a UserId, allocation: &'a Allocation) -> Self {
        Self {
            id: user.as_str(),
            email: None,
            name: None,
            surname: None,
            last_in_use: None,
            user_bundle_licenses: allocation.codes(),
            use_external_license: allocation.source.is_external(),
            orphan: false,
        }
    }
}

/// `UserBundleDeallocationResponseDto`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UserBundleDeallocationResponseDto)]
struct DeallocationDto {
    /// Users whose direct allocation was removed.
    #[schema(value_type = Vec<String>)]
    successful_user_ids: Vec<UserId>,
    /// Users that had no direct allocation.
    #[schema(value_type = Vec<String>)]
    failed_user_ids: Vec<UserId>,
}

/// `AllocateUserLicensesForAccount`: replaces each named user's direct
/// allocation; all or nothing over the whole request.
#[utoipa::path(
    put,
    path = "/api/account/{accountId}/user-license",
    operation_id = "AllocateUserLicensesForAccount",
    tag = "UserLicense",
    params(("accountId" = String, Path, description = "The account (organization) id.")),
    request_body(
        content = UserLicenseAllocationRequestDto,
        description = "The users, and the codes each of them gets.",
        example = json!({"userIds": ["singer-111"], "userBundleCodes": ["RPADEVPRONU"], "useExternalLicense": false}),
    ),
    responses(
        (status = 200, description = "Each user's allocation, in request order.", body = [UserLicenseDto]),
        (status = 409, description = "A code the account does not hold, or not enough seats; nothing changed.",
            body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn allocate(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
    AspNetJson(request): AspNetJson<UserAllocationRequest>,
) -> Result<Response, ApiError> {
    let answer = state.store.update(path.account(), |account| {
        account.set_user_allocations(&request.users, Some(&request.allocation))?;
        let users: Vec<UserLicenseDto<'_>> = request
            .users
            .iter()
            .map(|user| UserLicenseDto {
                user_id: user.as_str(),
                organization_id: account.id.as_str(),
                use_external_license: request.allocation.source.is_external(),
                user_bundle_codes: request.allocation.codes(),
            })
            .collect();
        Ok(json_ok(&users))
    })?;
    Ok(answer)
}

/// `GetAvailableUserLicensesForAccount`: seats of every code the account holds.
#[utoipa::path(
    get,
    path = "/api/account/{accountId}/user-license",
    operation_id = "GetAvailableUserLicensesForAccount",
    tag = "UserLicense",
    params(("accountId" = String, Path, description = "The account (organization) id.")),
    responses(
        (status = 200, description = "Every code the account holds, sorted by code.", body = [UserLicenseAsProductDto]),
    ),
)]
pub(crate) async fn totals(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
) -> Result<Response, ApiError> {
    let answer = state.store.read(path.account(), |account| {
        json_ok(&available_bundles(account))
    })?;
    Ok(answer)
}

/// `RetrieveExplicitAllocations`: the direct allocations of the named users
/// that have one, in the order named.
#[utoipa::path(
    post,
    path = "/api/account/{accountId}/user-license",
    operation_id = "RetrieveExplicitAllocations",
    tag = "UserLicense",
    params(("accountId" = String, Path, description = "The account (organization) id.")),
    request_body(
        content = UserIdsRequestDto,
        description = "The users whose direct allocations to return.",
        example = json!({"userIds": ["singer-111", "singer-222"]}),
    ),
    responses(
        (status = 200, description = "The direct allocations of those users that have one.",
            body = [UserExplicitAllocationDto]),
    ),
)]
pub(crate) async fn retrieve(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
    AspNetJson(UserIdsRequest(users)): AspNetJson<UserIdsRequest>,
) -> Result<Response, ApiError> {
    let answer = state.store.read(path.account(), |account| {
        let found: Vec<UserExplicitAllocationDto<'_>> = users
            .iter()
            .filter_map(|user| {
                let (user, allocation) = account.users().get_key_value(user)?;
                Some(UserExplicitAllocationDto::new(user, allocation))
            })
            .collect();
        json_ok(&found)
    })?;
    Ok(answer)
}

/// `DeleteMultipleUserLicenses`: removes the named users' direct
/// allocations; users without one are reported as failed.
#[utoipa::path(
    delete,
    path = "/api/account/{accountId}/user-license",
    operation_id = "DeleteMultipleUserLicenses",
    tag = "UserLicense",
    params(("accountId" = String, Path, description = "The account (organization) id.")),
    request_body(
        content = UserBundleDeallocationRequestDto,
        description = "The users whose direct allocations to remove.",
        example = json!({"userIds": ["singer-111"]}),
    ),
    responses(
        (status = 200, description = "Which users had a direct allocation to remove.", body = DeallocationDto),
    ),
)]
pub(crate) async fn deallocate(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
    AspNetJson(UserIdsRequest(users)): AspNetJson<UserIdsRequest>,
) -> Result<Response, ApiError> {
    let answer = state.store.update(path.account(), |account| {
        let (successful, failed) = split_by_allocation(account, users);
        account.set_user_allocations(&successful, None)?;
        Ok(json_ok(&DeallocationDto {
            successful_user_ids: successful,
            failed_user_ids: failed,
        }))
    })?;
    Ok(answer)
}

/// Splits users into those with a direct allocation and the rest.
fn split_by_allocation(account: &Account, users: Vec<UserId>) -> (Vec<UserId>, Vec<UserId>) {
    users
        .into_iter()
        .partition(|user| account.users().contains_key(user))
}

/// `RetrieveUserAllocation`: one user's direct allocation; 404 when none.
#[utoipa::path(
    get,
    path = "/api/account/{accountId}/user-license/user/{userId}/allocation",
    operation_id = "RetrieveUserAllocation",
    tag = "UserLicense",
    params(
        ("accountId" = String, Path, description = "The account (organization) id."),
        ("userId" = String, Path, description = "The user id."),
    ),
    responses(
        (status = 200, description = "The user's direct allocation.", body = UserExplicitAllocationDto),
        (status = 404, description = "No account license here, or the user has no direct allocation.",
            body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn user_allocation(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
) -> Result<Response, ApiError> {
    let user = path.user()?;
    state.store.read(path.account(), |account| {
        let (user, allocation) = account.users().get_key_value(&user).ok_or_else(|| {
            ApiError::NotFound(format!(
                "user '{user}' has no direct allocation in account '{}'",
                account.id
            ))
        })?;
        Ok(json_ok(&UserExplicitAllocationDto::new(user, allocation)))
    })?
}
