//! A JSON document as request binding reads it.
//!
//! `serde_json::Value` would do, but costs more than the rest of a request's
//! decoding: every key and string is allocated and every object hashed into
//! an index map. Binding only walks a request's few properties once, so here
//! objects are their properties in order (duplicates kept: of several
//! spellings the last one wins, as in System.Text.Json), and strings without
//! escapes borrow from the body. Syntax errors, the depth limit and trailing
//! characters are `serde_json`'s, as before.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value, borrowing from the text it was read from where it can.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Properties in document order, duplicates included.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// Reads one JSON document; errors are `serde_json`'s, with their positions.
    pub(crate) fn parse(text: &'a [u8]) -> Result<Self, serde_json::Error> {
        // Checked once as a whole, the text need not be checked string by string.
        match std::str::from_utf8(text) {
            Ok(text) => serde_json::from_str(text),
            // serde_json's error says where the bad byte is.
            Err(_) => serde_json::from_slice(text),
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        Json::deserialize(deserializer)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Json<'de>, E> {
        serde_json::Number::from_f64(value)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut properties = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Key(key)) = map.next_key()? {
            properties.push((key, map.next_value()?));
        }
        Ok(Json::Object(properties))
    }
}

/// A property name, borrowed when it has no escapes (serde's own `Cow`
/// always allocates).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a property name")
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_value_in_document_order() {
        let text = br#"{"b":[1,-2,2.5,true,null],"a":{"x":"y"},"b":"\u00e9t\u00e9"}"#;
        let Ok(Json::Object(properties)) = Json::parse(text) else {
            panic!("not an object");
        };
        let names: Vec<&str> = properties.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(names, ["b", "a", "b"]);
        assert_eq!(
            properties[0].1,
            Json::Array(vec![
                Json::Number(1.into()),
                Json::Number((-2).into()),
                Json::Number(serde_json::Number::from_f64(2.5).unwrap()),
                Json::Bool(true),
                Json::Null,
            ])
        );
        assert_eq!(
            properties[1].1,
            Json::Object(vec![("x".into(), Json::String("y".into()))])
        );
        assert_eq!(properties[2].1, Json::String("été".into()));
    }

    #[test]
    fn strings_without_escapes_borrow_and_escaped_ones_are_decoded() {
        let text = br#"["plain","a\"b"]"#;
        let Ok(Json::Array(items)) = Json::parse(text) else {
            panic!("not an array");
        };
        assert!(matches!(&items[0], Json::String(Cow::Borrowed("plain"))));
        assert!(matches!(&items[1], Json::String(Cow::Owned(s)) if s == "a\"b"));
    }

    #[test]
    fn syntax_errors_trailing_text_and_deep_nesting_are_serde_json_errors() {
        for bad in [&b"{\"a\":"[..], b"{} x", b"[1,]", b"{\"a\" 1}", b"1e999"] {
            assert!(
                Json::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let not_utf8 = Json::parse(b"{\"a\": \"\xff\"}").unwrap_err();
        assert_eq!(
            not_utf8.to_string(),
            "invalid unicode code point at line 1 column 8"
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let error = Json::parse(deep.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("recursion limit"), "{error}");
    }
}
