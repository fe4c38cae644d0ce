//! Forms: field errors from the domain shown beside their fields, and the parsing of
//! form text into the numbers the domain takes (a field that is not a number is an error
//! beside that field, never a 400 page).

use crate::error::{ConsoleError, PageResult};
use crate::messages;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use platform::ApiError;
use platform::error::FieldError;

/// A submitted form as its (name, value) pairs, in the order sent (a repeated field is
/// several pairs).
pub type Pairs = Vec<(String, String)>;

/// The errors of one submitted form.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct FormErrors {
    /// (field, message), fields named as the JSON API names them (`variants[0].price`,
    /// `notice.원산지`).
    pub fields: Vec<(String, String)>,
    /// The problem as a whole (a heading), shown above the form.
    pub summary: Option<String>,
}

impl FormErrors {
    /// The outcome of a domain call as form errors. What a user can fix by editing the
    /// form (4xx) becomes form errors; a missing row, a role problem or a server error
    /// stays a page error.
    pub fn from_api(e: ApiError) -> Result<FormErrors, ConsoleError> {
        let status = e.code.status();
        if status.is_server_error()
            || status == axum::http::StatusCode::NOT_FOUND
            || e.code == platform::ErrorCode::Forbidden
            || status == axum::http::StatusCode::UNAUTHORIZED
                && e.code != platform::ErrorCode::InvalidCredentials
        {
            return Err(e.into());
        }
        let mut summary = messages::problem_title(e.code).to_owned();
        let detail = messages::problem_detail(&e);
        if !detail.is_empty() && e.errors.is_empty() {
            summary = format!("{summary} — {detail}");
        }
        Ok(FormErrors {
            fields: e
                .errors
                .iter()
                .map(|f| (f.field.clone(), messages::field_message(f)))
                .collect(),
            summary: Some(summary),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.summary.is_none()
    }

    /// The messages for `field`.
    pub fn of(&self, field: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(f, _)| f == field)
    }

    /// Add an error the console itself found (a number field that is not a number).
    pub fn push(&mut self, e: FieldError) {
        self.fields
            .push((e.field.clone(), messages::field_message(&e)));
        if self.summary.is_none() {
            self.summary = Some(messages::problem_title(platform::ErrorCode::Validation).into());
        }
    }
}

/// A refused form: the page again with the domain's errors beside the fields, under the
/// problem's status (422 for input, 409 for a conflict); a missing row or a server error
/// stays an error page (see [`FormErrors::from_api`]).
pub async fn shown_again<T: IntoResponse>(
    e: ApiError,
    page: impl AsyncFnOnce(FormErrors) -> PageResult<T>,
) -> PageResult<Response> {
    let status = e.code.status();
    let errors = FormErrors::from_api(e)?;
    Ok((status, page(errors).await?).into_response())
}

/// Where a form's change leads: to `to` (a page with its notice) when the change was
/// made, else the form's page again with the refusal, as [`shown_again`] shows it.
pub async fn redirect_or_shown_again<T, P: IntoResponse>(
    result: Result<T, impl Into<ApiError>>,
    to: &str,
    page: impl AsyncFnOnce(FormErrors) -> PageResult<P>,
) -> PageResult<Response> {
    match result {
        Ok(_) => Ok(Redirect::to(to).into_response()),
        Err(e) => shown_again(e.into(), page).await,
    }
}

/// A form the console's own checks refused (a number that is not one, a choice not
/// made): its page again, the errors beside the fields, under 422.
pub fn refused(page: impl IntoResponse) -> PageResult<Response> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// A form that makes something: `checked` is what passed the console's own checks, if
/// all did; `make` hands it to the domain, and what it made leads to `to(made)`. Refused
/// by the checks or by the domain, the form's page comes back with the errors under 422
/// (a conflict too: the form is what needs changing).
pub async fn made_or_shown_again<N, T, E: Into<ApiError>, P: IntoResponse>(
    checked: Option<N>,
    mut errors: FormErrors,
    make: impl AsyncFnOnce(N) -> Result<T, E>,
    to: impl FnOnce(T) -> String,
    page: impl AsyncFnOnce(FormErrors) -> PageResult<P>,
) -> PageResult<Response> {
    if let Some(new) = checked {
        match make(new).await {
            Ok(made) => return Ok(Redirect::to(&to(made)).into_response()),
            Err(e) => errors = FormErrors::from_api(e.into())?,
        }
    }
    refused(page(errors).await?)
}

/// A whole number typed into a form field (spaces and thousands separators allowed:
/// "12,000" is twelve thousand won).
pub fn number<T: std::str::FromStr>(errors: &mut FormErrors, field: &str, raw: &str) -> Option<T> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    match cleaned.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "invalid_number",
                "must be a whole number",
            ));
            None
        }
    }
}

/// An optional whole number: empty means none.
pub fn optional_number<T: std::str::FromStr>(
    errors: &mut FormErrors,
    field: &str,
    raw: &str,
) -> Option<Option<T>> {
    if raw.trim().is_empty() {
        Some(None)
    } else {
        number(errors, field, raw).map(Some)
    }
}

/// What a refused form sent, to fill its fields again (`typed.get("name")` in a
/// template).
#[derive(Default)]
pub struct Sent(pub Vec<(String, String)>);

impl Sent {
    /// The value sent for `name` ("" if none).
    pub fn get(&self, name: &str) -> &str {
        value(&self.0, name)
    }
}

/// The value of `name` among a form's pairs.
pub fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of `name` (a repeated field such as checked order ids).
pub fn values<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
