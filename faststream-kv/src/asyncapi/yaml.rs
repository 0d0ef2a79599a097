//! A JSON value written as block-style YAML: mappings and sequences indented, strings
//! plain where YAML reads them back as the same string, double-quoted (with JSON's
//! escapes, which YAML shares) otherwise.

use std::fmt::Write;

use serde_json::Value;

/// `value` as a YAML document.
pub(super) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_mapping(&mut out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_sequence(&mut out, items, 0),
        scalar => {
            write_scalar(&mut out, scalar);
            out.push('\n');
        }
    }
    out
}

/// A mapping's entries, each on its own line at `indent` (the first on the current
/// line if `inline_first`, after a sequence's `- `).
fn write_mapping(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
    indent: usize,
    inline_first: bool,
) {
    for (index, (key, value)) in map.iter().enumerate() {
        if index > 0 || !inline_first {
            pad(out, indent);
        }
        write_string(out, key);
        out.push(':');
        write_nested(out, value, indent);
    }
}

fn write_sequence(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        pad(out, indent);
        match item {
            // `- key: value`, the mapping's other keys under the first.
            Value::Object(map) if !map.is_empty() => {
                out.push_str("- ");
                write_mapping(out, map, indent + 1, true);
            }
            _ => {
                out.push('-');
                write_nested(out, item, indent);
            }
        }
    }
}

/// A value after `key:` or `-`: a non-empty collection on the lines below, indented
/// one step, anything else on the same line.
fn write_nested(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_mapping(out, map, indent + 1, false);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_sequence(out, items, indent + 1);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar);
            out.push('\n');
        }
    }
}

fn write_scalar(out: &mut String, value: &Value) {
    match value {
        Value::String(text) => write_string(out, text),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        // Null, booleans and numbers read the same in YAML as in JSON.
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn write_string(out: &mut String, text: &str) {
    if is_plain(text) {
        out.push_str(text);
    } else {
        out.push_str(&Value::String(text.to_owned()).to_string());
    }
}

/// Whether `text` can be written unquoted: only characters that never start or end
/// YAML syntax, and not a word or number YAML reads as another type.
fn is_plain(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    // Inside a plain scalar, a space, `,` and `'` are text in block context.
    let safe = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '$' | '-' | ' ' | ',' | '\'')
    };
    (first.is_ascii_alphabetic() || matches!(first, '_' | '$' | '/'))
        && !text.ends_with(' ')
        && text.chars().all(safe)
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
        )
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::to_yaml;

    #[test]
    fn nests_and_quotes() {
        let value = json!({
            "asyncapi": "3.0.0",
            "channels": { "on_order": { "address": "orders.{region}", "messages": {} } },
            "list": ["a", 1, true, null, [], "yes", { "k": 1, "l": [2] }],
            "text": "two\nlines",
            "sentence": "The reply, sent to the request's subject.",
        });
        let expected = "asyncapi: \"3.0.0\"\nchannels:\n  on_order:\n    address: \"orders.{region}\"\n    messages: {}\nlist:\n  - a\n  - 1\n  - true\n  - null\n  - []\n  - \"yes\"\n  - k: 1\n    l:\n      - 2\nsentence: The reply, sent to the request's subject.\ntext: \"two\\nlines\"\n";
        assert_eq!(to_yaml(&value), expected);
    }
}
