//! Group rules: `.../user-license/group/{groupId}` (SPEC §3).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{AspNetJson, Caller, Fields, FromJson, Path};
use super::{AppState, json_ok};
use crate::licensing::{AccountRef, BundleCode, GroupId, LicenseSource, Rule};

/// Path parameters of the group routes, under any of the four prefixes.
#[derive(Deserialize)]
pub(crate) struct GroupPath {
    #[serde(default)]
    organization: Option<String>,
    account_id: String,
    group_id: String,
}

impl GroupPath {
    fn account(&self) -> AccountRef<'_> {
        AccountRef {
            organization: self.organization.as_deref(),
            account_id: &self.account_id,
        }
    }

    fn group(&self) -> Result<GroupId, ApiError> {
        GroupId::parse(self.group_id.as_str())
            .map_err(|e| ApiError::validation("groupId", e.to_string()))
    }
}

/// `GroupRuleAllocationRequestDto`.
pub(crate) struct GroupRuleRequest {
    codes: Vec<BundleCode>,
    source: LicenseSource,
}

impl FromJson for GroupRuleRequest {
    const TYPE_NAME: &'static str = "UiPath.LicenseAccountant.GroupRuleAllocationRequestDto";

    fn from_fields(fields: &mut Fields<'_>) -> Self {
        // Both are bound, so both are checked; the deprecated alias counts only
        // when `userBundleCodes` is absent or null.
        let codes = fields.string_list("userBundleCodes");
        let legacy = fields.string_list("userBundleLicenses");
        let source = LicenseSource::from_external_flag(fields.boolean("useExternalLicense"));
        let codes = codes.or(legacy).unwrap_or_default();
        // Empty strings were reported as errors by `string_list`.
        let codes = codes
            .into_iter()
            .filter_map(|c| BundleCode::parse(c).ok())
            .collect();
        Self { codes, source }
    }
}

/// `GroupRuleDto`, the answer to `AllocateGroupRule`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupRuleDto<'a> {
    group_id: &'a str,
    organization_id: &'a str,
    use_external_license: bool,
    user_bundle_codes: &'a [BundleCode],
}

/// `GroupRuleAllocationDto`, the answer to the GET.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupRuleAllocationDto {
    available_user_bundles: Vec<UserLicenseAsProductDto>,
    allocated_user_bundles: Vec<BundleCode>,
    use_external_license: bool,
}

/// `UserLicenseAsProductDto`: one code's seats.
#[derive(Serialize)]
pub(crate) struct UserLicenseAsProductDto {
    code: BundleCode,
    allocated: u64,
    total: u64,
}

/// `AllocateGroupRule`: creates or replaces the group's rule.
pub(crate) async fn allocate(
    _caller: Caller,
    State(state): State<AppState>,
    Path(path): Path<GroupPath>,
    AspNetJson(request): AspNetJson<GroupRuleRequest>,
) -> Result<Response, ApiError> {
    let group = path.group()?;
    let rule = Rule::new(request.codes, request.source);
    let body = state.store.update(path.account(), |account| {
        account.set_group_rule(&group, Some(rule.clone()))?;
        Ok(json_ok(&GroupRuleDto {
            group_id: group.as_str(),
            organization_id: account.id.as_str(),
            use_external_license: rule.source.is_external(),
            user_bundle_codes: rule.codes(),
        }))
    })?;
    Ok(body)
}

/// `GetAvailableUserLicensesForAccountForGroupCreationOrEditing`: every code
/// the account holds with its seats, and the group's rule if it has one.
pub(crate) async fn get_rule(
    _caller: Caller,
    State(state): State<AppState>,
    Path(path): Path<GroupPath>,
) -> Result<Response, ApiError> {
    let group = path.group()?;
    let body = state.store.read(path.account(), |account| {
        let rule = account.groups().get(&group).and_then(|g| g.rule.as_ref());
        json_ok(&GroupRuleAllocationDto {
            available_user_bundles: available_bundles(account),
            allocated_user_bundles: rule.map(|r| r.codes().to_vec()).unwrap_or_default(),
            use_external_license: rule.is_some_and(|r| r.source.is_external()),
        })
    })?;
    Ok(body)
}

/// `DeallocateGroupRule`: removes the rule; removing none is not an error.
pub(crate) async fn deallocate(
    _caller: Caller,
    State(state): State<AppState>,
    Path(path): Path<GroupPath>,
) -> Result<Response, ApiError> {
    let group = path.group()?;
    state.store.update(path.account(), |account| {
        account.set_group_rule(&group, None)
    })?;
    Ok(().into_response())
}

/// Every code the account holds, sorted by code, with `allocated` = used seats.
pub(crate) fn available_bundles(
    account: &crate::licensing::Account,
) -> Vec<UserLicenseAsProductDto> {
    account
        .licenses()
        .into_iter()
        .flatten()
        .map(|(code, seats)| UserLicenseAsProductDto {
            code: code.clone(),
            allocated: seats.used,
            total: seats.total,
        })
        .collect()
}
