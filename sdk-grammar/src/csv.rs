//! One CSV record as Go's `encoding/csv` reader reads it with default settings (comma
//! separator, no lazy quotes, no leading-space trimming): what the docker CLI reads `--mount`,
//! `--publish`, `--secret`, `--config` and `--network` values with. And the writer for the
//! reverse, so a value parsed and written again keeps its bytes.

use crate::error::{Error, Result};

/// One field of a record: its value and whether it was written in double quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Field {
    /// The field's value, quotes removed and `""` read as `"`.
    pub value: String,
    /// Whether the field was written in double quotes.
    pub quoted: bool,
}

impl Field {
    /// A field with `value`, written in quotes when `quoted`.
    #[must_use]
    pub fn new(value: impl Into<String>, quoted: bool) -> Self {
        Self {
            value: value.into(),
            quoted,
        }
    }
}

/// Reads the first record of `input` exactly like Go's `csv.NewReader(…).Read()`: empty lines
/// before it are skipped, a quoted field may span lines, `"\r\n"` reads as `"\n"`, and what
/// follows the record's last line is ignored.
///
/// # Errors
/// [`Error::Csv`] with Go's text and position: `bare " in non-quoted-field`, `extraneous or
/// missing " in quoted-field`, or `EOF` for an input without a record.
///
/// ```
/// use sdk_grammar::csv::read_record;
/// let f = read_record(r#"a,"b,c","d""e""#)?;
/// let values: Vec<_> = f.iter().map(|f| f.value.as_str()).collect();
/// assert_eq!(values, ["a", "b,c", "d\"e"]);
/// assert!(f[1].quoted);
/// assert_eq!(
///     read_record("a\"b").unwrap_err().to_string(),
///     "parse error on line 1, column 2: bare \" in non-quoted-field"
/// );
/// # Ok::<(), sdk_grammar::Error>(())
/// ```
pub fn read_record(input: &str) -> Result<Vec<Field>> {
    // Lines as Go's readLine gives them: keep '\n', fold "\r\n" to "\n", drop a trailing '\r'
    // at EOF.
    fn read_line(rest: &mut &str, num_line: &mut usize) -> Option<String> {
        if rest.is_empty() {
            return None;
        }
        let (mut line, tail) = match rest.find('\n') {
            Some(i) => (rest[..=i].to_owned(), &rest[i + 1..]),
            None => {
                let mut l = (*rest).to_owned();
                if l.ends_with('\r') {
                    l.pop();
                }
                (l, "")
            }
        };
        *rest = tail;
        *num_line += 1;
        if line.ends_with("\r\n") {
            line.truncate(line.len() - 2);
            line.push('\n');
        }
        Some(line)
    }
    let err = |start_line, line, column, reason| Error::Csv {
        start_line,
        line,
        column,
        reason,
    };
    const BARE: &str = "bare \" in non-quoted-field";
    const QUOTE: &str = "extraneous or missing \" in quoted-field";
    let nl = |l: &str| usize::from(l.ends_with('\n'));
    let mut rest = input;
    let mut lines_read = 0usize;

    // Skip empty lines; nothing left is Go's io.EOF.
    let mut cur = loop {
        match read_line(&mut rest, &mut lines_read) {
            None => return Err(err(0, 0, 0, "EOF")),
            Some(l) if l.len() == nl(&l) => {}
            Some(l) => break l,
        }
    };
    let rec_line = lines_read;
    let mut pos_line = lines_read;
    let mut pos_col = 1usize;
    let mut off = 0usize;
    let mut fields = Vec::new();
    let mut buf = String::new();
    'field: loop {
        let l = &cur[off..];
        if !l.starts_with('"') {
            let i = l.find(',');
            let field = match i {
                Some(i) => &l[..i],
                None => &l[..l.len() - nl(l)],
            };
            if let Some(j) = field.find('"') {
                return Err(err(rec_line, lines_read, pos_col + j, BARE));
            }
            fields.push(Field::new(field, false));
            if let Some(i) = i {
                off += i + 1;
                pos_col += i + 1;
                continue 'field;
            }
            break 'field;
        }
        // Quoted field.
        off += 1;
        pos_col += 1;
        buf.clear();
        loop {
            let l = &cur[off..];
            if let Some(i) = l.find('"') {
                buf.push_str(&l[..i]);
                off += i + 1;
                pos_col += i + 1;
                let l = &cur[off..];
                if l.starts_with('"') {
                    buf.push('"');
                    off += 1;
                    pos_col += 1;
                } else if l.starts_with(',') {
                    off += 1;
                    pos_col += 1;
                    fields.push(Field::new(std::mem::take(&mut buf), true));
                    continue 'field;
                } else if nl(l) == l.len() {
                    fields.push(Field::new(std::mem::take(&mut buf), true));
                    break 'field;
                } else {
                    return Err(err(rec_line, lines_read, pos_col - 1, QUOTE));
                }
            } else if !l.is_empty() {
                buf.push_str(l);
                pos_col += l.len();
                off = 0;
                if let Some(next) = read_line(&mut rest, &mut lines_read) {
                    pos_line += 1;
                    pos_col = 1;
                    cur = next;
                } else {
                    cur = String::new();
                }
            } else {
                // Abrupt end of input inside quotes.
                return Err(err(rec_line, pos_line, pos_col, QUOTE));
            }
        }
    }
    Ok(fields)
}

/// The values of [`read_record`]'s fields.
///
/// # Errors
/// As [`read_record`].
///
/// ```
/// assert_eq!(sdk_grammar::csv::read_values("a,\"b,c\"")?, ["a", "b,c"]);
/// # Ok::<(), sdk_grammar::Error>(())
/// ```
pub fn read_values(input: &str) -> Result<Vec<String>> {
    Ok(read_record(input)?.into_iter().map(|f| f.value).collect())
}

/// Whether a field must be quoted to read back as one field with the same value (it holds a
/// comma, a quote, a line break, or starts with a space as Go's writer checks).
#[must_use]
pub fn needs_quotes(value: &str) -> bool {
    value.contains([',', '"', '\n', '\r']) || value.starts_with([' ', '\t'])
}

/// Appends one field to `out`: in quotes (inner quotes doubled) when `quoted`, else as is.
pub fn write_field(out: &mut String, value: &str, quoted: bool) {
    if quoted {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// A record of `fields`, each quoted when it was read quoted or [`needs_quotes`].
///
/// ```
/// use sdk_grammar::csv::{Field, write_record};
/// let rec = write_record(&[Field::new("type=volume", false), Field::new("o=a,b", false)]);
/// assert_eq!(rec, r#"type=volume,"o=a,b""#);
/// ```
#[must_use]
pub fn write_record(fields: &[Field]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field(&mut out, &f.value, f.quoted || needs_quotes(&f.value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(s: &str) -> Vec<String> {
        read_values(s).unwrap()
    }

    // Cases of Go's encoding/csv reader_test.go that apply to default settings.
    #[test]
    fn reads_like_go() {
        assert_eq!(values("a,b"), ["a", "b"]);
        assert_eq!(values("\"a,b\",c"), ["a,b", "c"]);
        assert_eq!(values("\"a\"\"b\""), ["a\"b"]);
        assert_eq!(values("a,"), ["a", ""]);
        assert_eq!(values("a\nb"), ["a"]);
        assert_eq!(values("\n\na"), ["a"]);
        assert_eq!(values("a\r"), ["a"]);
        assert_eq!(values("a\r\n"), ["a"]);
        assert_eq!(values("\"a\nb\""), ["a\nb"]);
        assert_eq!(values("\"a\r\nb\""), ["a\nb"]);
        assert_eq!(values(" a , b "), [" a ", " b "]);
        assert_eq!(values(",,"), ["", "", ""]);
        let eof = read_record("").unwrap_err();
        assert!(eof.is_csv_eof());
        assert_eq!(eof.to_string(), "EOF");
        assert!(read_record("\n").unwrap_err().is_csv_eof());
        assert_eq!(
            read_record("\"a,b").unwrap_err().to_string(),
            "parse error on line 1, column 5: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            read_record("target=/x,a\"b").unwrap_err().to_string(),
            "parse error on line 1, column 12: bare \" in non-quoted-field"
        );
        assert_eq!(
            read_record("target=80,protocol=\"tcp,mode=ingress\"")
                .unwrap_err()
                .to_string(),
            "parse error on line 1, column 20: bare \" in non-quoted-field"
        );
        assert_eq!(
            read_record("\"a\"b").unwrap_err().to_string(),
            "parse error on line 1, column 3: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            read_record("\"a\nb\"c").unwrap_err().to_string(),
            "record on line 1; parse error on line 2, column 2: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            read_record("\"a\nb").unwrap_err().to_string(),
            "record on line 1; parse error on line 2, column 2: extraneous or missing \" in quoted-field"
        );
    }

    #[test]
    fn quoted_flags() {
        let f = read_record(r#"a,"b,c","d""e",,"""#).unwrap();
        let v: Vec<_> = f.iter().map(|f| (f.value.as_str(), f.quoted)).collect();
        assert_eq!(
            v,
            [
                ("a", false),
                ("b,c", true),
                ("d\"e", true),
                ("", false),
                ("", true)
            ]
        );
    }

    proptest! {
        #[test]
        fn written_records_read_back(values in proptest::collection::vec("[ -~\n]{0,12}", 1..6),
                                     quoted in proptest::collection::vec(any::<bool>(), 6)) {
            // A record whose only field is empty writes as "" and reads as EOF in Go too.
            prop_assume!(!(values.len() == 1 && values[0].is_empty() && !quoted[0]));
            let fields: Vec<Field> = values
                .iter()
                .zip(&quoted)
                .map(|(v, q)| Field::new(v.clone(), *q))
                .collect();
            let text = write_record(&fields);
            let back = read_values(&text).unwrap();
            prop_assert_eq!(back, values);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = read_record(&s);
        }
    }
}
