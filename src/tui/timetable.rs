//! The day's timetable as a function of the clock: which block is on, how
//! long it has left, when the break comes. Pure (the clock is a parameter),
//! so the Today screen is tested at any hour. Reads `course.toml`'s blocks
//! and breaks; `--start 09:00` shifts the whole day.

use chrono::{NaiveTime, Timelike};

use crate::lab::catalog::Course;

/// Where the day stands at a given minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Before the first block: minutes until it starts.
    Before { starts_in: u32 },
    /// Block `number` is on (a break inside it is reported as the break).
    Block { number: u32, left: u32 },
    /// The break: minutes left.
    Break { left: u32 },
    /// The day is over.
    After,
}

/// One row of the timetable, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub starts: NaiveTime,
    pub ends: NaiveTime,
    /// `Some(n)` for block n, `None` for the break.
    pub block: Option<u32>,
}

/// The course's day from `start`.
#[derive(Debug, Clone)]
pub struct Timetable {
    start: NaiveTime,
    blocks: Vec<(u32, u32, u32)>,
    breaks: Vec<(u32, u32)>,
}

impl Timetable {
    pub fn new(course: &Course, start: NaiveTime) -> Self {
        Self {
            start,
            blocks: course
                .blocks
                .iter()
                .map(|b| (b.number, b.starts_after, b.minutes))
                .collect(),
            breaks: course
                .breaks
                .iter()
                .map(|b| (b.starts_after, b.minutes))
                .collect(),
        }
    }

    /// `HH:MM` of course.toml, else 12:00 (the course's own start).
    pub fn parse_start(text: &str) -> Option<NaiveTime> {
        NaiveTime::parse_from_str(text, "%H:%M").ok()
    }

    fn at(&self, minutes: u32) -> NaiveTime {
        self.start + chrono::Duration::minutes(i64::from(minutes))
    }

    /// Blocks and breaks in time order; the break splits the block it falls in.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows: Vec<Row> = Vec::new();
        for &(number, from, minutes) in &self.blocks {
            let to = from + minutes;
            let mut cursor = from;
            for &(b_from, b_minutes) in self.breaks.iter().filter(|(s, _)| *s >= from && *s < to) {
                if b_from > cursor {
                    rows.push(self.row(cursor, b_from, Some(number)));
                }
                rows.push(self.row(b_from, b_from + b_minutes, None));
                cursor = b_from + b_minutes;
            }
            if cursor < to {
                rows.push(self.row(cursor, to, Some(number)));
            }
        }
        rows
    }

    fn row(&self, from: u32, to: u32, block: Option<u32>) -> Row {
        Row {
            starts: self.at(from),
            ends: self.at(to),
            block,
        }
    }

    /// The day's end, `HH:MM`.
    pub fn end(&self) -> NaiveTime {
        let last = self
            .blocks
            .iter()
            .map(|&(_, from, m)| from + m)
            .max()
            .unwrap_or(0);
        self.at(last)
    }

    /// Minutes since the start, on a 24-hour circle (a day that starts at
    /// 23:00 is still on at 00:30).
    fn elapsed(&self, now: NaiveTime) -> u32 {
        let minute = |t: NaiveTime| (t.hour() * 60 + t.minute()) as i64;
        (minute(now) - minute(self.start)).rem_euclid(24 * 60) as u32
    }

    fn length(&self) -> u32 {
        self.blocks
            .iter()
            .map(|&(_, from, m)| from + m)
            .max()
            .unwrap_or(0)
    }

    /// Where the day stands at `now` (minutes resolution). Within 12 hours
    /// before the start it is "before"; otherwise, past the end, "after".
    pub fn slot(&self, now: NaiveTime) -> Slot {
        let elapsed = self.elapsed(now);
        if elapsed >= self.length() {
            let starts_in = 24 * 60 - elapsed;
            return match starts_in <= 12 * 60 {
                true => Slot::Before { starts_in },
                false => Slot::After,
            };
        }
        if let Some(&(from, minutes)) = self
            .breaks
            .iter()
            .find(|&&(from, minutes)| elapsed >= from && elapsed < from + minutes)
        {
            return Slot::Break {
                left: from + minutes - elapsed,
            };
        }
        match self
            .blocks
            .iter()
            .find(|&&(_, from, minutes)| elapsed >= from && elapsed < from + minutes)
        {
            Some(&(number, from, minutes)) => Slot::Block {
                number,
                left: from + minutes - elapsed,
            },
            None => Slot::After,
        }
    }

    /// Minutes until the next break starts, if one is still ahead.
    pub fn break_in(&self, now: NaiveTime) -> Option<u32> {
        let elapsed = self.elapsed(now);
        if elapsed >= self.length() {
            return None;
        }
        self.breaks
            .iter()
            .filter(|&&(from, _)| from > elapsed)
            .map(|&(from, _)| from - elapsed)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> Timetable {
        let catalog = crate::lab::Catalog::embedded().expect("embedded pack");
        Timetable::new(&catalog.course, NaiveTime::from_hms_opt(12, 0, 0).unwrap())
    }

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn the_course_day_follows_its_readme() {
        let t = day();
        assert_eq!(t.slot(at(11, 50)), Slot::Before { starts_in: 10 });
        assert_eq!(
            t.slot(at(12, 0)),
            Slot::Block {
                number: 1,
                left: 90
            }
        );
        assert_eq!(
            t.slot(at(13, 45)),
            Slot::Block {
                number: 2,
                left: 105
            }
        );
        assert_eq!(t.slot(at(14, 10)), Slot::Break { left: 20 });
        assert_eq!(
            t.slot(at(15, 40)),
            Slot::Block {
                number: 3,
                left: 80
            }
        );
        assert_eq!(t.slot(at(17, 59)), Slot::Block { number: 4, left: 1 });
        assert_eq!(t.slot(at(18, 0)), Slot::After);
        assert_eq!(t.end(), at(18, 0));
        assert_eq!(t.break_in(at(13, 45)), Some(15));
        assert_eq!(t.break_in(at(15, 0)), None);
    }

    #[test]
    fn a_day_can_cross_midnight() {
        let catalog = crate::lab::Catalog::embedded().expect("embedded pack");
        let t = Timetable::new(&catalog.course, at(23, 30));
        assert_eq!(
            t.slot(at(0, 10)),
            Slot::Block {
                number: 1,
                left: 50
            }
        );
        assert_eq!(t.slot(at(23, 0)), Slot::Before { starts_in: 30 });
        assert_eq!(t.slot(at(6, 0)), Slot::After);
    }

    #[test]
    fn the_break_splits_block_2() {
        let rows = day().rows();
        let times: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{}-{} {:?}",
                    r.starts.format("%H:%M"),
                    r.ends.format("%H:%M"),
                    r.block
                )
            })
            .collect();
        assert_eq!(
            times,
            [
                "12:00-13:30 Some(1)",
                "13:30-14:00 Some(2)",
                "14:00-14:30 None",
                "14:30-15:30 Some(2)",
                "15:30-17:00 Some(3)",
                "17:00-18:00 Some(4)"
            ]
        );
    }
}
