//! Fixture loading (SPEC §6): strict, with messages that name the file, the
//! JSON path and, for syntax errors, line and column.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::{Value, json};
use uipath_license_mock::MockServer;
use uipath_license_mock::StartError;
use uipath_license_mock::fixtures::{
    self, FixtureError, FixtureErrors, Fixtures, Loaded, account_fixture,
};
use uipath_license_mock::licensing::{BundleCode, GroupId};

use crate::helpers::{fixtures_from, spawn_app_with};

fn load(name: &str, json: &str) -> Result<Loaded, FixtureErrors> {
    fixtures::load_sources(vec![(name.to_owned(), json.to_owned())])
}

fn load_value(json: Value) -> Result<Loaded, FixtureErrors> {
    load("test.json", &json.to_string())
}

/// The errors of fixtures that must be refused.
fn refused(result: Result<Loaded, FixtureErrors>) -> Vec<FixtureError> {
    match result {
        Ok(loaded) => panic!("accepted: {:?}", loaded.fixtures),
        Err(FixtureErrors(errors)) => {
            assert!(!errors.is_empty(), "refused without saying why");
            errors
        }
    }
}

fn error(file: &str, path: &str, message: &str) -> FixtureError {
    FixtureError {
        file: file.to_owned(),
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

/// One account holding IDU 5, with `groups`.
fn one_account(groups: Value) -> Value {
    json!({"accounts": [{"accountId": "acme", "licenses": {"IDU": 5}, "groups": groups}]})
}

// --- the embedded default --------------------------------------------------

#[test]
fn the_embedded_default_loads() {
    let loaded = fixtures::load_default().expect("the default fixtures are valid");

    let ids: Vec<&str> = loaded.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["1234", "song-one", "no-license"]);
    assert_eq!(loaded.sources, [fixtures::DEFAULT_FIXTURES_NAME]);
}

#[test]
fn the_default_accounts_are_those_the_documentation_example_needs() {
    let loaded = fixtures::load_default().expect("the default fixtures are valid");
    let account = |id: &str| {
        loaded
            .accounts
            .iter()
            .find(|a| a.id.as_str() == id)
            .unwrap_or_else(|| panic!("no account {id}"))
    };
    let reference_codes = [
        "ACNU",
        "ATTUNU",
        "RPADEVPRONU",
        "CTZDEVNU",
        "IDU",
        "PMBU",
        "PMD",
        "TSTNU",
        "RPADEVNU",
        "AKIT",
        "AXPNU",
        "ATTUCU",
        "CTZDEVCU",
        "RPADEVCU",
        "RPADEVPROCU",
        "TSTDEVPRONU",
    ];

    for id in ["1234", "song-one"] {
        let account = account(id);
        // No organizationName: any organization segment works.
        assert_eq!(account.organization_name, None, "{id}");
        let licenses = account.licenses().expect("licensed");
        for code in reference_codes {
            let code = BundleCode::parse(code).expect("valid");
            assert!(licenses.contains_key(&code), "{id} lacks {code}");
        }
        let group_01 = GroupId::parse("group-01").expect("valid");
        assert!(account.groups().contains_key(&group_01), "{id}");
        // A group larger than some code's seats, so a 409 is one call away.
        let smallest = licenses.values().map(|s| s.total).min().expect("codes");
        assert!(
            account
                .groups()
                .values()
                .any(|g| g.members.count() > smallest),
            "{id} has no group larger than its smallest code"
        );
        assert!(licenses.values().all(|s| s.used == 0), "{id}");
    }
    assert_eq!(account("no-license").licenses(), None);
}

#[test]
fn the_default_declares_a_client_a_login_and_a_read_only_token() {
    let loaded = fixtures::load_default().expect("the default fixtures are valid");

    assert_eq!(loaded.fixtures.clients.len(), 1);
    assert_eq!(loaded.fixtures.logins.len(), 1);
    assert_eq!(loaded.fixtures.tokens.len(), 1);
    assert_eq!(loaded.fixtures.tokens[0].scopes, ["PM.License.Read"]);
}

#[test]
fn accounts_saved_in_fixture_form_load_back_identical() {
    let first = load_value(json!({
        "accounts": [{
            "accountId": "acme",
            "organizationName": "Acme",
            "licenses": {"IDU": 5, "RPADEVPRONU": 10},
            "groups": [
                {"groupId": "team", "name": "Team", "members": ["ann", "bob"],
                 "rule": {"userBundleCodes": ["RPADEVPRONU", "IDU"], "quotas": {"IDU": 1}}},
                {"groupId": "all", "members": 9,
                 "rule": {"userBundleCodes": ["IDU"], "useExternalLicense": true}},
                {"groupId": "solo", "rule": {"userBundleCodes": ["IDU"]}}
            ],
            "users": [{"userId": "zed", "userBundleCodes": ["IDU"]}]
        }]
    }))
    .expect("valid fixtures");

    let saved = Fixtures {
        accounts: first.accounts.iter().map(account_fixture).collect(),
        ..Fixtures::default()
    };
    let text = serde_json::to_string(&saved).expect("serializable");
    let second = load("saved.json", &text).expect("saved state loads again");

    assert_eq!(second.accounts, first.accounts);
    let idu = BundleCode::parse("IDU").expect("valid");
    // team 1 (quota) + all 0 (external) + solo 1 (undeclared) + zed 1.
    assert_eq!(second.accounts[0].seats(&idu).map(|s| s.used), Some(3));
}

// --- refusals --------------------------------------------------------------

#[test]
fn an_unknown_property_is_refused_with_its_path() {
    let errors = refused(load_value(json!({
        "accounts": [{"accountId": "acme", "licenses": {"IDU": 5}, "colour": "red"}]
    })));

    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, "test.json");
    assert_eq!(errors[0].path, "$.accounts[0].colour");
    assert!(
        errors[0].message.starts_with("unknown field `colour`"),
        "{}",
        errors[0].message
    );
}

#[test]
fn an_unknown_top_level_property_is_refused() {
    let errors = refused(load_value(json!({"accounts": [], "acounts": []})));

    assert_eq!(errors[0].path, "$.acounts");
    assert!(
        errors[0].message.contains("unknown field `acounts`"),
        "{}",
        errors[0].message
    );
}

#[test]
fn a_document_or_account_written_as_an_array_is_refused() {
    for text in [
        "[]",
        r#"[[{"accountId": "x", "licenses": {"IDU": 1}}]]"#,
        r#"{"accounts": [["y", null, {"IDU": 2}]]}"#,
    ] {
        let result = load("array.json", text);

        assert!(result.is_err(), "{text} was accepted");
    }
}

#[test]
fn a_missing_licenses_property_is_refused_but_null_is_accepted() {
    let missing = refused(load_value(json!({"accounts": [{"accountId": "acme"}]})));
    let null = load_value(json!({"accounts": [{"accountId": "acme", "licenses": null}]}));

    assert!(
        missing[0].message.contains("missing field `licenses`"),
        "{}",
        missing[0].message
    );
    assert_eq!(
        null.expect("null licenses are valid").accounts[0].licenses(),
        None
    );
}

#[test]
fn a_negative_quantity_is_refused_with_its_path() {
    let errors = refused(load_value(json!({
        "accounts": [{"accountId": "acme", "licenses": {"IDU": -1}}]
    })));

    assert_eq!(errors[0].path, "$.accounts[0].licenses.IDU");
    assert!(errors[0].message.contains("-1"), "{}", errors[0].message);
}

#[test]
fn a_quantity_above_the_api_int32_range_is_refused() {
    let errors = refused(load_value(json!({
        "accounts": [{"accountId": "acme", "licenses": {"IDU": 2_147_483_648_u64}}]
    })));

    assert_eq!(
        errors,
        [error(
            "test.json",
            "$.accounts[0].licenses.IDU",
            "quantity 2147483648 is above the API's limit of 2147483647"
        )]
    );
}

#[test]
fn a_duplicate_account_id_across_two_sources_names_both() {
    let account = r#"{"accounts": [{"accountId": "acme", "licenses": {}}]}"#;

    let errors = refused(fixtures::load_sources(vec![
        ("a.json".to_owned(), account.to_owned()),
        ("b.json".to_owned(), account.to_owned()),
    ]));

    assert_eq!(
        errors,
        [error(
            "b.json",
            "$.accounts[0].accountId",
            "duplicate accountId 'acme' (first declared in a.json at $.accounts[0].accountId)"
        )]
    );
}

#[test]
fn duplicate_group_ids_and_members_within_an_account_are_refused() {
    let groups = refused(load_value(one_account(json!([
        {"groupId": "team"}, {"groupId": "team"}
    ]))));
    let members = refused(load_value(one_account(json!([
        {"groupId": "team", "members": ["ann", "ann"]}
    ]))));

    assert_eq!(groups[0].path, "$.accounts[0].groups[1].groupId");
    assert_eq!(groups[0].message, "duplicate groupId 'team'");
    assert_eq!(members[0].path, "$.accounts[0].groups[0].members[1]");
    assert_eq!(members[0].message, "duplicate member 'ann'");
}

#[test]
fn an_empty_account_id_is_refused() {
    let errors = refused(load_value(
        json!({"accounts": [{"accountId": "", "licenses": {}}]}),
    ));

    assert_eq!(
        errors,
        [error(
            "test.json",
            "$.accounts[0].accountId",
            "an account id must be a non-empty string"
        )]
    );
}

#[test]
fn a_rule_naming_a_code_the_account_does_not_hold_is_refused() {
    let errors = refused(load_value(one_account(json!([
        {"groupId": "team", "members": 2, "rule": {"userBundleCodes": ["IDU", "NOPE"]}}
    ]))));

    assert_eq!(
        errors,
        [error(
            "test.json",
            "$.accounts[0].groups[0].rule.userBundleCodes[1]",
            "code 'NOPE' is not in the account's licenses"
        )]
    );
}

#[test]
fn an_external_rule_must_still_name_codes_the_account_holds() {
    let errors = refused(load_value(one_account(json!([
        {"groupId": "team", "rule": {"userBundleCodes": ["NOPE"], "useExternalLicense": true}}
    ]))));

    assert_eq!(
        errors[0].path,
        "$.accounts[0].groups[0].rule.userBundleCodes[0]"
    );
}

#[test]
fn a_rule_that_breaks_the_seat_invariant_is_refused() {
    let errors = refused(load_value(one_account(json!([
        {"groupId": "all-staff", "members": 25, "rule": {"userBundleCodes": ["IDU"]}}
    ]))));

    assert_eq!(
        errors,
        [error(
            "test.json",
            "$.accounts[0].groups[0].rule",
            "group 'all-staff' (25 members) needs 25 seats of IDU, but only 5 of 5 are left"
        )]
    );
}

#[test]
fn seats_are_counted_across_groups_and_users_of_an_account() {
    let errors = refused(load_value(json!({
        "accounts": [{
            "accountId": "acme",
            "licenses": {"IDU": 5},
            "groups": [{"groupId": "team", "members": 4, "rule": {"userBundleCodes": ["IDU"]}}],
            "users": [
                {"userId": "ann", "userBundleCodes": ["IDU"]},
                {"userId": "bob", "userBundleCodes": ["IDU"]}
            ]
        }]
    })));

    assert_eq!(
        errors,
        [error(
            "test.json",
            "$.accounts[0].users[1]",
            "user 'bob' needs 1 seats of IDU, but only 0 of 5 are left"
        )]
    );
}

#[test]
fn a_quota_makes_a_large_group_fit_and_must_name_a_rule_code_with_a_limit_of_one_or_more() {
    let fits = load_value(one_account(json!([
        {"groupId": "all-staff", "members": 25, "rule": {"userBundleCodes": ["IDU"], "quotas": {"IDU": 5}}}
    ])));
    let foreign = refused(load_value(json!({
        "accounts": [{"accountId": "acme", "licenses": {"IDU": 5, "PMD": 5}, "groups": [
            {"groupId": "team", "rule": {"userBundleCodes": ["IDU"], "quotas": {"PMD": 1}}}
        ]}]
    })));
    let zero = refused(load_value(one_account(json!([
        {"groupId": "team", "rule": {"userBundleCodes": ["IDU"], "quotas": {"IDU": 0}}}
    ]))));

    let idu = BundleCode::parse("IDU").expect("valid");
    assert_eq!(
        fits.expect("a quota caps the reservation").accounts[0]
            .seats(&idu)
            .map(|s| s.used),
        Some(5)
    );
    assert_eq!(
        foreign,
        [error(
            "test.json",
            "$.accounts[0].groups[0].rule.quotas.PMD",
            "a quota for 'PMD', which the rule does not allocate"
        )]
    );
    assert_eq!(
        zero,
        [error(
            "test.json",
            "$.accounts[0].groups[0].rule.quotas.IDU",
            "the quota for 'IDU' must be at least 1"
        )]
    );
}

#[test]
fn credentials_must_name_a_declared_account() {
    let errors = refused(load_value(json!({
        "accounts": [],
        "tokens": [{"token": "t", "accountId": "ghost", "scopes": []}]
    })));

    assert_eq!(
        errors,
        [error(
            "test.json",
            "$.tokens[0].accountId",
            "account 'ghost' is not declared"
        )]
    );
}

#[test]
fn a_syntax_error_names_the_line_and_column() {
    let text = "{\n  \"accounts\": [\n    {\"accountId\": \"acme\" \"licenses\": {}}\n  ]\n}";

    let errors = refused(load("broken.json", text));

    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, "broken.json");
    assert!(
        errors[0].message.ends_with("at line 3 column 26"),
        "{}",
        errors[0].message
    );
    assert!(
        errors[0]
            .to_string()
            .starts_with("broken.json: $.accounts[0]"),
        "{}",
        errors[0]
    );
}

#[test]
fn trailing_content_after_the_document_is_refused() {
    let errors = refused(load("twice.json", r#"{"accounts": []} {"accounts": []}"#));

    assert_eq!(errors[0].path, "$");
    assert!(
        errors[0].message.contains("line 1"),
        "{}",
        errors[0].message
    );
}

#[test]
fn every_broken_source_is_reported_not_only_the_first() {
    let errors = refused(fixtures::load_sources(vec![
        ("a.json".to_owned(), "{".to_owned()),
        ("b.json".to_owned(), r#"{"accounts": 1}"#.to_owned()),
    ]));

    let files: Vec<&str> = errors.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(files, ["a.json", "b.json"]);
}

#[test]
fn every_semantic_problem_of_a_file_is_reported() {
    let errors = refused(load_value(json!({
        "accounts": [
            {"accountId": "a", "licenses": {"IDU": 1},
             "groups": [{"groupId": "g", "rule": {"userBundleCodes": ["NOPE"]}}]},
            {"accountId": "b", "licenses": {"": 1}}
        ]
    })));

    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "$.accounts[0].groups[0].rule.userBundleCodes[0]",
            "$.accounts[1].licenses."
        ]
    );
}

#[tokio::test]
async fn a_server_refuses_to_start_on_invalid_fixtures() {
    let invalid = fixtures_from(one_account(json!([
        {"groupId": "all-staff", "members": 25, "rule": {"userBundleCodes": ["IDU"]}}
    ])));

    let started = MockServer::builder().fixtures(invalid).start().await;

    match started {
        Err(StartError::Fixtures(FixtureErrors(errors))) => {
            assert_eq!(errors[0].path, "$.accounts[0].groups[0].rule");
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(server) => panic!("started on {}", server.uri()),
    }
}

#[tokio::test]
async fn a_server_serves_the_fixtures_it_was_given() {
    let app = spawn_app_with(one_account(json!([{"groupId": "team", "members": 2}]))).await;

    let answer = app.api.allocate("acme", "team", &["IDU"]).await;
    let default_account = app.api.allocate("1234", "group-01", &["IDU"]).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(app.api.allocated("acme", "IDU").await, 2);
    assert_eq!(default_account.status, StatusCode::NOT_FOUND);
}

// --- folders ---------------------------------------------------------------

/// A folder under the system's temporary directory, removed when dropped
/// (also when the test fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("uipath-license-mock-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary folder");
        Self(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let file = self.0.join(name);
        std::fs::write(&file, text).expect("a fixture file");
        file
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_folder_of_json_files_is_merged_in_name_order_and_other_files_are_skipped() {
    let dir = TempDir::new("folder-merge");
    dir.write(
        "b.json",
        r#"{"accounts": [{"accountId": "beta", "licenses": {"IDU": 1}}]}"#,
    );
    dir.write(
        "a.json",
        r#"{"accounts": [{"accountId": "alpha", "licenses": null}],
            "tokens": [{"token": "t", "accountId": "beta", "scopes": []}]}"#,
    );
    dir.write("notes.txt", "not a fixture");
    dir.write("backup.json.bak", "{");

    let loaded = fixtures::load_path(dir.path()).expect("the folder loads");

    let ids: Vec<&str> = loaded.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["alpha", "beta"]);
    // A token in one file may name an account of another.
    assert_eq!(loaded.fixtures.tokens.len(), 1);
    let sources: Vec<String> = loaded
        .sources
        .iter()
        .map(|s| {
            Path::new(s)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(sources, ["a.json", "b.json"]);
}

#[test]
fn a_duplicate_id_across_files_of_a_folder_names_the_second_file() {
    let dir = TempDir::new("folder-duplicate");
    let account = r#"{"accounts": [{"accountId": "acme", "licenses": {}}]}"#;
    let first = dir.write("1-first.json", account);
    let second = dir.write("2-second.json", account);

    let errors = refused(fixtures::load_path(dir.path()));

    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, second.display().to_string());
    assert!(
        errors[0].message.contains(&first.display().to_string()),
        "{}",
        errors[0].message
    );
}

#[test]
fn a_single_file_loads_and_its_errors_name_it() {
    let dir = TempDir::new("single-file");
    let good = dir.write(
        "good.json",
        r#"{"accounts": [{"accountId": "acme", "licenses": {}}]}"#,
    );
    let bad = dir.write(
        "bad.json",
        r#"{"accounts": [{"accountId": "acme", "licenses": {"IDU": -5}}]}"#,
    );

    let loaded = fixtures::load_path(&good).expect("the file loads");
    let errors = refused(fixtures::load_path(&bad));

    assert_eq!(loaded.accounts.len(), 1);
    assert_eq!(errors[0].file, bad.display().to_string());
    assert_eq!(errors[0].path, "$.accounts[0].licenses.IDU");
}

#[test]
fn a_folder_without_json_files_or_a_missing_path_is_refused() {
    let dir = TempDir::new("folder-empty");
    dir.write("readme.txt", "nothing here");
    let missing = dir.path().join("does-not-exist.json");

    let empty = refused(fixtures::load_path(dir.path()));
    let absent = refused(fixtures::load_path(&missing));

    assert_eq!(empty[0].message, "the folder holds no *.json file");
    assert_eq!(absent[0].file, missing.display().to_string());
    assert!(
        absent[0].message.starts_with("cannot read"),
        "{}",
        absent[0].message
    );
}
