//! The one rendering of an error for the user: the error and its sources joined by `: `,
//! each source shown once. Error types that print their source inside their own message
//! (`"{path}: {source}"`, `#[error("lowering: {0}")]` with `#[from]`) would otherwise
//! print it twice through anyhow's `{:#}` (`graph: X: graph: X`).

/// `e` and its causes as one line, leaving out a cause whose text the line already holds.
pub fn render(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[derive(Debug, thiserror::Error)]
    #[error("{path}: {source}")]
    struct FileError {
        path: String,
        source: io::Error,
    }

    #[test]
    fn a_source_printed_by_its_parent_is_not_repeated() {
        let inner = io::Error::new(io::ErrorKind::NotFound, "No such file or directory");
        let e = anyhow::Error::new(FileError {
            path: "a.txt".into(),
            source: inner,
        })
        .context("cannot read the config");
        assert_eq!(
            render(&e),
            "cannot read the config: a.txt: No such file or directory"
        );
    }

    #[test]
    fn distinct_causes_are_all_kept() {
        let e = anyhow::anyhow!("root cause")
            .context("middle")
            .context("top");
        assert_eq!(render(&e), "top: middle: root cause");
    }
}
