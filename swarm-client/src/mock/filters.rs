//! The `filters` query parameter of list endpoints and `/events`, read as dockerd reads it.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use sdk_core::test_server::Request;

/// Parsed `filters`: each key with its values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filters(HashMap<String, Vec<String>>);

impl Filters {
    /// Reads `filters` (`{"k":["v"]}`, or the old `{"k":{"v":true}}`) from the query; none
    /// when absent or empty. The error is dockerd's message (it answers `500` with it).
    pub(crate) fn from_request(req: &Request) -> Result<Self, String> {
        match req.query_param("filters") {
            Some(raw) if !raw.is_empty() => Self::parse(&raw),
            _ => Ok(Self::default()),
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(raw).map_err(|e| format!("invalid filter: {e}"))?;
        let obj = v
            .as_object()
            .ok_or_else(|| "invalid filter: not an object".to_owned())?;
        let mut out = HashMap::new();
        for (k, vals) in obj {
            let list: Vec<String> = match vals {
                Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
                Value::Object(o) => o
                    .iter()
                    .filter(|(_, b)| b.as_bool() == Some(true))
                    .map(|(k, _)| k.clone())
                    .collect(),
                _ => return Err(format!("invalid filter {k}")),
            };
            out.insert(k.clone(), list);
        }
        Ok(Self(out))
    }

    /// The values of `key`, when the filter has it.
    pub(crate) fn get(&self, key: &str) -> Option<&[String]> {
        self.0.get(key).map(Vec::as_slice)
    }

    /// Whether an object passes `key`: the key is absent, or one of its values satisfies
    /// `pred`.
    pub(crate) fn any(&self, key: &str, pred: impl Fn(&str) -> bool) -> bool {
        self.get(key).is_none_or(|v| v.iter().any(|x| pred(x)))
    }

    /// Whether `labels` pass the `label` filter (every `k` present, every `k=v` equal).
    pub(crate) fn labels(&self, labels: &BTreeMap<String, String>) -> bool {
        self.get("label")
            .is_none_or(|wanted| labels_match(labels, wanted))
    }
}

/// Whether `labels` have every `k` and `k=v` of `wanted`.
pub(crate) fn labels_match(labels: &BTreeMap<String, String>, wanted: &[String]) -> bool {
    wanted.iter().all(|w| match w.split_once('=') {
        Some((k, v)) => labels.get(k).map(String::as_str) == Some(v),
        None => labels.contains_key(w.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_filter_spellings_are_read() {
        let f = Filters::parse(r#"{"name":["a","b"],"label":{"x=1":true,"y":false}}"#).unwrap();
        assert_eq!(f.get("name"), Some(&["a".to_owned(), "b".to_owned()][..]));
        assert_eq!(f.get("label"), Some(&["x=1".to_owned()][..]));
        assert!(f.any("name", |n| n == "b"));
        assert!(f.any("absent", |_| false));
        assert!(Filters::parse("[]").is_err());
        assert!(Filters::parse(r#"{"k":1}"#).is_err());
    }

    #[test]
    fn label_filters_need_every_label() {
        let labels: BTreeMap<String, String> =
            [("a".to_owned(), "1".to_owned())].into_iter().collect();
        assert!(labels_match(&labels, &["a".into(), "a=1".into()]));
        assert!(!labels_match(&labels, &["a=2".into()]));
        assert!(!labels_match(&labels, &["b".into()]));
        assert!(labels_match(&labels, &[]));
    }
}
