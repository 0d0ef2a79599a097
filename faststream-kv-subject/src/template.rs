//! Publisher subjects that route by the handled message: a subject to publish to whose
//! tokens may be `{name}`, a capture of the subscriber's pattern, replaced by the value
//! it matched in the handled message's subject. Braces never reach the wire: a brace
//! that makes no capture is refused.

use crate::pattern::{capture, split_tokens};
use crate::token::{SEPARATOR, is_whitespace, single_token_problem};

/// A parsed publisher subject: literal tokens and captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTemplate {
    tokens: Vec<TemplateToken>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplateToken {
    Literal(String),
    Capture(String),
}

impl SubjectTemplate {
    /// Parses `subject`, or says in one sentence what is wrong with it.
    ///
    /// ```
    /// use faststream_kv_subject::SubjectTemplate;
    ///
    /// let template = SubjectTemplate::parse("invoices.{region}.created")?;
    /// assert_eq!(template.captures().collect::<Vec<_>>(), ["region"]);
    /// let filled = template.fill(|name| (name == "region").then_some("eu"));
    /// assert_eq!(filled, Ok("invoices.eu.created".to_owned()));
    /// assert!(SubjectTemplate::parse("invoices.{region").is_err());
    /// assert!(SubjectTemplate::parse("invoices.*").is_err());
    /// # Ok::<(), String>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A sentence naming the token: empty tokens, whitespace, wildcards, braces that
    /// are no whole-token `{name}` capture, and `{name...}` (a publisher puts a tail
    /// capture's whole value in place of `{name}`).
    pub fn parse(subject: &str) -> Result<Self, String> {
        if subject.is_empty() {
            return Err("the subject is empty".into());
        }
        let raw = split_tokens(subject);
        let mut tokens = Vec::with_capacity(raw.len());
        for (index, token) in raw.iter().enumerate() {
            if token.bytes().any(is_whitespace) {
                return Err(format!("token {token:?} contains whitespace"));
            }
            match capture(token)? {
                Some((name, true)) => {
                    return Err(format!(
                        "token {token:?}: write `{{{name}}}`, a publisher puts a capture's whole value in its place"
                    ));
                }
                Some((name, false)) => tokens.push(TemplateToken::Capture(name.to_owned())),
                None => {
                    if let Some(problem) =
                        single_token_problem(token, index + 1 == raw.len(), false)
                    {
                        return Err(problem.into());
                    }
                    tokens.push(TemplateToken::Literal((*token).to_owned()));
                }
            }
        }
        Ok(Self { tokens })
    }

    /// The names of its captures, in order.
    pub fn captures(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().filter_map(|token| match token {
            TemplateToken::Capture(name) => Some(name.as_str()),
            TemplateToken::Literal(_) => None,
        })
    }

    /// Whether it has no capture: the subject as written.
    pub fn is_literal(&self) -> bool {
        self.captures().next().is_none()
    }

    /// The subject with each capture replaced by `value(name)`.
    ///
    /// # Errors
    ///
    /// The name of the first capture `value` has none for.
    pub fn fill<'a, 'v>(
        &'a self,
        value: impl Fn(&str) -> Option<&'v str>,
    ) -> Result<String, &'a str> {
        let mut subject = String::new();
        for (index, token) in self.tokens.iter().enumerate() {
            if index > 0 {
                subject.push(SEPARATOR);
            }
            match token {
                TemplateToken::Literal(literal) => subject.push_str(literal),
                TemplateToken::Capture(name) => subject.push_str(value(name).ok_or(name.as_str())?),
            }
        }
        Ok(subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_captures_anywhere_and_keeps_literals() {
        let template = SubjectTemplate::parse("{kind}.invoices.{region}").expect("valid");
        let values = |name: &str| match name {
            "kind" => Some("b2b"),
            "region" => Some("eu.west"),
            _ => None,
        };
        assert_eq!(template.fill(values), Ok("b2b.invoices.eu.west".to_owned()));
        assert_eq!(template.fill(|_| None), Err("kind"));
        let literal = SubjectTemplate::parse("invoices.all").expect("valid");
        assert!(literal.is_literal());
        assert_eq!(literal.fill(|_| None), Ok("invoices.all".to_owned()));
    }

    #[test]
    fn refuses_what_would_put_braces_or_wildcards_on_the_wire() {
        for bad in [
            "",
            "a..b",
            "a.{x",
            "a.x}",
            "a.b{x}",
            "a.{}",
            "a.{rest...}",
            "a.*",
            "a.>",
            "a b",
        ] {
            assert!(
                SubjectTemplate::parse(bad).is_err(),
                "{bad:?} must be refused"
            );
        }
    }
}
