//! Shared checks of the fuzz targets.

use std::fmt::Display;
use std::str::FromStr;

/// Parses `s` as `T`; when that succeeds, the canonical text must parse again and print the
/// same bytes (display is idempotent, nothing accepted once is rejected the second time).
/// Errors must print (their Display may not panic either).
pub fn round_trip<T>(s: &str)
where
    T: FromStr + Display,
    T::Err: Display,
{
    match s.parse::<T>() {
        Ok(v) => {
            let text = v.to_string();
            let again = text
                .parse::<T>()
                .unwrap_or_else(|e| panic!("{text:?} (from {s:?}) does not parse back: {e}"));
            assert_eq!(again.to_string(), text, "display is not idempotent for {s:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
