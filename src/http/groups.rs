//! Group rules: `.../user-license/group/{groupId}`, its `with-quota` form,
//! and the listings of rules (SPEC §3).

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::error::{ApiError, Problem, ValidationErrors};
use super::extract::{AspNetJson, Caller, Fields, FromJson, LicensePath};
use super::openapi::{
    GroupIdsRequestDto, GroupRuleAllocationRequestDto, GroupRuleWithQuotaAllocationRequestDto,
};
use super::{AppState, json_ok};
use crate::licensing::{Account, BundleCode, Group, GroupId, LicenseSource, Rule, dedup};

/// `GroupRuleAllocationRequestDto`, with the `quotas` of the with-quota form.
pub(crate) struct GroupRuleRequest {
    codes: Vec<BundleCode>,
    source: LicenseSource,
    /// `(code, limit)`, already checked against `codes`.
    quotas: Vec<(BundleCode, u64)>,
}

impl GroupRuleRequest {
    fn rule(self) -> Result<Rule, ApiError> {
        let mut rule = Rule::new(self.codes, self.source);
        for (code, limit) in self.quotas {
            // Decoding checked every quota; a failure here would be a bug.
            rule.set_quota(code, limit)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
        }
        Ok(rule)
    }
}

/// Reads the codes of a rule: `userBundleCodes`, or the deprecated
/// `userBundleLicenses` only when that is absent or null. Both are bound, so
/// both are checked.
fn rule_codes(fields: &mut Fields<'_>) -> Vec<BundleCode> {
    let codes = fields.string_list("userBundleCodes");
    let legacy = fields.string_list("userBundleLicenses");
    codes
        .or(legacy)
        .unwrap_or_default()
        .into_iter()
        // Empty strings were reported by `string_list`.
        .filter_map(|code| BundleCode::parse(code).ok())
        .collect()
}

impl FromJson for GroupRuleRequest {
    const TYPE_NAME: &'static str = "UiPath.LicenseAccountant.GroupRuleAllocationRequestDto";

    fn from_fields(fields: &mut Fields<'_>) -> Self {
        let codes = rule_codes(fields);
        let source = LicenseSource::from_external_flag(fields.boolean("useExternalLicense"));
        // Unknown properties are ignored, so a plain PUT ignores `quotas`;
        // `read_quotas` is called by the with-quota form only.
        Self {
            codes,
            source,
            quotas: Vec::new(),
        }
    }
}

/// The with-quota request: a rule plus `quotas: [{userBundleCode, limit}]`.
pub(crate) struct GroupRuleWithQuotaRequest(GroupRuleRequest);

impl FromJson for GroupRuleWithQuotaRequest {
    const TYPE_NAME: &'static str =
        "UiPath.LicenseAccountant.GroupRuleWithQuotaAllocationRequestDto";

    fn from_fields(fields: &mut Fields<'_>) -> Self {
        let mut request = GroupRuleRequest::from_fields(fields);
        let quotas = fields
            .objects("quotas", "UiPath.LicenseAccountant.QuotaDto", |quota| {
                (quota.string("userBundleCode"), quota.int32("limit"))
            })
            .unwrap_or_default();
        for (i, (code, limit)) in quotas.into_iter().enumerate() {
            let at = |field: &str| format!("quotas[{i}].{field}");
            let code = match code.map(BundleCode::parse) {
                Some(Ok(code)) => code,
                _ => {
                    if !fields.has_error(&at("userBundleCode")) {
                        fields.error(
                            &at("userBundleCode"),
                            "A quota must name a user bundle code.",
                        );
                    }
                    continue;
                }
            };
            if !request.codes.contains(&code) {
                let message = format!("The quota's code '{code}' is not in userBundleCodes.");
                fields.error(&at("userBundleCode"), message);
            } else if request.quotas.iter().any(|(c, _)| *c == code) {
                fields.error(&at("userBundleCode"), format!("'{code}' has two quotas."));
            }
            if limit < 1 && !fields.has_error(&at("limit")) {
                fields.error(&at("limit"), "The quota's limit must be at least 1.");
            }
            request
                .quotas
                .push((code, u64::try_from(limit).unwrap_or_default()));
        }
        Self(request)
    }
}

/// `GroupRuleDto`, the answer to `AllocateGroupRule`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct GroupRuleDto<'a> {
    group_id: &'a str,
    /// The account id.
    organization_id: &'a str,
    use_external_license: bool,
    #[schema(value_type = Vec<String>)]
    user_bundle_codes: &'a [BundleCode],
}

impl<'a> GroupRuleDto<'a> {
    fn new(account: &'a Account, group: &'a GroupId, rule: Option<&'a Rule>) -> Self {
        Self {
            group_id: group.as_str(),
            organization_id: account.id.as_str(),
            use_external_license: rule.is_some_and(|r| r.source.is_external()),
            user_bundle_codes: rule.map_or(&[], Rule::codes),
        }
    }
}

/// `GroupRuleAllocationDto`, the answer to the GET.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct GroupRuleAllocationDto<'a> {
    /// Every code the account holds, sorted by code.
    available_user_bundles: Vec<UserLicenseAsProductDto>,
    /// The codes of the group's rule; empty when it has none.
    #[schema(value_type = Vec<String>)]
    allocated_user_bundles: &'a [BundleCode],
    use_external_license: bool,
}

/// `UserLicenseAsProductDto`: one code's seats.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserLicenseAsProductDto {
    #[schema(value_type = String)]
    code: BundleCode,
    /// Seats in use.
    allocated: u64,
    /// Seats purchased.
    total: u64,
}

/// A group rule with its quotas, the answer of both with-quota routes.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct GroupRuleWithQuotaDto<'a> {
    group_rule: GroupRuleDto<'a>,
    quotas: Vec<QuotaDto<'a>>,
}

/// One quota with the seats its rule uses now.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct QuotaDto<'a> {
    #[schema(value_type = String)]
    user_bundle_code: &'a BundleCode,
    /// The most seats of this code the rule may reserve.
    limit: u64,
    /// Seats of this code the rule reserves now.
    current_usage: u64,
}

fn quotas<'a>(account: &Account, group: &GroupId, rule: Option<&'a Rule>) -> Vec<QuotaDto<'a>> {
    let members = account.members_of(group);
    rule.into_iter()
        .flat_map(|rule| {
            rule.quotas().iter().map(move |(code, &limit)| QuotaDto {
                user_bundle_code: code,
                limit,
                current_usage: rule.seats_of(code, members),
            })
        })
        .collect()
}

/// `GroupAllocationDto`: a rule as the listings show it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct GroupAllocationDto<'a> {
    id: &'a str,
    name: Option<&'a str>,
    #[schema(value_type = Vec<String>)]
    user_bundle_licenses: &'a [BundleCode],
    /// Seats the rule holds, by code.
    #[schema(value_type = std::collections::BTreeMap<String, u64>)]
    user_bundle_leases: Map<String, Value>,
    use_external_license: bool,
    /// Always `false`: the emulator has no directory to lose a group from.
    orphan: bool,
}

impl<'a> GroupAllocationDto<'a> {
    fn new(account: &Account, id: &'a GroupId, group: &'a Group, rule: &'a Rule) -> Self {
        let members = account.members_of(id);
        let leases = rule
            .codes()
            .iter()
            .map(|code| (code.to_string(), rule.seats_of(code, members).into()))
            .collect();
        Self {
            id: id.as_str(),
            name: group.name.as_deref(),
            user_bundle_licenses: rule.codes(),
            user_bundle_leases: leases,
            use_external_license: rule.source.is_external(),
            orphan: false,
        }
    }
}

/// `AllocateGroupRule`: creates or replaces the group's rule, quotas included.
///
/// The rule replaces the previous one whole; quotas set by the with-quota
/// form are dropped. The documentation's cURL example uses POST on this path
/// by mistake: POST here is a 405 whose `detail` says so.
#[utoipa::path(
    put,
    path = "/api/account/{accountId}/user-license/group/{groupId}",
    operation_id = "AllocateGroupRule",
    tag = "UserLicense",
    params(
        ("accountId" = String, Path, description = "The account (organization) id."),
        ("groupId" = String, Path, description = "The directory group id."),
    ),
    request_body(
        content = GroupRuleAllocationRequestDto,
        description = "The codes to allocate to every member of the group.",
        example = json!({"userBundleCodes": ["RPADEVPRONU", "IDU"], "useExternalLicense": false}),
    ),
    responses(
        (status = 200, description = "The rule as stored.", body = GroupRuleDto),
        (status = 409, description = "A code the account does not hold, or not enough seats; nothing changed.",
            body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn allocate(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
    AspNetJson(request): AspNetJson<GroupRuleRequest>,
) -> Result<Response, ApiError> {
    let group = path.group()?;
    let rule = request.rule()?;
    let answer = state.store.update(path.account(), |account| {
        account.set_group_rule(&group, Some(rule))?;
        let stored = account.groups().get(&group).and_then(|g| g.rule.as_ref());
        Ok(json_ok(&GroupRuleDto::new(account, &group, stored)))
    })?;
    Ok(answer)
}

/// `GetAvailableUserLicensesForAccountForGroupCreationOrEditing`: every code
/// the account holds with its seats, and the group's rule if it has one.
#[utoipa::path(
    get,
    path = "/api/account/{accountId}/user-license/group/{groupId}",
    operation_id = "GetAvailableUserLicensesForAccountForGroupCreationOrEditing",
    tag = "UserLicense",
    params(
        ("accountId" = String, Path, description = "The account (organization) id."),
        ("groupId" = String, Path, description = "The directory group id."),
    ),
    responses(
        (status = 200, description = "The account's seats and the group's rule (empty without one).",
            body = GroupRuleAllocationDto),
    ),
)]
pub(crate) async fn get_rule(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
) -> Result<Response, ApiError> {
    let group = path.group()?;
    let answer = state.store.read(path.account(), |account| {
        let rule = account.groups().get(&group).and_then(|g| g.rule.as_ref());
        json_ok(&GroupRuleAllocationDto {
            available_user_bundles: available_bundles(account),
            allocated_user_bundles: rule.map_or(&[], Rule::codes),
            use_external_license: rule.is_some_and(|r| r.source.is_external()),
        })
    })?;
    Ok(answer)
}

/// `DeallocateGroupRule`: removes the rule; removing none is not an error.
#[utoipa::path(
    delete,
    path = "/api/account/{accountId}/user-license/group/{groupId}",
    operation_id = "DeallocateGroupRule",
    tag = "UserLicense",
    params(
        ("accountId" = String, Path, description = "The account (organization) id."),
        ("groupId" = String, Path, description = "The directory group id."),
    ),
    responses((status = 200, description = "The group has no rule now; the body is empty.")),
)]
pub(crate) async fn deallocate(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
) -> Result<Response, ApiError> {
    let group = path.group()?;
    state.store.update(path.account(), |account| {
        account.set_group_rule(&group, None)
    })?;
    Ok(().into_response())
}

/// `AllocateGroupRuleWithQuota`: sets a rule whose quotas cap the seats it reserves.
#[utoipa::path(
    put,
    path = "/api/account/{accountId}/user-license/group/{groupId}/with-quota",
    operation_id = "AllocateGroupRuleWithQuota",
    tag = "UserLicense",
    params(
        ("accountId" = String, Path, description = "The account (organization) id."),
        ("groupId" = String, Path, description = "The directory group id."),
    ),
    request_body(
        content = GroupRuleWithQuotaAllocationRequestDto,
        description = "The codes to allocate, with per-code caps on the seats the rule reserves.",
        example = json!({
            "userBundleCodes": ["RPADEVPRONU", "IDU"],
            "useExternalLicense": false,
            "quotas": [{"userBundleCode": "IDU", "limit": 2}]
        }),
    ),
    responses(
        (status = 200, description = "The rule and its quotas as stored.", body = GroupRuleWithQuotaDto),
        (status = 400, description = "The body does not decode, or a quota names a code outside \
            `userBundleCodes` or has a limit below 1.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A code the account does not hold, or not enough seats; nothing changed.",
            body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn allocate_with_quota(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
    AspNetJson(GroupRuleWithQuotaRequest(request)): AspNetJson<GroupRuleWithQuotaRequest>,
) -> Result<Response, ApiError> {
    let group = path.group()?;
    let rule = request.rule()?;
    let answer = state.store.update(path.account(), |account| {
        account.set_group_rule(&group, Some(rule))?;
        Ok(with_quota(account, &group))
    })?;
    Ok(answer)
}

/// `GetGroupRuleWithQuota`: the rule and its quotas; 404 for a group with no
/// rule that nobody declared.
#[utoipa::path(
    get,
    path = "/api/account/{accountId}/user-license/group/{groupId}/with-quota",
    operation_id = "GetGroupRuleWithQuota",
    tag = "UserLicense",
    params(
        ("accountId" = String, Path, description = "The account (organization) id."),
        ("groupId" = String, Path, description = "The directory group id."),
    ),
    responses(
        (status = 200, description = "The rule and its quotas.", body = GroupRuleWithQuotaDto),
        (status = 404, description = "No account license here, or a group with no rule that nobody declared.",
            body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn get_with_quota(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
) -> Result<Response, ApiError> {
    let group = path.group()?;
    state.store.read(path.account(), |account| {
        if account.groups().contains_key(&group) {
            Ok(with_quota(account, &group))
        } else {
            Err(ApiError::NotFound(format!(
                "group '{group}' has no rule in account '{}'",
                account.id
            )))
        }
    })?
}

fn with_quota(account: &Account, group: &GroupId) -> Response {
    let rule = account.groups().get(group).and_then(|g| g.rule.as_ref());
    json_ok(&GroupRuleWithQuotaDto {
        group_rule: GroupRuleDto::new(account, group, rule),
        quotas: quotas(account, group, rule),
    })
}

/// `GroupIdsRequestDto`.
pub(crate) struct GroupIdsRequest(Vec<GroupId>);

impl FromJson for GroupIdsRequest {
    const TYPE_NAME: &'static str = "UiPath.LicenseAccountant.GroupIdsRequestDto";

    fn from_fields(fields: &mut Fields<'_>) -> Self {
        let ids = fields.string_list("groupIds").unwrap_or_default();
        // Each group once, in the order first named.
        Self(dedup(
            ids.into_iter()
                .filter_map(|id| GroupId::parse(id).ok())
                .collect(),
        ))
    }
}

/// `RetrieveGroupAllocations`: the rules of the named groups that have one,
/// in the order named.
#[utoipa::path(
    post,
    path = "/api/account/{accountId}/user-license/group",
    operation_id = "RetrieveGroupAllocations",
    tag = "UserLicense",
    params(("accountId" = String, Path, description = "The account (organization) id.")),
    request_body(
        content = GroupIdsRequestDto,
        description = "The groups whose rules to return.",
        example = json!({"groupIds": ["group-01", "all-staff"]}),
    ),
    responses(
        (status = 200, description = "The rules of those groups that have one.", body = [GroupAllocationDto]),
    ),
)]
pub(crate) async fn retrieve(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
    AspNetJson(GroupIdsRequest(ids)): AspNetJson<GroupIdsRequest>,
) -> Result<Response, ApiError> {
    let answer = state.store.read(path.account(), |account| {
        let rules: Vec<GroupAllocationDto<'_>> = ids
            .iter()
            .filter_map(|id| {
                let (id, group) = account.groups().get_key_value(id)?;
                Some(GroupAllocationDto::new(
                    account,
                    id,
                    group,
                    group.rule.as_ref()?,
                ))
            })
            .collect();
        json_ok(&rules)
    })?;
    Ok(answer)
}

/// One page of the with-quota listing.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = GroupRuleWithQuotaListDtoPagedResult)]
struct GroupsPage<'a> {
    results: Vec<ListedGroup<'a>>,
    /// Groups with a rule, over all pages.
    total_count: usize,
}

/// One group of the with-quota listing.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = GroupRuleWithQuotaListDto)]
struct ListedGroup<'a> {
    group_rule: ListedRule<'a>,
    quotas: Vec<QuotaDto<'a>>,
}

/// A rule as the with-quota listing shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = GroupAllocationWithAvailabilityDto)]
struct ListedRule<'a> {
    #[serde(flatten)]
    allocation: GroupAllocationDto<'a>,
    /// Always empty: every code the emulator allocates is one the account holds.
    #[schema(value_type = Vec<String>)]
    user_license_bundles_unavailable: [&'a str; 0],
}

/// The listing's query: `skip`, `top` (1..50, default 10), `sortOrder`.
struct Paging {
    skip: usize,
    top: usize,
    descending: bool,
}

impl Paging {
    /// Reads the query by ASP.NET Core's binding rules: names are
    /// case-insensitive, a bad value is a 400 keyed by the parameter.
    fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|e| {
                ApiError::validation("$", format!("The query string is malformed: {e}."))
            })?;
        let value = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let mut errors = ValidationErrors::new();
        let mut number = |name: &str, default: i64, range: std::ops::RangeInclusive<i64>| {
            let Some(text) = value(name) else {
                return default;
            };
            match text.parse::<i64>() {
                Ok(n) if range.contains(&n) => n,
                Ok(_) => {
                    let message = format!(
                        "The field {name} must be between {} and {}.",
                        range.start(),
                        range.end()
                    );
                    errors.entry(name.to_owned()).or_default().push(message);
                    default
                }
                Err(_) => {
                    let message = format!("The value '{text}' is not valid for {name}.");
                    errors.entry(name.to_owned()).or_default().push(message);
                    default
                }
            }
        };
        let skip = number("skip", 0, 0..=i64::from(i32::MAX));
        let top = number("top", 10, 1..=50);
        let descending = match value("sortOrder").map(str::to_ascii_lowercase).as_deref() {
            // ASP.NET Core binds an enum from its name or its number.
            None | Some("asc" | "0") => false,
            Some("desc" | "1") => true,
            Some(other) => {
                let message =
                    format!("The value '{other}' is not valid for sortOrder; use asc or desc.");
                errors
                    .entry("sortOrder".to_owned())
                    .or_default()
                    .push(message);
                false
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Self {
            skip: usize::try_from(skip).unwrap_or_default(),
            top: usize::try_from(top).unwrap_or_default(),
            descending,
        })
    }
}

/// `GetGroupRulesWithQuota`: a page of the groups that have rules, sorted by
/// name (then id), with `totalCount` over all of them.
#[utoipa::path(
    get,
    path = "/api/account/{accountId}/user-license/groups/with-quota",
    operation_id = "GetGroupRulesWithQuota",
    tag = "UserLicense",
    params(
        ("accountId" = String, Path, description = "The account (organization) id."),
        ("skip" = Option<i32>, Query, minimum = 0, description = "Groups to skip (default 0)."),
        ("top" = Option<i32>, Query, minimum = 1, maximum = 50, description = "Page size, 1 to 50 (default 10)."),
        ("sortOrder" = Option<String>, Query, description = "`asc` (default) or `desc`, by group name."),
    ),
    responses(
        (status = 200, description = "One page of the groups that have a rule.", body = GroupsPage),
        (status = 400, description = "A paging parameter out of range or not a number.",
            body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn list_with_quota(
    _caller: Caller,
    State(state): State<AppState>,
    path: LicensePath,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let paging = Paging::parse(query.as_deref())?;
    let answer = state.store.read(path.account(), |account| {
        let mut ruled: Vec<(&GroupId, &Group, &Rule)> = account
            .groups()
            .iter()
            .filter_map(|(id, group)| Some((id, group, group.rule.as_ref()?)))
            .collect();
        let sort_key = |(id, group, _): &(&GroupId, &Group, &Rule)| {
            (
                group.name.as_deref().unwrap_or(id.as_str()).to_lowercase(),
                id.to_string(),
            )
        };
        ruled.sort_by_cached_key(sort_key);
        if paging.descending {
            ruled.reverse();
        }
        let total_count = ruled.len();
        let results = ruled
            .into_iter()
            .skip(paging.skip)
            .take(paging.top)
            .map(|(id, group, rule)| ListedGroup {
                group_rule: ListedRule {
                    allocation: GroupAllocationDto::new(account, id, group, rule),
                    user_license_bundles_unavailable: [],
                },
                quotas: quotas(account, id, Some(rule)),
            })
            .collect();
        json_ok(&GroupsPage {
            results,
            total_count,
        })
    })?;
    Ok(answer)
}

/// Every code the account holds, sorted by code, with `allocated` = used seats.
pub(crate) fn available_bundles(account: &Account) -> Vec<UserLicenseAsProductDto> {
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
