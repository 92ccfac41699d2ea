//! Small serde helpers shared by the typed specs and models.

use serde::Deserialize;

/// `skip_serializing_if` for a `false` flag.
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// `skip_serializing_if` for a zero number (any type whose default is zero).
pub(crate) fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Decodes `null` as the default value (the daemon writes `null` for empty lists and maps).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Serialises a Go `float32` as Go's `encoding/json` writes it: integral values as integers
/// (`0`, not `0.0`), others as their shortest `float32` text (`0.1`, not `0.10000000149`), so
/// a spec read from the daemon and written back is JSON-equal to what it sent.
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's serialize_with passes a reference
pub(crate) fn go_f32<S: serde::Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    #[allow(clippy::cast_possible_truncation)] // checked: integral and within ±2^24
    if v.fract() == 0.0 && v.abs() < 16_777_216.0 {
        return s.serialize_i64(*v as i64);
    }
    // Rust's shortest round-trip text of the f32, read as f64: the same number Go prints.
    let shortest: f64 = v.to_string().parse().unwrap_or(f64::from(*v));
    s.serialize_f64(shortest)
}

/// `deserialize_with` for a Go pointer field written without `omitempty` (the key is always
/// there, `null` when nil) that a caller's JSON may still leave out: `None` when the key is
/// absent (with `#[serde(default)]`), `Some(None)` for `null`, `Some(Some(v))` for a value.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Some(Option::<T>::deserialize(d)?))
}
