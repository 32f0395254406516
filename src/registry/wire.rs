//! The primitives of the binary snapshot: a writer and a reader of integers, texts, optional
//! values and the small structures every part of a registry is made of. The layout of the whole
//! is `codec`'s.

use super::tags::Tagged;
use crate::model::{
    Code, CodeId, Contract, Error, ExceptionList, MatchMode, PartnerId, Payout, Timestamp, Window,
};

pub(super) struct Writer(Vec<u8>);

impl Writer {
    pub(super) fn with_capacity(bytes: usize) -> Writer {
        Writer(Vec::with_capacity(bytes))
    }

    pub(super) fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    pub(super) fn bytes(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    pub(super) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(super) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// An unsigned integer in as few bytes as it needs: seven bits a byte, low bits first, the
    /// top bit set on every byte but the last (LEB128). Ids, counts, revisions and positions
    /// are mostly small: at a million codes, fixed eight-byte integers were half a snapshot.
    pub(super) fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    pub(super) fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn len(&mut self, n: usize) {
        self.uint(n as u64);
    }
    pub(super) fn str(&mut self, s: &str) {
        // Texts are codes, labels, names and notes: far below 4 GiB each.
        self.uint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    /// A value of a closed set, as its tag.
    pub(super) fn tagged<T: Tagged>(&mut self, value: T) {
        self.u8(value.tag());
    }
    pub(super) fn opt<T>(&mut self, v: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                write(self, v);
            }
        }
    }
    pub(super) fn instant(&mut self, t: Timestamp) {
        self.i64(t.as_unix_millis());
    }
    pub(super) fn window(&mut self, w: Window) {
        self.opt(w.from, Writer::instant);
        self.opt(w.until, Writer::instant);
    }
    pub(super) fn payout(&mut self, p: Payout) {
        match p {
            Payout::Fixed(v) => {
                self.u8(0);
                self.u64(v);
            }
            Payout::PercentBps(v) => {
                self.u8(1);
                self.u32(v);
            }
        }
    }
    pub(super) fn contract(&mut self, c: Contract) {
        self.window(c.window);
        self.opt(c.payout, Writer::payout);
    }
    pub(super) fn code(&mut self, code: &Code) {
        match code {
            Code::Tracking(t) => {
                self.u8(match t.match_mode {
                    MatchMode::Exact => 0,
                    MatchMode::Regex => 1,
                });
                self.uint(t.id.0);
                self.str(&t.text);
                self.window(t.window);
                self.opt(t.label.as_deref(), Writer::str);
                self.uint(t.owner.0);
                self.tagged(t.credit);
                self.opt(t.deal, Writer::uint);
                self.uint(zigzag(t.priority));
            }
            Code::Restricted(r) => {
                self.u8(2);
                self.uint(r.id.0);
                self.str(&r.text);
                self.window(r.window);
                self.opt(r.label.as_deref(), Writer::str);
            }
        }
    }
    pub(super) fn list(&mut self, list: &ExceptionList) {
        self.str(list.name());
        self.len(list.code_texts().len());
        for code in list.code_texts() {
            self.str(code);
        }
        self.opt(list.expression(), Writer::str);
        self.payout(list.payout());
    }
}

/// A signed integer as an unsigned one that is small when its magnitude is: 0, -1, 1, -2, …
pub(super) fn zigzag(v: i32) -> u64 {
    u64::from(((v << 1) ^ (v >> 31)) as u32)
}

pub(super) struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
    /// Whether ids, counts, revisions, positions and text lengths are LEB128 (format 4 on), or
    /// fixed-width as before.
    compact: bool,
}

impl<'b> Reader<'b> {
    /// Reads `bytes` from offset `at`, in the compact integers of format 4 on.
    pub(super) fn new(bytes: &'b [u8], at: usize) -> Reader<'b> {
        Reader {
            bytes,
            at,
            compact: true,
        }
    }

    /// Reads the integers of a snapshot of `format`.
    pub(super) fn for_format(mut self, format: u32) -> Reader<'b> {
        self.compact = format >= 4;
        self
    }

    pub(super) fn position(&self) -> usize {
        self.at
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'b [u8], Error> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            return Err(Error::snapshot(format!("cut short at byte {}", self.at)));
        };
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }
    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    pub(super) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(super) fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// An id, count, revision or position: LEB128 in the compact form, else eight bytes.
    pub(super) fn uint(&mut self) -> Result<u64, Error> {
        if !self.compact {
            return self.u64();
        }
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(self.bad("an integer past 64 bits"));
            }
            v |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.bad("an integer past 64 bits"))
    }
    /// A text's length: LEB128 in the compact form, else four bytes.
    pub(super) fn text_len(&mut self) -> Result<u64, Error> {
        if self.compact {
            self.uint()
        } else {
            self.u32().map(u64::from)
        }
    }
    /// A regex code's priority: zigzag LEB128 in the compact form, else four bytes.
    pub(super) fn priority(&mut self) -> Result<i32, Error> {
        if !self.compact {
            return Ok(self.u32()? as i32);
        }
        let v = u32::try_from(self.uint()?).map_err(|_| self.bad("a priority out of range"))?;
        Ok(((v >> 1) as i32) ^ -((v & 1) as i32))
    }
    pub(super) fn bad(&self, what: &str) -> Error {
        Error::snapshot(format!("{what} at byte {}", self.at))
    }
    /// A count of items, each at least `min` bytes (in the compact form, the smaller): no
    /// count can claim more than is left.
    pub(super) fn len(&mut self, min: usize) -> Result<usize, Error> {
        let n = self.uint()?;
        let left = (self.bytes.len() - self.at) / min.max(1);
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= left)
            .ok_or_else(|| self.bad("a count larger than the snapshot"))
    }
    pub(super) fn str(&mut self) -> Result<String, Error> {
        let n = usize::try_from(self.text_len()?)
            .map_err(|_| self.bad("a text longer than the snapshot"))?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.bad("a text that is not UTF-8"))
    }
    pub(super) fn opt<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        match self.u8()? {
            0 => Ok(None),
            1 => read(self).map(Some),
            _ => Err(self.bad("an unknown tag")),
        }
    }
    pub(super) fn tag<T: Copy>(&mut self, values: &[T]) -> Result<T, Error> {
        let tag = self.u8()?;
        values
            .get(usize::from(tag))
            .copied()
            .ok_or_else(|| self.bad("an unknown tag"))
    }
    /// A value of a closed set, from its tag.
    pub(super) fn tagged<T: Tagged>(&mut self) -> Result<T, Error> {
        let tag = self.u8()?;
        T::of_tag(tag).ok_or_else(|| self.bad(&format!("an unknown {} tag {tag}", T::WHAT)))
    }
    pub(super) fn instant(&mut self) -> Result<Timestamp, Error> {
        let ms = i64::from_le_bytes(self.array()?);
        Timestamp::try_from_unix_millis(ms).ok_or_else(|| self.bad("an instant out of range"))
    }
    pub(super) fn window(&mut self) -> Result<Window, Error> {
        Ok(Window {
            from: self.opt(Reader::instant)?,
            until: self.opt(Reader::instant)?,
        })
    }
    pub(super) fn payout(&mut self) -> Result<Payout, Error> {
        match self.u8()? {
            0 => Ok(Payout::Fixed(self.u64()?)),
            1 => Ok(Payout::PercentBps(self.u32()?)),
            _ => Err(self.bad("an unknown payout")),
        }
    }
    pub(super) fn contract(&mut self) -> Result<Contract, Error> {
        let window = self.window()?;
        let payout = self.opt(Reader::payout)?;
        let mut contract = Contract::new(window);
        contract.payout = payout;
        Ok(contract)
    }
    pub(super) fn code(&mut self) -> Result<Code, Error> {
        let kind = self.u8()?;
        let id = CodeId(self.uint()?);
        let text = self.str()?;
        let window = self.window()?;
        let label = self.opt(Reader::str)?;
        match kind {
            0 | 1 => {
                let owner = PartnerId(self.uint()?);
                let mut code = Code::tracking(id, text, owner)
                    .credit(self.tagged()?)
                    .window(window);
                if kind == 1 {
                    code = code.regex();
                }
                code.deal = self.opt(Reader::uint)?;
                code.priority = self.priority()?;
                code.label = label;
                Ok(code.into())
            }
            2 => {
                let mut code = Code::restricted(id, text).window(window);
                code.label = label;
                Ok(code.into())
            }
            _ => Err(self.bad("an unknown kind of code")),
        }
    }
    pub(super) fn list(&mut self) -> Result<ExceptionList, Error> {
        let name = self.str()?;
        let n = self.len(1)?;
        let codes = (0..n).map(|_| self.str()).collect::<Result<Vec<_>, _>>()?;
        let expression = self.opt(Reader::str)?;
        let mut list = ExceptionList::new(name, self.payout()?).codes(codes);
        if let Some(expression) = expression {
            list = list.match_expression(expression);
        }
        Ok(list)
    }
}
