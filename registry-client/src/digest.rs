//! Content digests (`algorithm:hex`) as used by OCI registries and image layouts.
//!
//! [`Digest`] validates like `github.com/opencontainers/go-digest` (what the docker CLI uses):
//! the algorithm must be one of `sha256`, `sha384`, `sha512` and the hex part must be lowercase
//! and exactly as long as that algorithm's output. [`Digester`] hashes streamed bytes
//! (`io::Write` or [`Digester::update`]); [`DigestVerifier`] checks streamed bytes against an
//! expected digest; [`HashingWriter`] hashes and counts everything written through it.
//!
//! The `sha2` crate detects SHA-NI at run time, so release builds hash at well over 1 GB/s on
//! CPUs that have it.

use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

/// Why a string is not a valid [`Digest`]. Texts follow go-digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// Not `algorithm:hex`, or the hex part is not lowercase hexadecimal.
    #[error("invalid checksum digest format")]
    InvalidFormat,
    /// The hex part does not have the algorithm's length.
    #[error("invalid checksum digest length")]
    InvalidLength,
    /// A well-formed digest of an algorithm that is not supported.
    #[error("unsupported digest algorithm")]
    Unsupported,
}

/// A supported digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256 (the default and what registries use).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Algorithm {
    /// The algorithm's name as written in a digest (`sha256`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Length of the hex encoding of this algorithm's output.
    #[must_use]
    pub fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha384 => 96,
            Self::Sha512 => 128,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated content digest such as `sha256:9f86d0…`.
///
/// Parse with [`str::parse`]; `Display` writes the same string back. Serde goes through the
/// parser.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest {
    repr: String,
    algorithm: Algorithm,
}

impl Digest {
    /// The SHA-256 digest of `bytes`.
    #[must_use]
    pub fn sha256_of(bytes: &[u8]) -> Self {
        let mut d = Digester::new(Algorithm::Sha256);
        d.update(bytes);
        d.finish()
    }

    /// The digest of `bytes` with `algorithm`.
    #[must_use]
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Self {
        let mut d = Digester::new(algorithm);
        d.update(bytes);
        d.finish()
    }

    /// Reads `reader` to the end and returns the SHA-256 digest and the byte count.
    ///
    /// # Errors
    /// Any read error.
    pub fn sha256_of_reader<R: Read>(mut reader: R) -> io::Result<(Self, u64)> {
        let mut d = Digester::new(Algorithm::Sha256);
        let n = copy_large(&mut reader, &mut d)?;
        Ok((d.finish(), n))
    }

    /// The digest's algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The hex part (lowercase).
    #[must_use]
    pub fn hex(&self) -> &str {
        &self.repr[self.algorithm.as_str().len() + 1..]
    }

    /// The whole digest as a string, `algorithm:hex`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.repr
    }

    /// Starts a verifier for bytes that should have this digest.
    #[must_use]
    pub fn verifier(&self) -> DigestVerifier {
        DigestVerifier::new(self.clone())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.repr)
    }
}

/// go-digest's `DigestRegexpAnchored`: `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`.
fn matches_generic_digest(algorithm: &str, encoded: &str) -> bool {
    let alg_ok = !algorithm.is_empty()
        && algorithm.split(['.', '+', '_', '-']).all(|c| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    let enc_ok = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    alg_ok && enc_ok
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some(i) = s.find(':') else {
            return Err(DigestError::InvalidFormat);
        };
        if i == 0 || i + 1 == s.len() {
            return Err(DigestError::InvalidFormat);
        }
        let (name, encoded) = (&s[..i], &s[i + 1..]);
        let Some(algorithm) = Algorithm::from_name(name) else {
            return Err(if matches_generic_digest(name, encoded) {
                DigestError::Unsupported
            } else {
                DigestError::InvalidFormat
            });
        };
        if encoded.len() != algorithm.hex_len() {
            return Err(DigestError::InvalidLength);
        }
        if !encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DigestError::InvalidFormat);
        }
        Ok(Self {
            repr: s.to_owned(),
            algorithm,
        })
    }
}

impl TryFrom<String> for Digest {
    type Error = DigestError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<&str> for Digest {
    type Error = DigestError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> Self {
        d.repr
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        &self.repr
    }
}

enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

/// Incremental hashing of streamed bytes; write to it (`io::Write`) or call [`Digester::update`].
pub struct Digester {
    hasher: Hasher,
    algorithm: Algorithm,
    len: u64,
}

impl fmt::Debug for Digester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Digester")
            .field("algorithm", &self.algorithm)
            .field("len", &self.len)
            .finish()
    }
}

impl Digester {
    /// A new digester for `algorithm`.
    #[must_use]
    pub fn new(algorithm: Algorithm) -> Self {
        let hasher = match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        };
        Self {
            hasher,
            algorithm,
            len: 0,
        }
    }

    /// A new SHA-256 digester.
    #[must_use]
    pub fn sha256() -> Self {
        Self::new(Algorithm::Sha256)
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        match &mut self.hasher {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha384(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// Number of bytes fed so far.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when no byte was fed yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest of everything fed.
    #[must_use]
    pub fn finish(self) -> Digest {
        let hex = match self.hasher {
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sha384(h) => hex::encode(h.finalize()),
            Hasher::Sha512(h) => hex::encode(h.finalize()),
        };
        Digest {
            repr: format!("{}:{hex}", self.algorithm.as_str()),
            algorithm: self.algorithm,
        }
    }
}

impl Write for Digester {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Streamed bytes did not have the expected digest (or size).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("digest mismatch: expected {expected}, got {actual} ({len} bytes)")]
#[non_exhaustive]
pub struct DigestMismatch {
    /// The digest that was expected.
    pub expected: Digest,
    /// The digest of the bytes actually seen.
    pub actual: Digest,
    /// Number of bytes seen.
    pub len: u64,
}

/// Verifies streamed bytes against an expected digest: feed with [`DigestVerifier::update`] or
/// `io::Write`, then [`DigestVerifier::verify`].
#[derive(Debug)]
pub struct DigestVerifier {
    expected: Digest,
    digester: Digester,
}

impl DigestVerifier {
    /// A verifier for bytes that should hash to `expected`.
    #[must_use]
    pub fn new(expected: Digest) -> Self {
        let digester = Digester::new(expected.algorithm());
        Self { expected, digester }
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.digester.update(bytes);
    }

    /// Number of bytes fed so far.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.digester.len()
    }

    /// True when no byte was fed yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.digester.is_empty()
    }

    /// The expected digest.
    #[must_use]
    pub fn expected(&self) -> &Digest {
        &self.expected
    }

    /// Checks the bytes fed against the expected digest.
    ///
    /// # Errors
    /// [`DigestMismatch`] when they differ.
    pub fn verify(self) -> Result<Digest, DigestMismatch> {
        let len = self.digester.len();
        let actual = self.digester.finish();
        if actual == self.expected {
            Ok(actual)
        } else {
            Err(DigestMismatch {
                expected: self.expected,
                actual,
                len,
            })
        }
    }
}

impl Write for DigestVerifier {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that hashes (SHA-256) and counts all bytes written through it to an inner writer.
#[derive(Debug)]
pub struct HashingWriter<W> {
    inner: W,
    digester: Digester,
}

/// Alias kept for readers looking for a "SHA-256 writer".
pub type Sha256Writer<W> = HashingWriter<W>;

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`, hashing with SHA-256.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            digester: Digester::sha256(),
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.digester.len()
    }

    /// True when nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.digester.is_empty()
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Returns the inner writer, the digest and the byte count.
    pub fn finish(self) -> (W, Digest, u64) {
        let len = self.digester.len();
        (self.inner, self.digester.finish(), len)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digester.update(&buf[..n]);
        Ok(n)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        self.digester.update(buf);
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `io::copy` with a 256 KiB buffer (fewer syscalls for big blobs).
pub(crate) fn copy_large<R: Read + ?Sized, W: Write + ?Sized>(
    r: &mut R,
    w: &mut W,
) -> io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n])?;
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn sha256_known_values() {
        assert_eq!(Digest::sha256_of(b"").as_str(), EMPTY);
        assert_eq!(
            Digest::sha256_of(b"test").hex(),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
        let d = Digest::of(Algorithm::Sha512, b"");
        assert_eq!(d.algorithm(), Algorithm::Sha512);
        assert!(d.hex().starts_with("cf83e1357eefb8bd"));
    }

    #[test]
    fn parse_rules() {
        let d: Digest = EMPTY.parse().unwrap();
        assert_eq!(d.to_string(), EMPTY);
        let cases: &[(&str, DigestError)] = &[
            ("", DigestError::InvalidFormat),
            ("sha256", DigestError::InvalidFormat),
            ("sha256:", DigestError::InvalidFormat),
            (":abc", DigestError::InvalidFormat),
            ("sha256:abc", DigestError::InvalidLength),
            (
                "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                DigestError::InvalidFormat,
            ),
            (
                "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                DigestError::InvalidFormat,
            ),
            (
                "md5:d41d8cd98f00b204e9800998ecf8427e",
                DigestError::Unsupported,
            ),
            ("invaliddigest:ffff", DigestError::Unsupported),
            ("SHA256:ffff", DigestError::InvalidFormat),
        ];
        for (input, err) in cases {
            assert_eq!(input.parse::<Digest>().unwrap_err(), *err, "{input}");
        }
    }

    #[test]
    fn serde_goes_through_parser() {
        let d: Digest = serde_json::from_str(&format!("\"{EMPTY}\"")).unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{EMPTY}\""));
        assert!(serde_json::from_str::<Digest>("\"sha256:zz\"").is_err());
    }

    #[test]
    fn streaming_matches_one_shot() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        let mut v = Digest::sha256_of(&data).verifier();
        for chunk in data.chunks(777) {
            v.update(chunk);
        }
        assert_eq!(v.len(), 100_000);
        assert_eq!(v.verify().unwrap(), Digest::sha256_of(&data));

        let mut bad = Digest::sha256_of(b"other").verifier();
        bad.update(&data);
        let err = bad.verify().unwrap_err();
        assert_eq!(err.actual, Digest::sha256_of(&data));

        let mut w = HashingWriter::new(Vec::new());
        w.write_all(&data).unwrap();
        let (inner, d, n) = w.finish();
        assert_eq!(
            (inner, d, n),
            (data.clone(), Digest::sha256_of(&data), 100_000)
        );
        let (d2, n2) = Digest::sha256_of_reader(&data[..]).unwrap();
        assert_eq!((d2, n2), (Digest::sha256_of(&data), 100_000));
    }
}
