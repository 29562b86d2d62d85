//! Atlas migration directories: recognised by their `atlas.sum`, whose integrity is
//! checked as Atlas checks it before applying (`atlas migrate apply` refuses a directory
//! whose files do not match their sum, so should we).
//!
//! The sum file, as Atlas writes it (`migrate.NewHashFile` / `HashFile.MarshalText` in
//! ariga/atlas, sql/migrate/dir.go): the directory's `.sql` files in name order, one
//! running SHA-256 fed each file's name then its bytes; after each file the running
//! digest, base64, is that file's line `<name> h1:<digest>`. A file with the directive
//! `-- atlas:sum ignore` feeds its name only and gets no line. The first line,
//! `h1:<sum>`, is the base64 SHA-256 of every line's name and digest concatenated.

use crate::sql::format::atlas_directive;
use sha2::{Digest, Sha256};

pub const SUM_FILE: &str = "atlas.sum";

/// `(file name, digest)` per file, as Atlas computes them. `files`: name and bytes, in any
/// order (sorted here by name, as Atlas's directory listing is).
pub fn hash_file(files: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut running = Sha256::new();
    let mut out = Vec::new();
    for (name, bytes) in sorted {
        running.update(name.as_bytes());
        if atlas_directive(&String::from_utf8_lossy(bytes), "sum") == Some("ignore") {
            continue;
        }
        running.update(bytes);
        out.push((name.clone(), base64(&running.clone().finalize())));
    }
    out
}

/// The `h1:` header over the per-file lines.
pub fn total(lines: &[(String, String)]) -> String {
    let mut sha = Sha256::new();
    for (n, h) in lines {
        sha.update(n.as_bytes());
        sha.update(h.as_bytes());
    }
    base64(&sha.finalize())
}

/// Compare a directory's files with its `atlas.sum`; the problem, in words, when they
/// differ (naming the first file that does).
pub fn verify(dir: &str, sum_file: &str, files: &[(String, Vec<u8>)]) -> Option<String> {
    let computed = hash_file(files);
    let mut lines = sum_file.lines();
    let header = lines.next().unwrap_or("").trim().trim_start_matches("h1:");
    let recorded: Vec<(String, String)> = lines
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let (n, h) = l.split_once("h1:")?;
            Some((n.trim().to_string(), h.trim().to_string()))
        })
        .collect();
    let place = if dir.is_empty() {
        SUM_FILE.to_string()
    } else {
        format!("{dir}/{SUM_FILE}")
    };
    let fix = "Atlas refuses to apply such a directory: if the change is intended, run `atlas migrate hash` and commit the new atlas.sum; if not, restore the file";
    if header != total(&recorded) {
        return Some(format!(
            "{place} is corrupt: its first line is not the sum of its other lines (edited by hand?). {fix}"
        ));
    }
    if computed == recorded {
        return None;
    }
    let first = computed
        .iter()
        .zip(recorded.iter())
        .position(|(a, b)| a != b)
        .unwrap_or(computed.len().min(recorded.len()));
    let what = match (computed.get(first), recorded.get(first)) {
        (Some((n, _)), Some((m, _))) if n == m => {
            format!("`{n}` changed since the sum was written")
        }
        (Some((n, _)), _) if !recorded.iter().any(|(m, _)| m == n) => {
            format!("`{n}` is not in it (added without `atlas migrate hash`)")
        }
        (_, Some((m, _))) if !computed.iter().any(|(n, _)| n == m) => {
            format!("`{m}` is in it but not in the directory")
        }
        (Some((n, _)), _) => format!("the files from `{n}` on do not match"),
        (None, _) => "files are missing".to_string(),
    };
    Some(format!(
        "{place} does not match the migration files: {what}. {fix}"
    ))
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(T[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<(String, Vec<u8>)> {
        vec![
            (
                "20240102000000_b.sql".into(),
                b"ALTER TABLE t ADD COLUMN b int;\n".to_vec(),
            ),
            (
                "20240101000000_a.sql".into(),
                b"CREATE TABLE t (a int);\n".to_vec(),
            ),
        ]
    }

    fn sum_of(files: &[(String, Vec<u8>)]) -> String {
        let lines = hash_file(files);
        let mut s = format!("h1:{}\n", total(&lines));
        for (n, h) in &lines {
            s.push_str(&format!("{n} h1:{h}\n"));
        }
        s
    }

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn a_matching_directory_passes_and_a_tampered_one_is_named() {
        let f = files();
        let sum = sum_of(&f);
        assert!(sum
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("20240101000000_a.sql h1:"));
        assert_eq!(verify("migrations", &sum, &f), None);
        let mut edited = f.clone();
        edited[0].1 = b"ALTER TABLE t ADD COLUMN b bigint;\n".to_vec();
        let e = verify("migrations", &sum, &edited).unwrap();
        assert!(
            e.contains("migrations/atlas.sum") && e.contains("`20240102000000_b.sql` changed"),
            "{e}"
        );
        let mut added = f.clone();
        added.push(("20240103000000_c.sql".into(), b"select 1;\n".to_vec()));
        let e = verify("migrations", &sum, &added).unwrap();
        assert!(e.contains("`20240103000000_c.sql` is not in it"), "{e}");
        let broken = sum.replacen("h1:", "h1:X", 1);
        assert!(verify("m", &broken, &f).unwrap().contains("corrupt"));
    }
}
