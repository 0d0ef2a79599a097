//! Startup validation: does every subscriber get what its extractors need?

use super::AnySubscriber;
use crate::context::Context;
use crate::extract::{PathShape, Requirement};
use crate::runtime::Source;
use crate::subject::Pattern;

/// Every problem that would make `subscriber` fail messages, one line each, naming the
/// handler, the argument and what is missing. Empty when all is well.
pub(crate) fn problems(subscriber: &AnySubscriber, context: &Context) -> Vec<String> {
    let handler = subscriber.handler_name();
    let pattern = match subscriber.pattern() {
        Ok(pattern) => pattern,
        Err(error) => return vec![format!("subscriber `{handler}`: {error}")],
    };
    let mut problems = Vec::new();
    let kv_watch = matches!(subscriber.source(), Source::KvWatch { .. });
    for (argument, requirement) in subscriber.requirements().iter() {
        let problem = match requirement {
            Requirement::Context { type_id, type_name } if !context.contains_type(*type_id) => {
                Some(format!(
                    "needs a `{type_name}` in the context, but no startup hook inserted one"
                ))
            }
            Requirement::Context { .. } => None,
            Requirement::Path(shape) => path_problem(*shape, pattern),
            Requirement::KvWatch if !kv_watch => Some(
                "Key-Value entries only reach `kv_watch` subscribers: \
                 #[subscriber(kv_watch = \"bucket\", keys = \"...\")]"
                    .to_owned(),
            ),
            Requirement::KvWatch => None,
        };
        if let Some(problem) = problem {
            problems.push(format!(
                "subscriber `{handler}` ({pattern}), {}: {problem}",
                subscriber.argument_label(argument)
            ));
        }
    }
    problems
}

fn path_problem(shape: PathShape, pattern: &Pattern) -> Option<String> {
    let count = pattern.capture_count();
    match shape {
        PathShape::Single if count != 1 => Some(format!(
            "a single-value `Path` needs exactly one `{{capture}}` in the pattern, which has {count}"
        )),
        PathShape::Tuple(len) if len != count => Some(format!(
            "a {len}-tuple `Path` needs {len} captures in the pattern, which has {count}"
        )),
        PathShape::Fields(fields) => {
            let missing: Vec<&str> = fields
                .iter()
                .copied()
                .filter(|field| !pattern.has_capture(field))
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "`Path` field(s) {} have no `{{capture}}` of that name in the pattern",
                    missing.join(", ")
                )
            })
        }
        PathShape::Any if count == 0 => Some("`Path` needs captures, the pattern has none".into()),
        _ => None,
    }
}
