//! Lint throughput over the shared corpus: reads every .sql file of every
//! project once, then runs the whole engine (`sql::analyze`: split, parse,
//! plan, lint) N times and prints MB/s and statements/s, plus statements
//! analysed (parsed) vs total per project.
//!
//! cargo run --profile lintbench --example lint_bench -- [corpus-dir] [N]
//!     [--list]   print the benchmarked file paths instead (for squawk)
//!     [--json]   also print one JSON line with the totals
//!     [--all-rules]  every rule on (the opt-in ones at warning), as squawk is
//!                    run beside it; default: the default config
//!     [--parts]  also time what the wasm entry adds after the analysis
//!                (Markdown, annotations, the analysis as JSON), per pass
//!     [--all-rules-config]  print that config in the `lint` input format (for
//!                    the dist bench) and exit

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use neon_gitops::sql::{analyze, LintConfig, SourceFile};

#[path = "../../tests/common/corpus.rs"]
mod corpus;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let list = args.iter().any(|a| a == "--list");
    let json = args.iter().any(|a| a == "--json");
    let all_rules = args.iter().any(|a| a == "--all-rules");
    // The opt-in rules turned on: the `lint` input that makes every rule run.
    let all_input: String = neon_gitops::sql::lint::all()
        .iter()
        .filter(|r| r.default == neon_gitops::sql::Severity::Off)
        .map(|r| format!("{}=warning", r.id))
        .collect::<Vec<_>>()
        .join(",");
    if args.iter().any(|a| a == "--all-rules-config") {
        println!("{all_input}");
        return;
    }
    let pos: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let root = PathBuf::from(pos.first().map_or("../shared/corpus", |s| s.as_str()));
    let n: usize = pos.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);

    let mut projects: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();

    let mut inputs: Vec<(String, Vec<SourceFile>)> = Vec::new();
    for p in &projects {
        let files = corpus::sql_files(p);
        if list {
            files.iter().for_each(|f| println!("{}", f.display()));
            continue;
        }
        let src: Vec<SourceFile> = files.iter().map(|f| corpus::source_file(p, f)).collect();
        inputs.push((p.file_name().unwrap().to_string_lossy().into_owned(), src));
    }
    if list {
        return;
    }

    let cfg = if all_rules {
        LintConfig::from_input(&all_input).expect("every rule id is valid")
    } else {
        LintConfig::default()
    };
    println!(
        "{:<30} {:>6} {:>10} {:>7} {:>7} {:>7} {:>9}",
        "project", "files", "bytes", "stmts", "parsed", "%", "findings"
    );
    let (mut bytes, mut stmts, mut parsed, mut files) = (0usize, 0usize, 0usize, 0usize);
    for (name, src) in &inputs {
        let a = analyze(src, &cfg);
        let t = &a.totals;
        println!(
            "{:<30} {:>6} {:>10} {:>7} {:>7} {:>6.1}% {:>9}",
            name,
            t.files,
            t.bytes,
            t.statements,
            t.parsed,
            100.0 * t.parsed as f64 / t.statements.max(1) as f64,
            t.error_findings + t.warning_findings
        );
        bytes += t.bytes;
        stmts += t.statements;
        parsed += t.parsed;
        files += t.files;
    }
    println!(
        "{:<30} {:>6} {:>10} {:>7} {:>7} {:>6.1}%",
        "TOTAL",
        files,
        bytes,
        stmts,
        parsed,
        100.0 * parsed as f64 / stmts.max(1) as f64
    );

    // Warm-up, then N timed passes over everything.
    for (_, src) in &inputs {
        std::hint::black_box(analyze(src, &cfg));
    }
    let start = Instant::now();
    for _ in 0..n {
        for (_, src) in &inputs {
            std::hint::black_box(analyze(src, &cfg));
        }
    }
    let secs = start.elapsed().as_secs_f64() / n as f64;
    let mbps = bytes as f64 / 1e6 / secs;
    let sps = stmts as f64 / secs;
    println!("\nneon-gitops native: {files} files, {:.2} MB, {n} passes, {:.1} ms/pass: {mbps:.1} MB/s, {sps:.0} statements/s", bytes as f64 / 1e6, secs * 1e3);
    if args.iter().any(|a| a == "--parts") {
        use neon_gitops::sql::report;
        let analyses: Vec<_> = inputs.iter().map(|(_, src)| analyze(src, &cfg)).collect();
        let time = |what: &str, f: &dyn Fn(&neon_gitops::sql::Analysis) -> usize| {
            let start = Instant::now();
            let mut out = 0;
            for _ in 0..n {
                out = analyses.iter().map(|a| std::hint::black_box(f(a))).sum();
            }
            let ms = start.elapsed().as_secs_f64() * 1e3 / n as f64;
            println!("  {what:<12} {ms:>8.1} ms/pass, {:.1} MB", out as f64 / 1e6);
        };
        time("markdown", &|a| {
            report::markdown(a, &Default::default()).len()
        });
        time("annotations", &|a| {
            report::annotations(a).iter().map(String::len).sum()
        });
        time("json", &|a| serde_json::to_string(a).unwrap().len());
    }
    if json {
        println!(
            "{}",
            serde_json::json!({"files": files, "bytes": bytes, "statements": stmts, "parsed": parsed, "seconds_per_pass": secs, "mb_per_s": mbps, "statements_per_s": sps})
        );
    }
}
