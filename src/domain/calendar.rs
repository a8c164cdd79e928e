//! Working days, as the redeem guide counts its promise of "7–14 working days":
//! Monday to Friday in Jakarta, minus the public holidays the operator lists
//! (Indonesia's change every year, with collective leave days, so they are
//! data, not code).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Weekday};

use super::time::{Timestamp, jakarta, jakarta_date};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    holidays: BTreeSet<NaiveDate>,
}

impl WorkCalendar {
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// Working days that have passed since `from`: each working day after
    /// `from`'s date (in Jakarta) up to and including `to`'s. A claim queued
    /// on Friday is 1 working day old on Monday, 0 during the weekend.
    pub fn working_days_between(&self, from: Timestamp, to: Timestamp) -> u32 {
        let (start, end) = (jakarta_date(from), jakarta_date(to));
        if end <= start {
            return 0;
        }
        // Whole weeks at once, so a years-old claim costs no more than a new one.
        let days = (end - start).num_days();
        let weeks = days / 7;
        let mut count = weeks * 5;
        let mut day = start + chrono::Duration::days(weeks * 7);
        while day < end {
            day = day.succ_opt().expect("dates this side of year 262143");
            if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                count += 1;
            }
        }
        let holidays = self
            .holidays
            .range(start.succ_opt().unwrap_or(start)..=end)
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .count() as i64;
        (count - holidays).max(0) as u32
    }
}

/// When agents answer chats: working days (the [`WorkCalendar`]) between two
/// times of day in Jakarta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportHours {
    pub calendar: WorkCalendar,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

impl Default for SupportHours {
    fn default() -> Self {
        Self {
            calendar: WorkCalendar::default(),
            opens: NaiveTime::from_hms_opt(8, 0, 0).expect("a time"),
            closes: NaiveTime::from_hms_opt(17, 0, 0).expect("a time"),
        }
    }
}

impl SupportHours {
    /// `None` while agents are at work; else when they are next (in Jakarta time).
    pub fn next_opening(&self, now: Timestamp) -> Option<DateTime<FixedOffset>> {
        let local = now.with_timezone(&jakarta());
        let (day, time) = (local.date_naive(), local.time());
        if self.calendar.is_working_day(day) && self.opens <= time && time < self.closes {
            return None;
        }
        let mut candidate = if self.calendar.is_working_day(day) && time < self.opens {
            day
        } else {
            day.succ_opt()?
        };
        // Holidays and weekends never run for a year; stop looking after one.
        for _ in 0..366 {
            if self.calendar.is_working_day(candidate) {
                return candidate.and_time(self.opens).and_local_timezone(jakarta()).single();
            }
            candidate = candidate.succ_opt()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn weekends_do_not_count() {
        let cal = WorkCalendar::default();
        // Friday 2026-11-27, 10:00 in Jakarta.
        let friday = at("2026-11-27T03:00:00Z");
        assert_eq!(cal.working_days_between(friday, at("2026-11-28T03:00:00Z")), 0);
        assert_eq!(
            cal.working_days_between(friday, at("2026-11-29T16:00:00Z")),
            0,
            "Sunday evening"
        );
        // 17:30 UTC on Sunday is already Monday in Jakarta.
        assert_eq!(cal.working_days_between(friday, at("2026-11-29T17:30:00Z")), 1);
        assert_eq!(cal.working_days_between(friday, at("2026-12-11T03:00:00Z")), 10);
        assert_eq!(cal.working_days_between(friday, friday), 0);
        assert_eq!(cal.working_days_between(at("2026-12-11T03:00:00Z"), friday), 0);
    }

    #[test]
    fn listed_holidays_do_not_count() {
        let cal = WorkCalendar::new([date("2026-12-25"), date("2026-12-26"), date("2026-12-24")]);
        // Monday 21 Dec → Monday 28 Dec: 22, 23, 28 (24 and 25 are holidays, 26 a Saturday anyway).
        assert_eq!(
            cal.working_days_between(at("2026-12-21T03:00:00Z"), at("2026-12-28T03:00:00Z")),
            3
        );
        assert!(!cal.is_working_day(date("2026-12-25")));
        assert!(cal.is_working_day(date("2026-12-28")));
    }

    #[test]
    fn long_spans_match_counting_day_by_day() {
        let cal = WorkCalendar::new([date("2026-08-17"), date("2027-01-01")]);
        let from = at("2026-03-04T10:00:00Z");
        for days in [0i64, 1, 6, 7, 8, 13, 14, 30, 200, 400] {
            let to = from + chrono::Duration::days(days);
            let mut slow = 0;
            let mut d = jakarta_date(from);
            while d < jakarta_date(to) {
                d = d.succ_opt().unwrap();
                slow += u32::from(cal.is_working_day(d));
            }
            assert_eq!(cal.working_days_between(from, to), slow, "{days} days");
        }
    }

    fn hours() -> SupportHours {
        SupportHours {
            calendar: WorkCalendar::new([NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()]),
            ..SupportHours::default()
        }
    }

    fn wib(s: &str) -> String {
        s.to_owned()
    }

    #[test]
    fn support_hours_say_when_agents_are_next_at_work() {
        let h = hours();
        // Monday 2026-11-30 10:00 WIB = 03:00 UTC: open.
        assert_eq!(h.next_opening(at("2026-11-30T03:00:00Z")), None);
        // Monday 06:00 WIB: opens at 08:00 the same day.
        assert_eq!(
            h.next_opening(at("2026-11-29T23:00:00Z")).map(|t| t.to_rfc3339()),
            Some(wib("2026-11-30T08:00:00+07:00"))
        );
        // Friday 18:00 WIB: Monday 08:00.
        assert_eq!(
            h.next_opening(at("2026-12-04T11:00:00Z")).map(|t| t.to_rfc3339()),
            Some(wib("2026-12-07T08:00:00+07:00"))
        );
        // Thursday 24 December 17:00 WIB, Christmas on Friday: Monday the 28th.
        assert_eq!(
            h.next_opening(at("2026-12-24T10:00:00Z")).map(|t| t.to_rfc3339()),
            Some(wib("2026-12-28T08:00:00+07:00"))
        );
    }
}
