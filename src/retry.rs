//! Retry delays shared by everything that retries (Telegram sends, outbox
//! jobs): exponential from a base, capped, with ±25 % jitter so many workers or
//! replicas don't retry in lockstep.

use std::time::Duration;

/// The wait before retry number `attempt` (1 for the first retry).
pub fn backoff(base: Duration, attempt: u32, max: Duration) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(20)));
    let jitter = rand::random::<f64>() * 0.5 + 0.75;
    exp.min(max).mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_then_caps_within_jitter() {
        let s = Duration::from_secs;
        for _ in 0..100 {
            let first = backoff(s(10), 1, s(60));
            assert!(first >= Duration::from_millis(7500) && first <= Duration::from_millis(12500));
            let third = backoff(s(10), 3, s(60));
            assert!(third >= s(30) && third <= s(50));
            assert!(backoff(s(10), 30, s(60)) <= s(75));
        }
    }
}
