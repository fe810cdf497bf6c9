//! The fixture format (SPEC §6): one JSON shape for fixture files, the
//! embedded default, and (later) the admin state and the state file.
//!
//! Loading is strict and happens in one place, [`load_sources`]: syntax and
//! shape errors come from serde with their JSON path, line and column; every
//! semantic check (duplicate ids, codes the account does not hold, the seat
//! invariant) goes through the same domain operations the API uses, so a
//! fixture can never describe a state the API could not reach.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::licensing::{
    Account, AccountId, Allocation, BundleCode, Conflict, GroupId, LicenseSource, Members, Rule,
    UserId,
};

/// The embedded default fixtures, `fixtures/default.json`.
pub const DEFAULT_FIXTURES: &str = include_str!("../fixtures/default.json");

/// The name under which errors in the embedded default are reported.
pub const DEFAULT_FIXTURES_NAME: &str = "<embedded default fixtures>";

/// The largest quantity the real API can report (its counts are `int32`).
const MAX_QUANTITY: u32 = i32::MAX as u32;

/// A whole fixture document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fixtures {
    /// Organizations with their licenses, groups and direct allocations.
    #[serde(default)]
    pub accounts: Vec<AccountFixture>,
    /// Confidential applications that may ask for tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientFixture>,
    /// Users that may sign in with a password (ROPC).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logins: Vec<LoginFixture>,
    /// Opaque bearer tokens with fixed scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenFixture>,
}

/// One organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountFixture {
    /// The id used in URLs.
    pub account_id: String,
    /// When set, URLs naming another organization get 404.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Purchased quantity per code; `null` for an organization without an
    /// account license. Required, so that forgetting it is not a silent 404.
    #[serde(deserialize_with = "required_nullable")]
    pub licenses: Option<BTreeMap<String, u32>>,
    /// Directory groups, with their allocation rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupFixture>,
    /// Direct allocations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserFixture>,
}

/// One directory group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupFixture {
    /// The group id used in URLs.
    pub group_id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Member ids, or a number of members; absent: an undeclared group, which counts one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<MembersFixture>,
    /// The group's allocation rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleFixture>,
}

/// Group members: a list of ids or a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a list of user ids or a number of members")]
pub enum MembersFixture {
    /// Member ids.
    List(Vec<String>),
    /// A number of anonymous members.
    Count(u32),
}

/// A group's allocation rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleFixture {
    /// Codes allocated to every member.
    pub user_bundle_codes: Vec<String>,
    /// Whether members bring their own licenses (no seats used).
    #[serde(default)]
    pub use_external_license: bool,
    /// Per-code caps on the seats the rule reserves.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quotas: BTreeMap<String, u32>,
}

/// A user's direct allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserFixture {
    /// The user id.
    pub user_id: String,
    /// Codes allocated to the user.
    pub user_bundle_codes: Vec<String>,
    /// Whether the user brings their own license (no seat used).
    #[serde(default)]
    pub use_external_license: bool,
}

/// A confidential external application (client credentials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientFixture {
    /// The application id.
    pub client_id: String,
    /// The application secret.
    pub client_secret: String,
    /// The organization the application belongs to (the token's `prt_id`).
    pub account_id: String,
    /// Scopes the application was granted.
    pub scopes: Vec<String>,
}

/// A user who can sign in with a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoginFixture {
    /// The tenant name of the legacy ROPC call.
    #[serde(default = "default_tenancy")]
    pub tenancy_name: String,
    /// User name or email address.
    pub username: String,
    /// Password.
    pub password: String,
    /// The organization the user belongs to.
    pub account_id: String,
}

/// An opaque bearer token declared up front.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TokenFixture {
    /// The token as sent after `Bearer `.
    pub token: String,
    /// The organization it belongs to.
    pub account_id: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it stops being accepted, in Unix seconds; never when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

fn default_tenancy() -> String {
    "Default".to_owned()
}

/// Makes an `Option` field required while still accepting `null`.
fn required_nullable<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)
}

/// One problem in a fixture: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    /// The file (or source name) the problem is in.
    pub file: String,
    /// JSON path of the offending value, such as `$.accounts[0].licenses.IDU`.
    pub path: String,
    /// What is wrong; syntax errors end with their line and column.
    pub message: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.path, self.message)
    }
}

/// Every problem found while loading fixtures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FixtureErrors(pub Vec<FixtureError>);

impl fmt::Display for FixtureErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl FixtureErrors {
    fn one(file: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FixtureError {
            file: file.to_owned(),
            path: path.into(),
            message: message.into(),
        }])
    }
}

/// Fixtures that passed validation, with the accounts they describe.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The merged credentials (clients, logins, tokens). Its `accounts` is
    /// left empty: the validated [`Loaded::accounts`] are the baseline, and
    /// keeping the parsed documents too would hold every account twice.
    pub fixtures: Fixtures,
    /// The accounts, built and checked against the seat invariant.
    pub accounts: Vec<Account>,
    /// Where they came from, for the start-up line.
    pub sources: Vec<String>,
}

/// Parses one document, reporting the JSON path, line and column of the first
/// syntax or shape error.
pub fn parse(name: &str, text: &str) -> Result<Fixtures, FixtureErrors> {
    parse_as(name, text)
}

/// Parses any part of the format strictly, with the path of the first error.
///
/// serde also accepts a struct written as a JSON array of its fields; the
/// format does not, so every place that holds an object is checked first.
fn parse_as<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T, FixtureErrors> {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if let Some(path) = array_in_place_of_object(&value) {
            return Err(FixtureErrors::one(
                name,
                path,
                "invalid type: sequence, expected an object",
            ));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        FixtureErrors::one(
            name,
            json_path(&error.path().to_string()),
            error.inner().to_string(),
        )
    })?;
    deserializer
        .end()
        .map_err(|error| FixtureErrors::one(name, "$", error.to_string()))?;
    Ok(value)
}

/// Parses and validates one account in fixture form (the admin API), by the
/// same rules as a fixture file.
pub fn load_account(name: &str, text: &str) -> Result<Account, FixtureErrors> {
    let fixture: AccountFixture = parse_as(name, text)?;
    let mut validator = Validator::default();
    let account = validator.account(name, "$", &fixture);
    match account {
        Some(account) if validator.errors.is_empty() => Ok(account),
        _ => Err(FixtureErrors(validator.errors)),
    }
}

/// A group's name and members, as `PUT /__admin/accounts/{id}/groups/{groupId}` takes them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GroupDeclaration {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    members: Option<MembersFixture>,
}

/// Parses a group declaration: `{name, members}`.
pub fn load_group_declaration(
    name: &str,
    text: &str,
) -> Result<(Option<String>, Members), FixtureErrors> {
    let declaration: GroupDeclaration = parse_as(name, text)?;
    let mut validator = Validator::default();
    let members = validator.members(name, "$", declaration.members.as_ref());
    match members {
        Some(members) if validator.errors.is_empty() => Ok((declaration.name, members)),
        _ => Err(FixtureErrors(validator.errors)),
    }
}

/// Parses purchased quantities: `{code: quantity}` or `null`.
pub fn load_licenses(
    name: &str,
    text: &str,
) -> Result<Option<BTreeMap<BundleCode, u64>>, FixtureErrors> {
    let quantities: Option<BTreeMap<String, u32>> = parse_as(name, text)?;
    let mut validator = Validator::default();
    let licenses = validator.licenses(name, "$", quantities.as_ref());
    if validator.errors.is_empty() {
        Ok(licenses)
    } else {
        Err(FixtureErrors(validator.errors))
    }
}

/// The path of the first array standing where the format wants an object:
/// the document, accounts, groups, rules, users, clients, logins, tokens.
fn array_in_place_of_object(document: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    fn each<'a>(value: &'a Value, key: &str, path: &str) -> Vec<(String, &'a Value)> {
        match value.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("{path}.{key}[{i}]"), item))
                .collect(),
            _ => Vec::new(),
        }
    }
    let mut objects: Vec<(String, &Value)> = vec![("$".to_owned(), document)];
    let mut index = 0;
    while let Some((path, value)) = objects.get(index).cloned() {
        index += 1;
        if value.is_array() {
            return Some(path);
        }
        for key in ["accounts", "groups", "users", "clients", "logins", "tokens"] {
            objects.extend(each(value, key, &path));
        }
        if let Some(rule) = value.get("rule").filter(|_| path.contains(".groups[")) {
            objects.push((format!("{path}.rule"), rule));
        }
    }
    None
}

/// Turns serde_path_to_error's `accounts[0].licenses` into `$.accounts[0].licenses`.
pub(crate) fn json_path(path: &str) -> String {
    // A syntax error inside a map ends in an unknown key, shown as `?`.
    let path = path.trim_end_matches(".?").trim_end_matches('?');
    if path == "." || path.is_empty() {
        "$".to_owned()
    } else {
        format!("$.{path}")
    }
}

/// Loads the embedded default fixtures.
pub fn load_default() -> Result<Loaded, FixtureErrors> {
    load_sources(vec![(
        DEFAULT_FIXTURES_NAME.to_owned(),
        DEFAULT_FIXTURES.to_owned(),
    )])
}

/// Loads `--fixtures`: a file, or every `*.json` file of a folder in name order.
pub fn load_path(path: &Path) -> Result<Loaded, FixtureErrors> {
    let name = path.display().to_string();
    let read = |file: &Path| {
        std::fs::read_to_string(file).map_err(|error| {
            FixtureErrors::one(
                &file.display().to_string(),
                "$",
                format!("cannot read: {error}"),
            )
        })
    };
    let mut sources = Vec::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|error| {
            FixtureErrors::one(&name, "$", format!("cannot read folder: {error}"))
        })?;
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|file| file.is_file() && file.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(FixtureErrors::one(
                &name,
                "$",
                "the folder holds no *.json file",
            ));
        }
        for file in files {
            let text = read(&file)?;
            sources.push((file.display().to_string(), text));
        }
    } else {
        sources.push((name, read(path)?));
    }
    load_sources(sources)
}

/// Parses, merges and validates named documents; reports every problem found.
pub fn load_sources(sources: Vec<(String, String)>) -> Result<Loaded, FixtureErrors> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for (name, text) in sources {
        match parse(&name, &text) {
            Ok(fixtures) => parsed.push((name, fixtures)),
            Err(FixtureErrors(mut found)) => errors.append(&mut found),
        }
    }
    if !errors.is_empty() {
        return Err(FixtureErrors(errors));
    }
    let mut validator = Validator::default();
    for (name, fixtures) in &parsed {
        validator.file(name, fixtures);
    }
    validator.cross_references(&parsed);
    if !validator.errors.is_empty() {
        return Err(FixtureErrors(validator.errors));
    }
    let mut merged = Fixtures::default();
    let sources = parsed.iter().map(|(name, _)| name.clone()).collect();
    for (_, mut fixtures) in parsed {
        merged.clients.append(&mut fixtures.clients);
        merged.logins.append(&mut fixtures.logins);
        merged.tokens.append(&mut fixtures.tokens);
    }
    Ok(Loaded {
        fixtures: merged,
        accounts: validator.accounts,
        sources,
    })
}

/// Collects errors across files, building accounts as it goes.
#[derive(Default)]
struct Validator {
    errors: Vec<FixtureError>,
    accounts: Vec<Account>,
    /// First place each id was seen, to name it in duplicate errors.
    seen: HashMap<(&'static str, String), String>,
}

impl Validator {
    fn error(&mut self, file: &str, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FixtureError {
            file: file.to_owned(),
            path: path.into(),
            message: message.into(),
        });
    }

    /// Records an id; false (with an error) if it was seen before in any file.
    fn unique(&mut self, kind: &'static str, id: &str, file: &str, path: &str) -> bool {
        let here = format!("{file} at {path}");
        match self.seen.get(&(kind, id.to_owned())) {
            Some(first) => {
                let message = format!("duplicate {kind} '{id}' (first declared in {first})");
                self.error(file, path, message);
                false
            }
            None => {
                self.seen.insert((kind, id.to_owned()), here);
                true
            }
        }
    }

    fn file(&mut self, file: &str, fixtures: &Fixtures) {
        for (i, account) in fixtures.accounts.iter().enumerate() {
            let path = format!("$.accounts[{i}]");
            if self.unique(
                "accountId",
                &account.account_id,
                file,
                &format!("{path}.accountId"),
            ) {
                if let Some(account) = self.account(file, &path, account) {
                    self.accounts.push(account);
                }
            }
        }
        for (i, client) in fixtures.clients.iter().enumerate() {
            let path = format!("$.clients[{i}].clientId");
            self.non_empty(file, &path, &client.client_id);
            self.unique("clientId", &client.client_id, file, &path);
        }
        for (i, login) in fixtures.logins.iter().enumerate() {
            let path = format!("$.logins[{i}].username");
            self.non_empty(file, &path, &login.username);
            let key = format!(
                "{}/{}",
                login.tenancy_name.to_lowercase(),
                login.username.to_lowercase()
            );
            self.unique("login", &key, file, &path);
        }
        for (i, token) in fixtures.tokens.iter().enumerate() {
            let path = format!("$.tokens[{i}].token");
            self.non_empty(file, &path, &token.token);
            self.unique("token", &token.token, file, &path);
        }
    }

    fn non_empty(&mut self, file: &str, path: &str, value: &str) {
        if value.is_empty() {
            self.error(file, path, "must be a non-empty string");
        }
    }

    /// Credentials must name accounts that some file declares.
    fn cross_references(&mut self, parsed: &[(String, Fixtures)]) {
        let known: std::collections::HashSet<&str> = parsed
            .iter()
            .flat_map(|(_, f)| f.accounts.iter().map(|a| a.account_id.as_str()))
            .collect();
        for (file, fixtures) in parsed {
            let references = fixtures
                .clients
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("$.clients[{i}].accountId"), &c.account_id))
                .chain(
                    fixtures
                        .logins
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (format!("$.logins[{i}].accountId"), &l.account_id)),
                )
                .chain(
                    fixtures
                        .tokens
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (format!("$.tokens[{i}].accountId"), &t.account_id)),
                );
            for (path, account_id) in references {
                if !known.contains(account_id.as_str()) {
                    self.error(
                        file,
                        path,
                        format!("account '{account_id}' is not declared"),
                    );
                }
            }
        }
    }

    /// Builds one account through the domain operations; `None` after an error.
    fn account(&mut self, file: &str, path: &str, fixture: &AccountFixture) -> Option<Account> {
        let id = self.id(
            file,
            &format!("{path}.accountId"),
            &fixture.account_id,
            AccountId::parse,
        )?;
        let errors_before = self.errors.len();
        let licenses = self.licenses(file, &format!("{path}.licenses"), fixture.licenses.as_ref());
        let mut ok = self.errors.len() == errors_before;
        let mut account = Account::new(id, fixture.organization_name.clone(), licenses);
        let mut group_ids = std::collections::HashSet::new();
        for (g, group) in fixture.groups.iter().enumerate() {
            let here = format!("{path}.groups[{g}]");
            ok &= group_ids.insert(group.group_id.as_str()) || {
                self.error(
                    file,
                    format!("{here}.groupId"),
                    format!("duplicate groupId '{}'", group.group_id),
                );
                false
            };
            ok &= self.group(file, &here, group, &mut account);
        }
        let mut user_ids = std::collections::HashSet::new();
        for (u, user) in fixture.users.iter().enumerate() {
            let here = format!("{path}.users[{u}]");
            ok &= user_ids.insert(user.user_id.as_str()) || {
                self.error(
                    file,
                    format!("{here}.userId"),
                    format!("duplicate userId '{}'", user.user_id),
                );
                false
            };
            ok &= self.user(file, &here, user, &mut account);
        }
        ok.then_some(account)
    }

    /// Checks quantities; `None` for `null` (no account license).
    fn licenses(
        &mut self,
        file: &str,
        path: &str,
        quantities: Option<&BTreeMap<String, u32>>,
    ) -> Option<BTreeMap<BundleCode, u64>> {
        let mut totals = BTreeMap::new();
        for (code, &quantity) in quantities? {
            let here = format!("{path}.{code}");
            if quantity > MAX_QUANTITY {
                let message =
                    format!("quantity {quantity} is above the API's limit of {MAX_QUANTITY}");
                self.error(file, &here, message);
            }
            if let Some(code) = self.id(file, &here, code, BundleCode::parse) {
                totals.insert(code, u64::from(quantity));
            }
        }
        Some(totals)
    }

    /// Checks members: ids non-empty and distinct; absent is an undeclared group.
    fn members(
        &mut self,
        file: &str,
        path: &str,
        members: Option<&MembersFixture>,
    ) -> Option<Members> {
        match members {
            None => Some(Members::Undeclared),
            Some(MembersFixture::Count(n)) => Some(Members::Anonymous(u64::from(*n))),
            Some(MembersFixture::List(ids)) => {
                let mut seen = std::collections::HashSet::new();
                let mut members = Vec::with_capacity(ids.len());
                for (m, member) in ids.iter().enumerate() {
                    let here = format!("{path}.members[{m}]");
                    if !seen.insert(member.as_str()) {
                        self.error(file, &here, format!("duplicate member '{member}'"));
                        return None;
                    }
                    members.push(self.id(file, &here, member, UserId::parse)?);
                }
                Some(Members::Named(members))
            }
        }
    }

    fn group(
        &mut self,
        file: &str,
        path: &str,
        fixture: &GroupFixture,
        account: &mut Account,
    ) -> bool {
        let Some(id) = self.id(
            file,
            &format!("{path}.groupId"),
            &fixture.group_id,
            GroupId::parse,
        ) else {
            return false;
        };
        let Some(members) = self.members(file, path, fixture.members.as_ref()) else {
            return false;
        };
        // Nothing is allocated to the group yet, so declaring it cannot conflict.
        account
            .declare_group(id.clone(), fixture.name.clone(), members)
            .ok();
        let Some(rule) = &fixture.rule else {
            return true;
        };
        let here = format!("{path}.rule");
        let Some(codes) = self.codes(
            file,
            &format!("{here}.userBundleCodes"),
            &rule.user_bundle_codes,
            account,
        ) else {
            return false;
        };
        let mut domain = Rule::new(
            codes,
            LicenseSource::from_external_flag(rule.use_external_license),
        );
        for (code, &limit) in &rule.quotas {
            let at = format!("{here}.quotas.{code}");
            let Some(code) = self.id(file, &at, code, BundleCode::parse) else {
                return false;
            };
            if let Err(error) = domain.set_quota(code, u64::from(limit)) {
                self.error(file, &at, error.to_string());
                return false;
            }
        }
        let members = account.members_of(&id);
        let result = account.set_group_rule(&id, Some(domain));
        self.seats(
            file,
            &here,
            result,
            &format!("group '{id}' ({members} members)"),
        )
    }

    fn user(
        &mut self,
        file: &str,
        path: &str,
        fixture: &UserFixture,
        account: &mut Account,
    ) -> bool {
        let Some(id) = self.id(
            file,
            &format!("{path}.userId"),
            &fixture.user_id,
            UserId::parse,
        ) else {
            return false;
        };
        let Some(codes) = self.codes(
            file,
            &format!("{path}.userBundleCodes"),
            &fixture.user_bundle_codes,
            account,
        ) else {
            return false;
        };
        let allocation = Allocation::new(
            codes,
            LicenseSource::from_external_flag(fixture.use_external_license),
        );
        let result = account.set_user_allocations(std::slice::from_ref(&id), Some(&allocation));
        self.seats(file, path, result, &format!("user '{id}'"))
    }

    /// Parses codes, requiring the account to hold each one.
    fn codes(
        &mut self,
        file: &str,
        path: &str,
        codes: &[String],
        account: &Account,
    ) -> Option<Vec<BundleCode>> {
        let mut parsed = Vec::with_capacity(codes.len());
        for (i, code) in codes.iter().enumerate() {
            let here = format!("{path}[{i}]");
            let code = self.id(file, &here, code, BundleCode::parse)?;
            if account.seats(&code).is_none() {
                self.error(
                    file,
                    &here,
                    format!("code '{code}' is not in the account's licenses"),
                );
                return None;
            }
            parsed.push(code);
        }
        Some(parsed)
    }

    fn seats(
        &mut self,
        file: &str,
        path: &str,
        result: Result<(), Vec<Conflict>>,
        who: &str,
    ) -> bool {
        let Err(conflicts) = result else { return true };
        for conflict in conflicts {
            let Conflict {
                code,
                requested,
                used,
                total,
            } = conflict;
            let message = format!(
                "{who} needs {requested} seats of {code}, but only {} of {total} are left",
                total.saturating_sub(used)
            );
            self.error(file, path, message);
        }
        false
    }

    fn id<T>(
        &mut self,
        file: &str,
        path: &str,
        value: &str,
        parse: impl FnOnce(String) -> Result<T, crate::licensing::InvalidId>,
    ) -> Option<T> {
        parse(value.to_owned())
            .map_err(|error| self.error(file, path, error.to_string()))
            .ok()
    }
}

/// The fixture form of an account, so any state can be saved and loaded again.
pub fn account_fixture(account: &Account) -> AccountFixture {
    let licenses = account.licenses().map(|l| {
        l.iter()
            .map(|(code, seats)| (code.to_string(), saturate(seats.total)))
            .collect()
    });
    let groups = account
        .groups()
        .iter()
        .map(|(id, group)| GroupFixture {
            group_id: id.to_string(),
            name: group.name.clone(),
            members: match &group.members {
                Members::Undeclared => None,
                Members::Anonymous(n) => Some(MembersFixture::Count(saturate(*n))),
                Members::Named(ids) => Some(MembersFixture::List(
                    ids.iter().map(ToString::to_string).collect(),
                )),
            },
            rule: group.rule.as_ref().map(|rule| RuleFixture {
                user_bundle_codes: rule.codes().iter().map(ToString::to_string).collect(),
                use_external_license: rule.source.is_external(),
                quotas: rule
                    .quotas()
                    .iter()
                    .map(|(code, limit)| (code.to_string(), saturate(*limit)))
                    .collect(),
            }),
        })
        .collect();
    let users = account
        .users()
        .iter()
        .map(|(id, allocation)| UserFixture {
            user_id: id.to_string(),
            user_bundle_codes: allocation.codes().iter().map(ToString::to_string).collect(),
            use_external_license: allocation.source.is_external(),
        })
        .collect();
    AccountFixture {
        account_id: account.id.to_string(),
        organization_name: account.organization_name.clone(),
        licenses,
        groups,
        users,
    }
}

fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
