//! The emulator's own OpenAPI document, served at `GET /__admin/openapi.json`
//! (SPEC §7) and generated from the handlers' `#[utoipa::path]` annotations.
//!
//! Each handler is annotated once. The License Accountant handlers carry
//! paths relative to a prefix (`/api/account/{accountId}/...`) and the real
//! service's operation ids; [`document`] copies them under each of the four
//! prefixes they are served under, and gives every copy what all of them
//! share (the bearer scheme, the errors every license route can answer, the
//! media types ASP.NET Core accepts). The token and legacy ROPC routes are
//! copied the same way under their organization (and tenant) segment.
//!
//! **Operation ids** must be unique in a document, and one operation served
//! under four prefixes is four operations. The canonical prefix, the one the
//! real service's documentation uses (`/{organizationName}/lease_`), keeps the
//! real id (`AllocateGroupRule`), so generated clients get the real method
//! names; the other prefixes add a suffix: `_lease` for `/lease_`, `_orgLa`
//! for `/{organizationName}/la`, `_la` for `/la`. The identity routes do the
//! same: `RequestToken` and `RequestToken_org`, `Account_Authenticate` and
//! `Account_Authenticate_tenant`.
//!
//! Path parameters are named as in the real documentation (`accountId`,
//! `organizationName`), not as the router names them (`account_id`).
//!
//! HEAD, which axum serves wherever GET is, is not listed: by HTTP semantics
//! it is implied by GET.
//!
//! The document is built on first request and kept, so start-up does no work
//! for it.

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::{Tag, TagBuilder};
use utoipa::openapi::{
    Components, ContentBuilder, Header, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Required,
};
use utoipa::{OpenApi as _, ToSchema};

use super::{admin, groups, identity, users};

/// The four prefixes of `super::license::PREFIXES`, as the router spells
/// them, with the suffix their copies add to operation ids.
const OPERATION_ID_SUFFIXES: [(&str, &str); 4] = [
    ("/{organization}/lease_", ""),
    ("/lease_", "_lease"),
    ("/{organization}/la", "_orgLa"),
    ("/la", "_la"),
];

/// The name of the bearer scheme of the license routes, as in the real document.
const BEARER: &str = "bearerAuth";
/// The name of the scheme of `--admin-token`.
const ADMIN_TOKEN: &str = "adminToken";
/// The media type of problem bodies.
const PROBLEM_JSON: &str = "application/problem+json";
/// What ASP.NET Core's JSON input formatter accepts besides `application/json`.
const MORE_JSON_MEDIA_TYPES: [&str; 2] = ["text/json", "application/*+json"];

/// The License Accountant handlers, in the route table's order.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    users::totals,
    users::allocate,
    users::retrieve,
    users::deallocate,
    users::user_allocation,
    groups::retrieve,
    groups::get_rule,
    groups::allocate,
    groups::deallocate,
    groups::get_with_quota,
    groups::allocate_with_quota,
    groups::list_with_quota,
))]
struct LicenseAccountantApi;

/// The identity handlers.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    identity::token,
    identity::discovery,
    identity::jwks,
    identity::legacy_authenticate,
))]
struct IdentityApi;

/// The control plane's handlers.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    admin::health,
    admin::reset,
    admin::state_document,
    admin::replace_fixtures,
    admin::list_accounts,
    admin::create_account,
    admin::get_account,
    admin::put_account,
    admin::delete_account,
    admin::put_group,
    admin::put_licenses,
    admin::list_requests,
    admin::clear_requests,
    admin::count_requests,
    admin::list_faults,
    admin::add_fault,
    admin::clear_faults,
    admin::get_fault,
    admin::remove_fault,
    admin::metrics,
    admin::openapi_document,
))]
struct AdminApi;

/// The document as JSON, built on first call.
pub(crate) fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    // Serializing maps with string keys cannot fail.
    JSON.get_or_init(|| document().to_json().unwrap_or_default())
}

/// The whole document: the license routes under each prefix, the identity
/// routes, the control plane.
pub(crate) fn document() -> OpenApi {
    let mut document = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("uipath-license-mock")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(DESCRIPTION))
                .build(),
        )
        .build();
    let mut components = Components::new();
    for mut api in [license_api(), identity_api(), admin_api()] {
        document.paths.paths.append(&mut api.paths.paths);
        if let Some(mut more) = api.components {
            components.schemas.append(&mut more.schemas);
        }
    }
    add_shared_components(&mut components);
    document.components = Some(components);
    document.tags = Some(tags());
    document
}

/// The License Accountant operations, once under each of the four prefixes.
fn license_api() -> OpenApi {
    let annotated = LicenseAccountantApi::openapi();
    let mut api = OpenApi::default();
    for (prefix, suffix) in OPERATION_ID_SUFFIXES {
        let prefix = prefix.replace("{organization}", "{organizationName}");
        let parameters = if prefix.contains("{organizationName}") {
            vec![organization_parameter()]
        } else {
            Vec::new()
        };
        for (path, item) in &annotated.paths.paths {
            let mut item = copy(item, suffix, &parameters);
            operations(&mut item).for_each(license_operation);
            api.paths.paths.insert(format!("{prefix}{path}"), item);
        }
    }
    api.components = annotated.components;
    api
}

/// The identity operations; the token endpoint also under an organization,
/// the legacy ROPC call also under an organization and a tenant.
fn identity_api() -> OpenApi {
    let annotated = IdentityApi::openapi();
    let mut api = OpenApi::default();
    for (path, item) in &annotated.paths.paths {
        let mut item = item.clone();
        // The legacy ROPC body is read as the license bodies are; the token
        // endpoint takes a form.
        operations(&mut item)
            .filter(|operation| has_media_type(operation, "application/json"))
            .for_each(aspnet_json_body);
        let copy_under = match path.as_str() {
            "/identity_/connect/token" => Some((
                "/{organizationName}",
                "_org",
                vec![organization_parameter()],
            )),
            "/api/account/authenticate" => Some((
                "/{organizationName}/{tenantName}",
                "_tenant",
                vec![
                    organization_parameter(),
                    path_parameter(
                        "tenantName",
                        "The tenant; the tenancy of the login when the body has no \
                         `tenancyName`.",
                    ),
                ],
            )),
            _ => None,
        };
        let copied = copy_under.map(|(prefix, suffix, parameters)| {
            (format!("{prefix}{path}"), copy(&item, suffix, &parameters))
        });
        api.paths.paths.insert(path.clone(), item);
        api.paths.paths.extend(copied);
    }
    api.components = annotated.components;
    api
}

/// The control plane's operations; all but health are behind `--admin-token`.
fn admin_api() -> OpenApi {
    let mut api = AdminApi::openapi();
    for (path, item) in &mut api.paths.paths {
        if path != "/__admin/health" {
            operations(item).for_each(admin_operation);
        }
    }
    api
}

/// The security schemes, and the 405 no operation can list.
fn add_shared_components(components: &mut Components) {
    components.security_schemes.insert(
        BEARER.to_owned(),
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "A token from the token endpoint or the legacy ROPC call, or one the fixtures \
                     declare. In lenient mode (the default) any other token is accepted with every \
                     scope, so the documentation's `Bearer 1234` works. GET needs `PM.License` or \
                     `PM.License.Read`; other methods `PM.License` or `PM.License.Write`.",
                ))
                .build(),
        ),
    );
    components.security_schemes.insert(
        ADMIN_TOKEN.to_owned(),
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "The `--admin-token`, when one is set; license tokens never open the \
                     control plane.",
                ))
                .build(),
        ),
    );
    components.responses.insert(
        "MethodNotAllowed".to_owned(),
        RefOr::T(problem(
            "A path this document lists, with a method it does not list; the `Allow` header \
             lists those it does.",
        )),
    );
}

fn tags() -> Vec<Tag> {
    [
        (
            "UserLicense",
            "The License Accountant's user license routes, under `/{organizationName}/lease_`, \
             `/lease_`, `/{organizationName}/la` and `/la`.",
        ),
        ("Identity", "Tokens for the license routes."),
        (
            "Admin",
            "The emulator's control plane: state, journal, faults, metrics.",
        ),
    ]
    .into_iter()
    .map(|(name, description)| {
        TagBuilder::new()
            .name(name)
            .description(Some(description))
            .build()
    })
    .collect()
}

const DESCRIPTION: &str = "A local emulator of UiPath's license allocation API (the License \
Accountant service), its identity routes, and its own control plane under `/__admin`.\n\n\
Every License Accountant route is served under four prefixes. Under `/{organizationName}/lease_`, \
the one the real documentation uses, operations keep the real service's operation ids; the \
copies under `/lease_`, `/{organizationName}/la` and `/la` add `_lease`, `_orgLa` and `_la`.\n\n\
Errors of the license and admin routes are `application/problem+json` as ASP.NET Core renders \
them, with a `traceId` equal to the `x-request-id` header; 401 and 403 have empty bodies. The \
identity routes answer errors as OAuth (RFC 6749) and ABP clients expect. A listed path called with a method \
it does not list answers 405 (see `#/components/responses/MethodNotAllowed`).";

/// The organization segment of the prefixed paths.
fn organization_parameter() -> Parameter {
    path_parameter(
        "organizationName",
        "The organization name (or id). When the account declares an `organizationName`, \
         another one here is a 404; otherwise any value is accepted.",
    )
}

/// A required string path parameter.
fn path_parameter(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(Object::with_type(Type::String)))
        .build()
}

/// Every operation of a path item.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// `item` for another prefix: operation ids get `suffix`, and the prefix's
/// path `parameters` come first.
fn copy(item: &PathItem, suffix: &str, parameters: &[Parameter]) -> PathItem {
    let mut item = item.clone();
    for operation in operations(&mut item) {
        if let Some(id) = &mut operation.operation_id {
            id.push_str(suffix);
        }
        if !parameters.is_empty() {
            let own = operation.parameters.take().unwrap_or_default();
            operation.parameters = Some(parameters.iter().cloned().chain(own).collect());
        }
    }
    item
}

/// Whether the operation's request body has this media type.
fn has_media_type(operation: &Operation, media_type: &str) -> bool {
    operation
        .request_body
        .as_ref()
        .is_some_and(|body| body.content.contains_key(media_type))
}

/// What every License Accountant operation shares. Statuses a handler
/// documents itself keep its description.
fn license_operation(operation: &mut Operation) {
    operation.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, response: Response| {
        responses
            .entry(status.to_owned())
            .or_insert(RefOr::T(response));
    };
    add(
        "401",
        ResponseBuilder::new()
            .description(
                "No bearer token, or one the emulator does not accept (expired, badly signed, \
                 unknown in strict mode); `WWW-Authenticate` says why. The body is empty.",
            )
            .header(
                "WWW-Authenticate",
                Header::new(Object::with_type(Type::String)),
            )
            .build(),
    );
    add(
        "403",
        ResponseBuilder::new()
            .description(
                "The token lacks the scope (or, in strict mode, belongs to another \
                 organization). The body is empty.",
            )
            .header(
                "WWW-Authenticate",
                Header::new(Object::with_type(Type::String)),
            )
            .build(),
    );
    add(
        "404",
        problem(
            "No account license is allocated for the indicated organization: an unknown \
             account, one whose `licenses` is null, or an organization segment other than the \
             account's `organizationName`.",
        ),
    );
    if has_media_type(operation, "application/json") {
        aspnet_json_body(operation);
    }
}

/// A JSON body read as ASP.NET Core reads it: three media types, and the
/// 400, 413 and 415 that reading can answer.
fn aspnet_json_body(operation: &mut Operation) {
    if let Some(RequestBody { content, .. }) = &mut operation.request_body {
        if let Some(json) = content.get("application/json").cloned() {
            for media_type in MORE_JSON_MEDIA_TYPES {
                content
                    .entry(media_type.to_owned())
                    .or_insert_with(|| json.clone());
            }
        }
    }
    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(problem(description)));
    };
    add(
        "400",
        "The body does not decode: not JSON, or a wrong JSON type (`errors` is keyed by JSON \
         path, such as `$.userBundleCodes`).",
    );
    add(
        "413",
        "The body is over the limit (`--body-limit`, 1 MiB by default).",
    );
    add(
        "415",
        "The Content-Type is not `application/json`, `text/json` or `application/*+json`.",
    );
}

/// What every admin operation but health shares: `--admin-token`, when set.
fn admin_operation(operation: &mut Operation) {
    operation.security = Some(vec![
        SecurityRequirement::default(),
        SecurityRequirement::new(ADMIN_TOKEN, Vec::<String>::new()),
    ]);
    operation
        .responses
        .responses
        .entry("401".to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(
                        "An `--admin-token` is set and the request does not carry it. The body \
                         is empty.",
                    )
                    .header(
                        "WWW-Authenticate",
                        Header::new(Object::with_type(Type::String)),
                    )
                    .build(),
            )
        });
}

/// A problem+json answer.
fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(
                    <super::error::Problem as ToSchema>::name(),
                )))
                .build(),
        )
        .build()
}

pub(crate) use wire::*;

/// Bodies with no Rust type of their own to derive a schema from: request
/// bodies that `FromJson` readers take apart by hand (by ASP.NET Core's
/// lenient rules), answers built with `json!`, and the fixture, journal and
/// fault formats of modules outside `http`. Each mirrors the code that reads
/// or writes it; the API tests check the answers against these schemas.
///
/// `Serialize` is derived only so that serde's attributes, which utoipa reads,
/// can spell names and shapes (`untagged`, `flatten`) exactly as serde would.
#[expect(
    dead_code,
    reason = "these types exist for their schemas; nothing builds them"
)]
mod wire {
    use std::collections::BTreeMap;

    use super::{Serialize, ToSchema, Value};

    // ---- License Accountant request bodies (read by `groups` and `users`).

    /// `GroupRuleAllocationRequestDto`. Unknown properties are ignored and
    /// names are matched case-insensitively.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct GroupRuleAllocationRequestDto {
        /// Deprecated alias of `userBundleCodes`, read only when that is absent or null.
        #[schema(deprecated)]
        user_bundle_licenses: Option<Vec<String>>,
        /// The codes; duplicates count once; `null` is an empty list.
        user_bundle_codes: Option<Vec<String>>,
        /// Members bring their own licenses: no seats are reserved. `null` is a 400.
        #[serde(default)]
        use_external_license: bool,
    }

    /// The with-quota form of a group rule request.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct GroupRuleWithQuotaAllocationRequestDto {
        /// Deprecated alias of `userBundleCodes`, read only when that is absent or null.
        #[schema(deprecated)]
        user_bundle_licenses: Option<Vec<String>>,
        /// The codes; duplicates count once; `null` is an empty list.
        user_bundle_codes: Option<Vec<String>>,
        /// Members bring their own licenses: no seats are reserved. `null` is a 400.
        #[serde(default)]
        use_external_license: bool,
        /// At most one per code, each naming a code of `userBundleCodes`.
        quotas: Option<Vec<QuotaAllocationDto>>,
    }

    /// A cap on the seats a group rule reserves for one code.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct QuotaAllocationDto {
        user_bundle_code: String,
        #[schema(minimum = 1)]
        limit: i32,
    }

    /// `GroupIdsRequestDto`.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct GroupIdsRequestDto {
        group_ids: Option<Vec<String>>,
    }

    /// `UserLicenseAllocationRequestDto`.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct UserLicenseAllocationRequestDto {
        user_ids: Option<Vec<String>>,
        /// Deprecated alias of `userBundleCodes`, read only when that is absent or null.
        #[schema(deprecated)]
        license_codes: Option<Vec<String>>,
        /// The codes each user gets; duplicates count once; `null` is an empty list.
        user_bundle_codes: Option<Vec<String>>,
        /// The users bring their own licenses: no seats are used. `null` is a 400.
        #[serde(default)]
        use_external_license: bool,
    }

    /// `UserIdsRequestDto`.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct UserIdsRequestDto {
        user_ids: Option<Vec<String>>,
    }

    /// `UserBundleDeallocationRequestDto`.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct UserBundleDeallocationRequestDto {
        user_ids: Option<Vec<String>>,
    }

    // ---- Identity.

    /// The token request form; empty fields are ignored.
    #[derive(Serialize, ToSchema)]
    pub(crate) struct TokenForm {
        /// `client_credentials`, `password` or `refresh_token`.
        grant_type: String,
        /// Or HTTP Basic.
        client_id: Option<String>,
        /// Or HTTP Basic.
        client_secret: Option<String>,
        /// Space-separated; absent: every scope of the client.
        scope: Option<String>,
        /// `password` grant.
        username: Option<String>,
        /// `password` grant.
        password: Option<String>,
        /// `refresh_token` grant.
        refresh_token: Option<String>,
    }

    /// A successful token answer (RFC 6749 §5.1).
    #[derive(Serialize, ToSchema)]
    pub(crate) struct TokenResponse {
        /// An RS256 JWT.
        access_token: String,
        /// Seconds until it expires.
        expires_in: u64,
        /// Always `Bearer`.
        token_type: String,
        /// The granted scopes, space-separated.
        scope: String,
        /// Present when `offline_access` was granted.
        #[serde(skip_serializing_if = "Option::is_none")]
        refresh_token: Option<String>,
    }

    /// An RFC 6749 §5.2 error.
    #[derive(Serialize, ToSchema)]
    pub(crate) struct OAuthErrorResponse {
        /// `invalid_request`, `invalid_client`, `invalid_grant`, `invalid_scope` or
        /// `unsupported_grant_type`.
        error: String,
        error_description: String,
    }

    /// The OpenID Connect discovery document.
    #[derive(Serialize, ToSchema)]
    pub(crate) struct OpenIdConfiguration {
        issuer: String,
        jwks_uri: String,
        token_endpoint: String,
        grant_types_supported: Vec<String>,
        response_types_supported: Vec<String>,
        subject_types_supported: Vec<String>,
        id_token_signing_alg_values_supported: Vec<String>,
        token_endpoint_auth_methods_supported: Vec<String>,
        scopes_supported: Vec<String>,
        claims_supported: Vec<String>,
    }

    /// A JSON Web Key Set (RFC 7517).
    #[derive(Serialize, ToSchema)]
    pub(crate) struct JsonWebKeySet {
        keys: Vec<JsonWebKey>,
    }

    /// An RSA public key.
    #[derive(Serialize, ToSchema)]
    pub(crate) struct JsonWebKey {
        /// `sig`.
        #[serde(rename = "use")]
        key_use: String,
        /// `RS256`.
        alg: String,
        /// The `kid` of the tokens' header.
        kid: String,
        /// `RSA`.
        kty: String,
        n: String,
        e: String,
    }

    /// The legacy ROPC body; names are matched case-insensitively.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct AuthenticateModel {
        /// The tenant; the URL's tenant segment when absent.
        tenancy_name: Option<String>,
        username_or_email_address: Option<String>,
        password: Option<String>,
    }

    /// The ABP envelope of the legacy ROPC answer.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct AbpAuthenticateResponse {
        /// The bearer token; `null` on failure.
        result: Option<String>,
        /// Always `null`.
        target_url: Option<String>,
        success: bool,
        /// `null` on success.
        error: Option<AbpError>,
        un_authorized_request: bool,
        /// Always `true`.
        #[serde(rename = "__abp")]
        abp: bool,
    }

    /// Why the legacy ROPC call failed.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct AbpError {
        code: i32,
        message: String,
        details: String,
        /// Always `null`.
        validation_errors: Option<Vec<Value>>,
    }

    // ---- Control plane.

    /// `GET /__admin/health`.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Health {
        /// `ok`.
        status: String,
        /// The emulator's version.
        version: String,
        uptime_seconds: u64,
    }

    /// What a reset did.
    #[derive(Serialize, ToSchema)]
    pub(crate) struct ResetAnswer {
        /// The account reset, or `all`.
        reset: String,
        /// What was kept: `journal`, `faults`.
        kept: Vec<String>,
    }

    /// How many accounts new fixtures hold.
    #[derive(Serialize, ToSchema)]
    pub(crate) struct FixturesLoaded {
        accounts: usize,
    }

    /// The fixture format (`crate::fixtures::Fixtures`): files, `GET /__admin/state`
    /// and `PUT /__admin/fixtures` alike. Read strictly: unknown properties are refused.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct Fixtures {
        #[serde(default)]
        accounts: Vec<AccountFixture>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        clients: Vec<ClientFixture>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        logins: Vec<LoginFixture>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tokens: Vec<TokenFixture>,
    }

    /// One organization (`crate::fixtures::AccountFixture`).
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct AccountFixture {
        /// The id in URLs.
        account_id: String,
        /// When set, URLs naming another organization get 404.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        organization_name: Option<String>,
        /// Purchased quantity per code; `null` for no account license. Required.
        #[schema(required = true)]
        licenses: Option<BTreeMap<String, u32>>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        groups: Vec<GroupFixture>,
        /// Direct allocations.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        users: Vec<UserFixture>,
    }

    /// One directory group.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct GroupFixture {
        group_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Absent: an undeclared group, which counts one member.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        members: Option<Members>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<RuleFixture>,
    }

    /// Group members: a list of user ids, or a number of anonymous members.
    #[derive(Serialize, ToSchema)]
    #[serde(untagged)]
    pub(crate) enum Members {
        List(Vec<String>),
        Count(u32),
    }

    /// A group's allocation rule.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct RuleFixture {
        user_bundle_codes: Vec<String>,
        #[serde(default)]
        use_external_license: bool,
        /// Per-code caps on the seats the rule reserves.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        quotas: BTreeMap<String, u32>,
    }

    /// A user's direct allocation.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct UserFixture {
        user_id: String,
        user_bundle_codes: Vec<String>,
        #[serde(default)]
        use_external_license: bool,
    }

    /// A confidential application (client credentials).
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct ClientFixture {
        client_id: String,
        client_secret: String,
        /// The token's `prt_id`.
        account_id: String,
        scopes: Vec<String>,
    }

    /// A user who can sign in with a password.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct LoginFixture {
        /// `Default` when absent.
        #[serde(default)]
        tenancy_name: String,
        username: String,
        password: String,
        account_id: String,
    }

    /// An opaque bearer token declared up front.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct TokenFixture {
        token: String,
        account_id: String,
        scopes: Vec<String>,
        /// Unix seconds; never expires when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<u64>,
    }

    /// `PUT /__admin/accounts/{accountId}/groups/{groupId}`.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct GroupDeclaration {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        members: Option<Members>,
    }

    /// One journal entry (`crate::control::journal::Entry`).
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct JournalEntry {
        /// Increasing.
        id: u64,
        /// RFC 3339, UTC.
        #[schema(format = DateTime)]
        time: String,
        method: String,
        /// Without the query.
        path: String,
        query: Option<String>,
        /// The route template that served it, if one matched.
        route: Option<String>,
        /// The account in the path, if any.
        account_id: Option<String>,
        status: u16,
        duration_ms: f64,
        /// The answer's `x-request-id`.
        request_id: String,
        content_type: Option<String>,
        /// Truncated; secrets redacted.
        request_body: Option<String>,
        /// Truncated; never kept for identity routes.
        response_body: Option<String>,
        /// Answered by a fault rule.
        faulted: bool,
    }

    /// The journal filters of `POST /__admin/requests/count`.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct JournalFilter {
        method: Option<String>,
        /// A glob: `*` is any run of characters, slashes included; `?` one character.
        path: Option<String>,
        /// `409`, `"409"` or a class such as `"4xx"`.
        #[schema(value_type = Option<Value>)]
        status: Option<String>,
        account_id: Option<String>,
        /// An RFC 3339 UTC time or Unix milliseconds.
        since: Option<String>,
        /// Ignored by the count.
        #[schema(value_type = Option<Value>)]
        limit: Option<String>,
        /// Only entries whose request or response body contains this text.
        body_contains: Option<String>,
    }

    /// How many journal entries match.
    #[derive(Serialize, ToSchema)]
    pub(crate) struct CountAnswer {
        count: usize,
    }

    /// A fault rule (`crate::control::faults::FaultSpec`); unknown properties
    /// are refused. It responds, drops the connection, or only delays.
    // Not `deny_unknown_fields`: that would put `additionalProperties: false`
    // in the schema, which `Fault` (this plus counters, by `allOf`) would break.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct FaultSpec {
        /// Which requests it matches; absent fields match everything.
        #[serde(default, rename = "match")]
        matcher: FaultMatch,
        /// Answer instead of the API.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        respond: Option<FaultResponse>,
        /// Delay the answer by this many milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delay_ms: Option<u64>,
        /// Add up to this many milliseconds at random to `delayMs`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jitter_ms: Option<u64>,
        /// Drop the connection without an answer.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        drop: bool,
        /// Let this many matching requests through first.
        #[serde(default)]
        skip: u64,
        /// Fire at most this many times.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        times: Option<u64>,
        /// Fire on this share of matching requests, 0 to 1.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        probability: Option<f64>,
        /// Seed of `probability`'s generator, so a run repeats exactly.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed: Option<u64>,
    }

    /// What a fault rule matches.
    #[derive(Serialize, ToSchema, Default)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct FaultMatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<String>,
        /// A glob: `*` is any run of characters, slashes included; `?` one character.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account_id: Option<String>,
    }

    /// The answer a fault rule forces.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub(crate) struct FaultResponse {
        /// 100 to 599; a 429 always carries `Retry-After`.
        status: u16,
        /// A string is sent as text, anything else as JSON.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
    }

    /// A fault rule with its counters.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Fault {
        id: String,
        #[serde(flatten)]
        spec: FaultSpec,
        /// Matching requests seen so far.
        matched: u64,
        /// Times it fired.
        fired: u64,
    }

    /// The id of a new fault rule.
    #[derive(Serialize, ToSchema)]
    pub(crate) struct FaultId {
        id: String,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_suffix_table_names_exactly_the_prefixes_the_router_serves() {
        let suffixed: Vec<&str> = OPERATION_ID_SUFFIXES.iter().map(|(p, _)| *p).collect();
        assert_eq!(suffixed, super::super::license::PREFIXES);
    }

    #[test]
    fn operation_ids_are_unique() {
        let mut document = document();
        let mut seen = HashSet::new();
        for (path, item) in &mut document.paths.paths {
            for operation in operations(item) {
                let id = operation.operation_id.clone().unwrap_or_default();
                assert!(seen.insert(id.clone()), "{id} again, at {path}");
            }
        }
    }
}
