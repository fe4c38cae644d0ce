//! One pass over the assembled OpenAPI document that makes its error answers say what the
//! code sends: every error is `application/problem+json` (see `error.rs`), and the answers
//! every operation of a kind can give (401/403 when it needs a token, 422 when it takes
//! input, 400/413/415 when it takes a body, 404 when its path names something) are listed
//! without each handler repeating them.

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::Ref;
use utoipa::openapi::{Content, OpenApi, RefOr, Response};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";
const PROBLEM_REF: &str = "#/components/schemas/Problem";

/// Rewrite the error answers of every operation in `openapi`.
pub fn document_errors(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let names_something = path.contains('{');
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            document_operation_errors(op, names_something);
        }
    }
}

fn document_operation_errors(op: &mut Operation, names_something: bool) {
    for (status, response) in op.responses.responses.iter_mut() {
        if status.starts_with('2') || status.starts_with('3') {
            continue;
        }
        if let RefOr::T(response) = response {
            problem_as_problem_json(response);
        }
    }
    if is_secured(op) {
        add_if_missing(op, "401", "No or an invalid bearer token (`unauthorized`)");
        add_if_missing(op, "403", "The caller's role may not do this (`forbidden`)");
    }
    let takes_input =
        op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    if takes_input {
        add_if_missing(op, "422", "The input is not valid (`validation_failed`)");
    }
    if op.request_body.is_some() {
        add_if_missing(op, "400", "The body is not well-formed (`malformed_json`)");
        add_if_missing(
            op,
            "413",
            "The body is over the size limit (`payload_too_large`)",
        );
        add_if_missing(
            op,
            "415",
            "The body is not of the documented media type (`unsupported_media_type`)",
        );
    }
    if names_something {
        add_if_missing(op, "404", "Nothing with that id (`not_found`)");
    }
}

/// Move a `Problem` body documented as `application/json` to `application/problem+json`.
fn problem_as_problem_json(response: &mut Response) {
    let is_problem = |c: &RefOr<Content>| match c {
        RefOr::T(c) => matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == PROBLEM_REF),
        RefOr::Ref(_) => false,
    };
    if response
        .content
        .get("application/json")
        .is_some_and(is_problem)
        && let Some(content) = response.content.shift_remove("application/json")
    {
        response.content.insert(PROBLEM_JSON.to_owned(), content);
    }
}

/// Whether the operation names a security scheme (an empty requirement means optional).
fn is_secured(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|reqs| {
        reqs.iter().any(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_object().map(|o| !o.is_empty()))
                .unwrap_or(false)
        })
    })
}

fn add_if_missing(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            let mut response = Response::new(description);
            response.content.insert(
                PROBLEM_JSON.to_owned(),
                RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
            );
            RefOr::T(response)
        });
}
