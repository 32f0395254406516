//! The binary encoding of a registry's image, for the snapshot: every value in a fixed order,
//! integers little-endian, texts as a u32 length and UTF-8, an absent value as a 0 byte and a
//! present one as a 1 byte and the value. Reading checks the form of everything it reads.

use std::sync::Arc;

use super::image::{Check, Image, ImageChange, ImageCode, ImageEntry, Restore};
use super::lineage::Stretch;
use super::store::Store;
use crate::definitions::{TermChange, TermUpdate};
use crate::model::{
    AlwaysOwnerClicks, Change, Clawback, ClickWinner, Code, CodeId, CodeTracking, Contract,
    Contracts, CreditPolicy, Error, ExceptionList, Lifecycle, LifecycleEvent, MatchMode, PartnerId,
    Payout, RegexAnchoring, Settings, Timestamp, UnmetPolicy, Window,
};

pub(super) struct Writer(Vec<u8>);

impl Writer {
    pub(super) fn with_capacity(bytes: usize) -> Writer {
        Writer(Vec::with_capacity(bytes))
    }

    pub(super) fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub(super) fn bytes(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(super) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    fn str(&mut self, s: &str) {
        // Texts are codes, labels, names and notes: far below 4 GiB each.
        self.u32(u32::try_from(s.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt<T>(&mut self, v: Option<T>, write: impl FnOnce(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                write(self, v);
            }
        }
    }
    fn instant(&mut self, t: Timestamp) {
        self.i64(t.as_unix_millis());
    }
    fn window(&mut self, w: Window) {
        self.opt(w.from, Writer::instant);
        self.opt(w.until, Writer::instant);
    }
    fn payout(&mut self, p: Payout) {
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
    fn contract(&mut self, c: Contract) {
        self.window(c.window);
        self.opt(c.payout, Writer::payout);
    }
    fn code(&mut self, code: &Code) {
        match code {
            Code::Tracking(t) => {
                self.u8(match t.match_mode {
                    MatchMode::Exact => 0,
                    MatchMode::Regex => 1,
                });
                self.u64(t.id.0);
                self.str(&t.text);
                self.window(t.window);
                self.opt(t.label.as_deref(), Writer::str);
                self.u64(t.owner.0);
                self.u8(credit_tag(t.credit));
                self.opt(t.deal, Writer::u64);
                self.u32(t.priority as u32);
            }
            Code::Restricted(r) => {
                self.u8(2);
                self.u64(r.id.0);
                self.str(&r.text);
                self.window(r.window);
                self.opt(r.label.as_deref(), Writer::str);
            }
        }
    }
    fn list(&mut self, list: &ExceptionList) {
        self.str(list.name());
        self.len(list.code_texts().len());
        for code in list.code_texts() {
            self.str(code);
        }
        self.opt(list.expression(), Writer::str);
        self.payout(list.payout());
    }
}

fn credit_tag(credit: CreditPolicy) -> u8 {
    match credit {
        CreditPolicy::Always => 0,
        CreditPolicy::IfInvolved => 1,
        CreditPolicy::IfWinner => 2,
    }
}

pub(super) fn write_image(out: &mut Writer, image: &Image) {
    let s = &image.settings;
    out.u8(match s.tracking {
        CodeTracking::Enabled => 0,
        CodeTracking::Disabled => 1,
    });
    out.u8(match s.click_winner {
        ClickWinner::LastClick => 0,
        ClickWinner::FirstClick => 1,
    });
    out.u64(u64::try_from(s.lookback.as_millis()).unwrap_or(u64::MAX));
    out.u8(match s.unmet_policy {
        UnmetPolicy::Invalidate => 0,
        UnmetPolicy::FallBackToClicks => 1,
    });
    out.u8(match s.always_owner_clicks {
        AlwaysOwnerClicks::Count => 0,
        AlwaysOwnerClicks::Ignore => 1,
    });
    out.u8(match s.contracts {
        Contracts::Optional => 0,
        Contracts::Required => 1,
    });
    out.u8(match s.regex_anchoring {
        RegexAnchoring::WholeCode => 0,
        RegexAnchoring::Search => 1,
    });
    out.payout(s.payout);
    // Format 2.
    out.opt(s.lock_after, |out, after| {
        out.u64(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
    });
    out.u8(match s.clawback {
        Clawback::Disabled => 0,
        Clawback::Enabled => 1,
    });
    // Format 3.
    out.u64(s.max_entered_codes as u64);
    out.u64(s.max_other_matches as u64);

    out.len(image.codes.len());
    for c in &image.codes {
        out.code(&c.code);
        out.u8(u8::from(c.removed));
        out.len(c.events.len());
        for e in &c.events {
            out.instant(e.at);
            out.u8(match e.action {
                Lifecycle::Expire => 0,
                Lifecycle::Reactivate => 1,
            });
        }
        out.len(c.term_changes.len());
        for t in &c.term_changes {
            out.instant(t.at);
            match t.update {
                TermUpdate::Owner(owner) => {
                    out.u8(0);
                    out.u64(owner.0);
                }
                TermUpdate::Credit(credit) => {
                    out.u8(1);
                    out.u64(u64::from(credit_tag(credit)));
                }
            }
        }
    }
    out.len(image.contracts.len());
    for &(partner, contract) in &image.contracts {
        out.u64(partner.0);
        out.contract(contract);
    }
    out.len(image.exception_lists.len());
    for list in &image.exception_lists {
        out.list(list);
    }
    out.u64(image.revision);
    out.len(image.history.len());
    for entry in &image.history {
        out.u64(entry.revision);
        out.opt(entry.note.as_deref(), Writer::str);
        match &entry.change {
            ImageChange::AddOf(position) => {
                out.u8(0);
                out.len(*position);
            }
            ImageChange::Change(change) => write_change(out, change),
        }
    }
    // Format 3.
    let stretches = image.lineage.as_deref().unwrap_or_default();
    out.len(stretches.len());
    for stretch in stretches {
        out.u64(stretch.from);
        out.u64(stretch.seed);
    }
}

fn write_change(out: &mut Writer, change: &Change) {
    match change {
        Change::Add { code } => {
            out.u8(1);
            out.code(code);
        }
        Change::Expire { code, at } | Change::Reactivate { code, at } => {
            out.u8(if matches!(change, Change::Expire { .. }) {
                2
            } else {
                3
            });
            out.u64(code.0);
            out.instant(*at);
        }
        Change::Transfer { code, to, at } => {
            out.u8(4);
            out.u64(code.0);
            out.u64(to.0);
            out.instant(*at);
        }
        Change::SetCredit { code, credit, at } => {
            out.u8(5);
            out.u64(code.0);
            out.u8(credit_tag(*credit));
            out.instant(*at);
        }
        Change::SetWindow { code, window } => {
            out.u8(6);
            out.u64(code.0);
            out.window(*window);
        }
        Change::SetDeal { code, deal } => {
            out.u8(7);
            out.u64(code.0);
            out.opt(*deal, Writer::u64);
        }
        Change::SetLabel { code, label } => {
            out.u8(8);
            out.u64(code.0);
            out.opt(label.as_deref(), Writer::str);
        }
        Change::Remove { code, now } => {
            out.u8(9);
            out.u64(code.0);
            out.instant(*now);
        }
        Change::SetContract { partner, contract } => {
            out.u8(10);
            out.u64(partner.0);
            out.contract(*contract);
        }
        Change::RemoveContract { partner } => {
            out.u8(11);
            out.u64(partner.0);
        }
        Change::AddExceptionList { list } => {
            out.u8(12);
            out.list(list);
        }
    }
}

pub(super) struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    /// Reads `bytes` from offset `at`.
    pub(super) fn new(bytes: &'b [u8], at: usize) -> Reader<'b> {
        Reader { bytes, at }
    }

    pub(super) fn position(&self) -> usize {
        self.at
    }

    fn take(&mut self, n: usize) -> Result<&'b [u8], Error> {
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
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(super) fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn bad(&self, what: &str) -> Error {
        Error::snapshot(format!("{what} at byte {}", self.at))
    }
    /// A count of items, each at least `min` bytes: no count can claim more than is left.
    fn len(&mut self, min: usize) -> Result<usize, Error> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.at) / min.max(1);
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= left)
            .ok_or_else(|| self.bad("a count larger than the snapshot"))
    }
    fn str(&mut self) -> Result<String, Error> {
        let n = self.u32()? as usize;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.bad("a text that is not UTF-8"))
    }
    fn opt<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        match self.u8()? {
            0 => Ok(None),
            1 => read(self).map(Some),
            _ => Err(self.bad("an unknown tag")),
        }
    }
    fn tag<T: Copy>(&mut self, values: &[T]) -> Result<T, Error> {
        let tag = self.u8()?;
        values
            .get(usize::from(tag))
            .copied()
            .ok_or_else(|| self.bad("an unknown tag"))
    }
    fn instant(&mut self) -> Result<Timestamp, Error> {
        let ms = i64::from_le_bytes(self.array()?);
        Timestamp::try_from_unix_millis(ms).ok_or_else(|| self.bad("an instant out of range"))
    }
    fn window(&mut self) -> Result<Window, Error> {
        Ok(Window {
            from: self.opt(Reader::instant)?,
            until: self.opt(Reader::instant)?,
        })
    }
    fn payout(&mut self) -> Result<Payout, Error> {
        match self.u8()? {
            0 => Ok(Payout::Fixed(self.u64()?)),
            1 => Ok(Payout::PercentBps(self.u32()?)),
            _ => Err(self.bad("an unknown payout")),
        }
    }
    fn contract(&mut self) -> Result<Contract, Error> {
        let window = self.window()?;
        let payout = self.opt(Reader::payout)?;
        let mut contract = Contract::new(window);
        contract.payout = payout;
        Ok(contract)
    }
    fn credit(&mut self) -> Result<CreditPolicy, Error> {
        self.tag(&[
            CreditPolicy::Always,
            CreditPolicy::IfInvolved,
            CreditPolicy::IfWinner,
        ])
    }
    fn code(&mut self) -> Result<Code, Error> {
        let kind = self.u8()?;
        let id = CodeId(self.u64()?);
        let text = self.str()?;
        let window = self.window()?;
        let label = self.opt(Reader::str)?;
        match kind {
            0 | 1 => {
                let owner = PartnerId(self.u64()?);
                let mut code = Code::tracking(id, text, owner)
                    .credit(self.credit()?)
                    .window(window);
                if kind == 1 {
                    code = code.regex();
                }
                code.deal = self.opt(Reader::u64)?;
                code.priority = self.u32()? as i32;
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
    fn list(&mut self) -> Result<ExceptionList, Error> {
        let name = self.str()?;
        let n = self.len(4)?;
        let codes = (0..n).map(|_| self.str()).collect::<Result<Vec<_>, _>>()?;
        let expression = self.opt(Reader::str)?;
        let mut list = ExceptionList::new(name, self.payout()?).codes(codes);
        if let Some(expression) = expression {
            list = list.match_expression(expression);
        }
        Ok(list)
    }
}

/// Reads a registry written in `format`, part after part, into `check`'s kind of restore.
pub(super) fn read_registry(r: &mut Reader<'_>, format: u32, check: Check) -> Result<Store, Error> {
    let mut settings = Settings {
        tracking: r.tag(&[CodeTracking::Enabled, CodeTracking::Disabled])?,
        click_winner: r.tag(&[ClickWinner::LastClick, ClickWinner::FirstClick])?,
        lookback: std::time::Duration::from_millis(r.u64()?),
        unmet_policy: r.tag(&[UnmetPolicy::Invalidate, UnmetPolicy::FallBackToClicks])?,
        always_owner_clicks: r.tag(&[AlwaysOwnerClicks::Count, AlwaysOwnerClicks::Ignore])?,
        contracts: r.tag(&[Contracts::Optional, Contracts::Required])?,
        regex_anchoring: r.tag(&[RegexAnchoring::WholeCode, RegexAnchoring::Search])?,
        payout: r.payout()?,
        ..Settings::default()
    };
    if format >= 2 {
        settings.lock_after = r.opt(|r| Ok(std::time::Duration::from_millis(r.u64()?)))?;
        settings.clawback = r.tag(&[Clawback::Disabled, Clawback::Enabled])?;
    }
    if format >= 3 {
        // A limit above what this machine can count is no limit.
        settings.max_entered_codes = usize::try_from(r.u64()?).unwrap_or(usize::MAX);
        settings.max_other_matches = usize::try_from(r.u64()?).unwrap_or(usize::MAX);
    }

    let n = r.len(16)?;
    let mut restore = Restore::new(settings, check, n);
    for _ in 0..n {
        let code = r.code()?;
        let removed = r.tag(&[false, true])?;
        let events = (0..r.len(9)?)
            .map(|_| {
                Ok(LifecycleEvent {
                    at: r.instant()?,
                    action: r.tag(&[Lifecycle::Expire, Lifecycle::Reactivate])?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let term_changes = (0..r.len(17)?)
            .map(|_| {
                let at = r.instant()?;
                let update = match r.u8()? {
                    0 => TermUpdate::Owner(PartnerId(r.u64()?)),
                    1 => {
                        let tag = r.u64()?;
                        let credit = [
                            CreditPolicy::Always,
                            CreditPolicy::IfInvolved,
                            CreditPolicy::IfWinner,
                        ];
                        let credit = usize::try_from(tag).ok().and_then(|t| credit.get(t));
                        TermUpdate::Credit(*credit.ok_or_else(|| r.bad("an unknown policy"))?)
                    }
                    _ => return Err(r.bad("an unknown change of terms")),
                };
                Ok(TermChange { at, update })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        restore.code(ImageCode {
            code,
            events,
            term_changes,
            removed,
        })?;
    }
    for _ in 0..r.len(10)? {
        restore.contract(PartnerId(r.u64()?), r.contract()?)?;
    }
    for _ in 0..r.len(14)? {
        restore.exception_list(r.list()?)?;
    }
    let revision = r.u64()?;
    let n = r.len(10)?;
    restore.reserve_history(n);
    for _ in 0..n {
        let revision = r.u64()?;
        let note = r.opt(Reader::str)?.map(Arc::from);
        let change = read_change(r)?;
        restore.history(ImageEntry {
            revision,
            change,
            note,
        })?;
    }
    let lineage = if format >= 3 {
        let stretches = (0..r.len(16)?)
            .map(|_| {
                Ok(Stretch {
                    from: r.u64()?,
                    seed: r.u64()?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Some(stretches)
    } else {
        None
    };
    restore.finish(revision, lineage)
}

fn read_change(r: &mut Reader<'_>) -> Result<ImageChange, Error> {
    let tag = r.u8()?;
    let change = match tag {
        0 => {
            let position = r.u64()?;
            let position =
                usize::try_from(position).map_err(|_| r.bad("a position out of range"))?;
            return Ok(ImageChange::AddOf(position));
        }
        1 => Change::Add { code: r.code()? },
        2 => Change::Expire {
            code: CodeId(r.u64()?),
            at: r.instant()?,
        },
        3 => Change::Reactivate {
            code: CodeId(r.u64()?),
            at: r.instant()?,
        },
        4 => Change::Transfer {
            code: CodeId(r.u64()?),
            to: PartnerId(r.u64()?),
            at: r.instant()?,
        },
        5 => Change::SetCredit {
            code: CodeId(r.u64()?),
            credit: r.credit()?,
            at: r.instant()?,
        },
        6 => Change::SetWindow {
            code: CodeId(r.u64()?),
            window: r.window()?,
        },
        7 => Change::SetDeal {
            code: CodeId(r.u64()?),
            deal: r.opt(Reader::u64)?,
        },
        8 => Change::SetLabel {
            code: CodeId(r.u64()?),
            label: r.opt(Reader::str)?,
        },
        9 => Change::Remove {
            code: CodeId(r.u64()?),
            now: r.instant()?,
        },
        10 => Change::SetContract {
            partner: PartnerId(r.u64()?),
            contract: r.contract()?,
        },
        11 => Change::RemoveContract {
            partner: PartnerId(r.u64()?),
        },
        12 => Change::AddExceptionList { list: r.list()? },
        _ => return Err(r.bad("an unknown change")),
    };
    Ok(ImageChange::Change(change))
}
