//! The one entry the wasm layer exposes: JSON in, JSON out, so the JS shim
//! can get the analysis, the PR-comment section and the annotations for a
//! list of files in one call. (`lib.rs` wraps [`analyze_json`] with
//! `#[wasm_bindgen]`.)
//!
//! Request:  `{"files": [{"path", "text"? | "base64"?, "metadata"?}],
//!             "config"?: "<lint input>", "docs_url"?, "include_statements"?}`
//! Response: `{"analysis", "markdown", "annotations": [..], "has_errors"}`
//!           or `{"config_error": "…"}`.
//! Files are sent as base64 when they may not be UTF-8 (the engine reports
//! that as a file error rather than the shim guessing).

use serde::Deserialize;

use super::report::{self, MarkdownOptions};
use super::{analyze, LintConfig, SourceFile};

#[derive(Deserialize)]
struct FileIn {
    path: String,
    text: Option<String>,
    base64: Option<String>,
    metadata: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    files: Vec<FileIn>,
    #[serde(default)]
    config: String,
    docs_url: Option<String>,
    #[serde(default)]
    include_statements: bool,
}

pub fn analyze_json(request: &str) -> String {
    let req: Request = match serde_json::from_str(request) {
        Ok(r) => r,
        Err(e) => return serde_json::json!({ "request_error": e.to_string() }).to_string(),
    };
    let config = match LintConfig::from_input(&req.config) {
        Ok(c) => c,
        Err(e) => return serde_json::json!({ "config_error": e.to_string() }).to_string(),
    };
    let files: Vec<SourceFile> = req
        .files
        .into_iter()
        .map(|f| SourceFile {
            bytes: match (f.text, f.base64) {
                (Some(t), _) => t.into_bytes(),
                (None, Some(b)) => decode_base64(&b),
                (None, None) => Vec::new(),
            },
            path: f.path,
            metadata: f.metadata,
            format: None,
        })
        .collect();
    let mut a = analyze(&files, &config);
    let mut opts = MarkdownOptions::default();
    if let Some(u) = req.docs_url {
        opts.docs_url = u;
    }
    let markdown = report::markdown(&a, &opts);
    let annotations = report::annotations(&a);
    if !req.include_statements {
        a.files.iter_mut().for_each(|f| f.statements.clear());
    }
    serde_json::json!({
        "analysis": a,
        "markdown": markdown,
        "annotations": annotations,
        "has_errors": a.has_errors(),
    })
    .to_string()
}

/// Standard base64 (padding optional, whitespace ignored); invalid input
/// characters are skipped. No dependency for 20 lines.
fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("aGVsbG8="), b"hello");
        assert_eq!(decode_base64("/w=="), [0xff]);
    }

    #[test]
    fn one_call_gives_everything() {
        let r = analyze_json(
            r#"{"files":[{"path":"m/1.sql","text":"DROP TABLE t;"},{"path":"m/2.sql","base64":"/w=="}],"config":"ban-drop-table=error"}"#,
        );
        let v: serde_json::Value = serde_json::from_str(&r).unwrap();
        assert_eq!(v["has_errors"], true);
        assert!(v["markdown"].as_str().unwrap().contains("ban-drop-table"));
        assert!(v["annotations"][0]
            .as_str()
            .unwrap()
            .starts_with("::error "));
        assert_eq!(v["analysis"]["files"][1]["file_error"]["kind"], "not-utf8");
        let bad = analyze_json(r#"{"files":[],"config":"nope=off"}"#);
        assert!(bad.contains("config_error") && bad.contains("`nope`"));
    }
}
