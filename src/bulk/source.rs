//! The bytes of a bulk file on their way to the CSV parser: the byte-order mark dropped, a
//! UTF-16 or UTF-32 file recognised (and refused by the caller), and the line each record
//! starts on counted here rather than by the parser.
//!
//! The parser counts only `\n` and reports where it *started* looking for a record, blank
//! lines and the `\n` of a `\r\n` included: a Windows file (`\r\n`) had every row one line
//! early, a Mac one (`\r`) had every row on line 1. Here a line ends at `\n`, at `\r\n` or at
//! a lone `\r`, and a record's line is that of the first byte of it that is not a line end.

use std::collections::VecDeque;
use std::io;

/// A file whose byte-order mark says it is not UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WideEncoding {
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl WideEncoding {
    /// What the file is, and how to get one that reads.
    pub(super) fn refusal(self) -> String {
        let name = match self {
            WideEncoding::Utf16Le => "UTF-16 (little-endian)",
            WideEncoding::Utf16Be => "UTF-16 (big-endian)",
            WideEncoding::Utf32Le => "UTF-32 (little-endian)",
            WideEncoding::Utf32Be => "UTF-32 (big-endian)",
        };
        format!(
            "the file is {name} text, not UTF-8; save it as \"CSV UTF-8 (Comma delimited)\" \
             (or convert it to UTF-8) and upload that"
        )
    }

    fn of_mark(head: &[u8]) -> Option<WideEncoding> {
        // UTF-32LE's mark starts with UTF-16LE's: test the longer first.
        match head {
            [0xFF, 0xFE, 0, 0, ..] => Some(WideEncoding::Utf32Le),
            [0, 0, 0xFE, 0xFF, ..] => Some(WideEncoding::Utf32Be),
            [0xFF, 0xFE, ..] => Some(WideEncoding::Utf16Le),
            [0xFE, 0xFF, ..] => Some(WideEncoding::Utf16Be),
            _ => None,
        }
    }
}

/// Reads a bulk file for the parser, counting lines as the bytes go by.
pub(super) struct CountingReader<R> {
    inner: R,
    checked: bool,
    /// Bytes read while looking for a mark that were not one, to hand out first.
    pending: Vec<u8>,
    wide: Option<WideEncoding>,
    lines: LineCounter,
}

impl<R: io::Read> CountingReader<R> {
    pub(super) fn new(inner: R) -> CountingReader<R> {
        CountingReader {
            inner,
            checked: false,
            pending: Vec::new(),
            wide: None,
            lines: LineCounter::default(),
        }
    }

    /// The encoding named by the file's byte-order mark, when it is not UTF-8: the file then
    /// reads as empty.
    pub(super) fn wide_encoding(&self) -> Option<WideEncoding> {
        self.wide
    }

    /// The one-based line of the record (or error) the parser places at `byte`, an offset in
    /// what this reader handed out. Calls must come in increasing `byte` order: what lies
    /// before is forgotten.
    pub(super) fn line_at(&mut self, byte: u64) -> u64 {
        self.lines.line_at(byte)
    }

    fn check_mark(&mut self) -> io::Result<()> {
        self.checked = true;
        let mut head = [0u8; 4];
        let mut got = 0;
        while got < head.len() {
            match self.inner.read(&mut head[got..])? {
                0 => break,
                n => got += n,
            }
        }
        let head = &head[..got];
        if let Some(wide) = WideEncoding::of_mark(head) {
            self.wide = Some(wide);
        } else if let Some(rest) = head.strip_prefix(b"\xEF\xBB\xBF") {
            self.pending.extend_from_slice(rest);
        } else {
            self.pending.extend_from_slice(head);
        }
        Ok(())
    }
}

impl<R: io::Read> io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.checked {
            self.check_mark()?;
        }
        if self.wide.is_some() {
            return Ok(0);
        }
        let n = if self.pending.is_empty() {
            self.inner.read(buf)?
        } else {
            let n = self.pending.len().min(buf.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            n
        };
        self.lines.see(&buf[..n]);
        Ok(n)
    }
}

/// Where lines with content start, for the bytes seen but not yet asked about.
#[derive(Debug)]
struct LineCounter {
    /// Offset of the next byte to be seen.
    offset: u64,
    /// The line that byte is on.
    line: u64,
    /// Whether no byte but line ends has been seen on `line` yet.
    at_line_start: bool,
    after_cr: bool,
    /// (offset, line) of the first byte of every line with content, in order; the parser reads
    /// ahead by one buffer at most, so this stays short.
    starts: VecDeque<(u64, u64)>,
}

impl Default for LineCounter {
    fn default() -> LineCounter {
        LineCounter {
            offset: 0,
            line: 1,
            at_line_start: true,
            after_cr: false,
            starts: VecDeque::new(),
        }
    }
}

impl LineCounter {
    fn see(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match byte {
                b'\r' => {
                    self.line += 1;
                    self.at_line_start = true;
                    self.after_cr = true;
                }
                b'\n' => {
                    if !self.after_cr {
                        self.line += 1;
                        self.at_line_start = true;
                    }
                    self.after_cr = false;
                }
                _ => {
                    if self.at_line_start {
                        self.starts.push_back((self.offset, self.line));
                        self.at_line_start = false;
                    }
                    self.after_cr = false;
                }
            }
            self.offset += 1;
        }
    }

    /// The line of the first byte at or after `byte` that is not a line end. A record never
    /// starts with one, so this is the line of the record the parser placed at `byte`. With
    /// only line ends left (an error at the end of the file), the line the file ends on.
    fn line_at(&mut self, byte: u64) -> u64 {
        while self.starts.front().is_some_and(|&(at, _)| at < byte) {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |&(_, line)| line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The line of every record the CSV parser finds, one byte per `read` to cross every
    /// boundary.
    fn record_lines(data: &[u8]) -> Vec<(String, u64)> {
        struct OneByte<'a>(&'a [u8]);
        impl io::Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match (self.0.split_first(), buf.first_mut()) {
                    (Some((&b, rest)), Some(slot)) => {
                        *slot = b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(CountingReader::new(OneByte(data)));
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap_or(false) {
            let byte = record.position().map_or(0, |p| p.byte());
            let first = String::from_utf8_lossy(&record[0]).into_owned();
            out.push((first, reader.get_mut().line_at(byte)));
        }
        out
    }

    #[test]
    fn records_start_on_the_line_they_start_on_whatever_the_line_ends() {
        let lines = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
            v.iter().map(|(s, l)| (s.to_string(), *l)).collect()
        };
        let expected = lines(&[("a", 1), ("1", 2), ("3", 4), ("x\ny", 5), ("6", 7)]);
        type Case = (&'static str, &'static [u8], Vec<(String, u64)>);
        let cases: [Case; 6] = [
            (
                "lf",
                b"a,b\n1,2\n\n3,4\n\"x\ny\",5\n6,7\n",
                expected.clone(),
            ),
            (
                "crlf",
                b"a,b\r\n1,2\r\n\r\n3,4\r\n\"x\ny\",5\r\n6,7\r\n",
                expected.clone(),
            ),
            ("cr", b"a,b\r1,2\r\r3,4\r\"x\ny\",5\r6,7", expected.clone()),
            (
                "mixed",
                b"a,b\r\n1,2\n\r3,4\r\"x\ny\",5\n6,7",
                expected.clone(),
            ),
            (
                "bom, then crlf inside quotes",
                b"\xEF\xBB\xBFa,b\r\n\"q\r\nr\",1\r\nz,2\r\n",
                lines(&[("a", 1), ("q\r\nr", 2), ("z", 4)]),
            ),
            (
                "blank lines first and last",
                b"\n\r\n\ra,b\n\n\n",
                lines(&[("a", 4)]),
            ),
        ];
        for (name, data, expected) in cases {
            assert_eq!(record_lines(data), expected, "{name}");
        }
    }

    #[test]
    fn wide_encodings_are_named_and_read_as_nothing() {
        let cases: [(&[u8], Option<WideEncoding>); 6] = [
            (b"\xFF\xFEa\0,\0", Some(WideEncoding::Utf16Le)),
            (b"\xFE\xFF\0a\0,", Some(WideEncoding::Utf16Be)),
            (b"\xFF\xFE\0\0a\0\0\0", Some(WideEncoding::Utf32Le)),
            (b"\0\0\xFE\xFF\0\0\0a", Some(WideEncoding::Utf32Be)),
            (b"\xEF\xBB\xBFa,b", None),
            (b"a", None),
        ];
        for (data, wide) in cases {
            let mut source = CountingReader::new(data);
            let mut out = Vec::new();
            source.read_to_end(&mut out).unwrap_or_default();
            assert_eq!(source.wide_encoding(), wide, "{data:?}");
            match wide {
                Some(wide) => {
                    assert!(out.is_empty());
                    assert!(wide.refusal().contains("UTF-"), "{}", wide.refusal());
                }
                None => assert_eq!(out, data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data)),
            }
        }
    }
}
