//! Startup validation: does every subscriber get what its extractors need?

use super::{AnySubscriber, OrderingKey};
use crate::context::Context;
use crate::error::{Error, StartupProblem, StartupProblemKind};
use crate::extract::{PathShape, Requirement};
use crate::runtime::Source;
use crate::subject::Pattern;
use faststream_kv_subject::contains;

/// Every problem that would make `subscriber` fail messages, naming the handler, the
/// argument and what is missing. Empty when all is well.
pub(crate) fn problems(subscriber: &AnySubscriber, context: &Context) -> Vec<StartupProblem> {
    let problem = |pattern: &str, argument, kind| StartupProblem {
        handler: subscriber.handler_name().to_owned(),
        pattern: pattern.to_owned(),
        argument,
        kind,
    };
    let pattern = match subscriber.pattern() {
        Ok(pattern) => pattern,
        Err(Error::InvalidPattern { pattern, reason }) => {
            let reason = reason.clone();
            return vec![problem(
                pattern,
                None,
                StartupProblemKind::InvalidPattern { reason },
            )];
        }
        Err(other) => {
            let reason = other.to_string();
            return vec![problem(
                "",
                None,
                StartupProblemKind::InvalidPattern { reason },
            )];
        }
    };
    let kv_watch = matches!(subscriber.source(), Source::KvWatch { .. });
    let stream = matches!(subscriber.source(), Source::Stream { .. });
    let batches = matches!(
        subscriber.source(),
        Source::Stream {
            batches: Some(_),
            ..
        }
    );
    let mut problems = Vec::new();
    for (argument, requirement) in subscriber.requirements().iter() {
        let kind = match requirement {
            Requirement::Context { type_id, type_name } if !context.contains_type(*type_id) => {
                Some(StartupProblemKind::MissingContext { type_name })
            }
            Requirement::Context { .. } => None,
            Requirement::Path(shape) => path_problem(*shape, pattern),
            Requirement::KvWatch if !kv_watch => Some(StartupProblemKind::EntryOutsideKvWatch),
            Requirement::KvWatch => None,
            Requirement::Stream if !stream => Some(StartupProblemKind::AckerOutsideStream),
            Requirement::Stream => None,
            Requirement::Batch if !batches => Some(StartupProblemKind::BatchOutsideBatches),
            Requirement::Batch => None,
        };
        if let Some(kind) = kind {
            let argument = Some(subscriber.argument_label(argument));
            problems.push(problem(pattern.as_str(), argument, kind));
        }
    }
    if let Some(OrderingKey::Capture(capture)) = subscriber.ordering()
        && !pattern.has_capture(capture)
    {
        let capture = capture.clone();
        problems.push(problem(
            pattern.as_str(),
            None,
            StartupProblemKind::OrderingKeyWithoutCapture { capture },
        ));
    }
    if let Source::Stream { consumer, .. } = subscriber.source() {
        let outside = consumer
            .filter_subjects
            .iter()
            .filter(|filter| !contains(pattern.subject(), filter));
        problems.extend(outside.map(|filter| {
            let kind = StartupProblemKind::FilterOutsidePattern {
                filter: filter.clone(),
            };
            problem(pattern.as_str(), None, kind)
        }));
    }
    for publisher in subscriber.publishers() {
        let subject = publisher.destination();
        if let Some(reason) = publisher.problem() {
            problems.push(problem(
                pattern.as_str(),
                None,
                StartupProblemKind::InvalidPublisher {
                    subject: subject.to_owned(),
                    reason,
                },
            ));
            continue;
        }
        let missing = publisher
            .captures()
            .filter(|capture| !pattern.has_capture(capture));
        problems.extend(missing.map(|capture| {
            let kind = StartupProblemKind::PublisherWithoutCapture {
                subject: subject.to_owned(),
                capture: capture.to_owned(),
            };
            problem(pattern.as_str(), None, kind)
        }));
        // A Key-Value watch does not listen on subjects. With captures, only a
        // publisher whose every subject comes back is refused.
        if !kv_watch && contains(pattern.subject(), &publisher.wildcard_subject()) {
            let kind = StartupProblemKind::PublishesToItself {
                subject: subject.to_owned(),
            };
            problems.push(problem(pattern.as_str(), None, kind));
        }
    }
    problems
}

fn path_problem(shape: PathShape, pattern: &Pattern) -> Option<StartupProblemKind> {
    let captures = pattern.capture_count();
    match shape {
        PathShape::Single if captures != 1 => {
            Some(StartupProblemKind::PathNeedsOneCapture { captures })
        }
        PathShape::Tuple(len) if len != captures => {
            Some(StartupProblemKind::PathTupleLength { len, captures })
        }
        PathShape::Fields(fields) => {
            let missing: Vec<&'static str> = fields
                .iter()
                .copied()
                .filter(|field| !pattern.has_capture(field))
                .collect();
            (!missing.is_empty())
                .then_some(StartupProblemKind::PathFieldsWithoutCapture { fields: missing })
        }
        PathShape::Any if captures == 0 => Some(StartupProblemKind::PathWithoutCaptures),
        _ => None,
    }
}
