//! The names of a Neon Twin's branches, shared by the sync that makes them and the modes
//! that branch from the twin: `<twin>_sync_<stamp>` (a verified copy of production, the
//! twin's source) and `<twin>_old_<stamp>` (the twin's state kept by a restore that had to
//! preserve it), stamp `YYYYMMDDTHHMMSSZ`.

use super::types::Branch;

/// The stamp of a branch the sync named for `twin`, matched exactly: a user's own
/// `twin_old_notes` is not ours and is never touched.
pub fn our_stamp<'a>(name: &'a str, twin: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(twin)?;
    let stamp = rest
        .strip_prefix("_sync_")
        .or_else(|| rest.strip_prefix("_old_"))?;
    let b = stamp.as_bytes();
    let ok = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || i == 15 || c.is_ascii_digit());
    ok.then_some(stamp)
}

/// The twin's newest verified copy (`<twin>_sync_<stamp>` whose expiry the sync cleared
/// at its swap; a staging branch still in progress has one), if it has any. It holds
/// exactly what the twin was last refreshed with, and branching from it leaves the twin
/// without children, so the next sync need not chain a backup below it.
pub fn current_copy<'a>(branches: &'a [Branch], twin: &str) -> Option<&'a Branch> {
    branches
        .iter()
        .filter(|b| b.expires_at.is_none() && b.name.contains("_sync_"))
        .filter_map(|b| our_stamp(&b.name, twin).map(|s| (s, b)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, b)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_stamps_are_ours() {
        assert_eq!(
            our_stamp("twin_old_20260101T000000Z", "twin"),
            Some("20260101T000000Z")
        );
        assert_eq!(
            our_stamp("twin_sync_20260101T000000Z", "twin"),
            Some("20260101T000000Z")
        );
        for not_ours in [
            "twin_old_notes",
            "twin_old_20260101T000000Z-copy",
            "twin_old_2026010100000000",
            "twin_sync_20260101T00000aZ",
            "twin2_old_20260101T000000Z",
            "other_twin_old_20260101T000000Z",
        ] {
            assert_eq!(our_stamp(not_ours, "twin"), None, "{not_ours}");
        }
    }

    #[test]
    fn the_current_copy_is_the_newest_verified_one() {
        let b = |name: &str, expiring: bool| Branch {
            name: name.into(),
            expires_at: expiring.then(|| "2030-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        let branches = [
            b("twin", false),
            b("twin_sync_20260101T000000Z", false),
            b("twin_sync_20260102T000000Z", false),
            b("twin_old_20260103T000000Z", false),
            b("twin_sync_20260104T000000Z", true),
        ];
        assert_eq!(
            current_copy(&branches, "twin").map(|b| b.name.as_str()),
            Some("twin_sync_20260102T000000Z")
        );
        assert!(current_copy(&branches[..1], "twin").is_none());
    }
}
