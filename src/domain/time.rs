//! Time as the program sees it: instants in UTC, calendar dates in Asia/Jakarta.
//!
//! Indonesia's western zone has no daylight saving, so a fixed +07:00 offset is exact.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub type Timestamp = DateTime<Utc>;

pub fn jakarta() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("+07:00 is a valid offset")
}

/// The calendar date in Jakarta at the given instant.
pub fn jakarta_date(at: Timestamp) -> NaiveDate {
    at.with_timezone(&jakarta()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_utc_evening_is_next_day_in_jakarta() {
        let at: Timestamp = "2026-06-30T18:30:00Z".parse().unwrap();
        assert_eq!(jakarta_date(at), NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
    }
}
