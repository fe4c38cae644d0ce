//! The console speaks Korean; the domain crates speak stable codes. This is the one table
//! from codes to what a vendor or marketer reads. A code missing here falls back to the
//! domain's own (English) message, so nothing is ever hidden.

use platform::ApiError;
use platform::error::{ErrorCode, FieldError};

/// A page heading for a problem code.
pub fn problem_title(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Validation => "입력한 값을 확인해 주세요",
        ErrorCode::InvalidCredentials => "이메일 또는 비밀번호가 맞지 않습니다",
        ErrorCode::AccountDisabled => "사용이 중지된 계정입니다",
        ErrorCode::RateLimited => "시도가 너무 많습니다. 잠시 후 다시 시도해 주세요",
        ErrorCode::Forbidden => "권한이 없습니다",
        ErrorCode::NotFound | ErrorCode::RouteNotFound => "찾을 수 없습니다",
        ErrorCode::StockMismatch => {
            "그 사이 다른 곳에서 재고가 바뀌었습니다. 지금 재고를 확인하고 다시 입력해 주세요"
        }
        ErrorCode::SkuTaken => "이미 쓰고 있는 SKU입니다",
        ErrorCode::IllegalTransition => "지금 상태에서는 할 수 없는 작업입니다",
        ErrorCode::PublishIncomplete => "판매를 시작하려면 빠진 항목을 채워 주세요",
        ErrorCode::VendorNotApproved => "입점 승인 전에는 판매를 시작할 수 없습니다",
        ErrorCode::Conflict => "지금 상태와 맞지 않는 요청입니다",
        ErrorCode::CategoryCycle => {
            "카테고리를 자기 자신이나 하위 카테고리 아래로 옮길 수 없습니다"
        }
        ErrorCode::OwnAccount => "자기 계정은 중지하거나 권한을 낮출 수 없습니다",
        ErrorCode::ReferenceNotFound => "없는 항목을 가리키고 있습니다",
        ErrorCode::InvalidCursor => "목록 위치가 올바르지 않습니다. 처음부터 다시 봐 주세요",
        ErrorCode::PayloadTooLarge => "보낸 내용이 너무 큽니다",
        ErrorCode::Unavailable | ErrorCode::Timeout => {
            "잠시 서비스를 쓸 수 없습니다. 조금 뒤 다시 시도해 주세요"
        }
        ErrorCode::Internal => "문제가 생겼습니다. 잠시 후 다시 시도해 주세요",
        _ => "요청을 처리하지 못했습니다",
    }
}

/// The explanation under the heading: the domain's detail for 4xx (it names the
/// conflict), nothing internal for 5xx.
pub fn problem_detail(e: &ApiError) -> String {
    if e.code.status().is_server_error() {
        return String::new();
    }
    e.detail.clone().unwrap_or_default()
}

/// What to show beside a field.
pub fn field_message(e: &FieldError) -> String {
    let ko = match e.code.as_ref() {
        "required" => "꼭 입력해야 합니다.",
        "invalid_length" => "길이가 맞지 않습니다.",
        "out_of_range" => "허용 범위를 벗어났습니다.",
        "invalid_sku" => "SKU는 공백 없이 1~64자로 입력해 주세요.",
        "not_above_price" => "정가는 판매가보다 높아야 합니다.",
        "invalid_url" => "http(s) 주소여야 합니다.",
        "too_many" => "너무 많습니다.",
        "not_found" => "없는 항목입니다.",
        "invalid_postal_code" => "우편번호 5자리를 확인해 주세요.",
        "invalid_email" => "이메일 주소를 확인해 주세요.",
        "invalid_number" => "숫자로 입력해 주세요.",
        "invalid_date" => "날짜를 YYYY-MM-DD로 입력해 주세요.",
        "category_cycle" => "자기 자신이나 하위 카테고리 아래로 옮길 수 없습니다.",
        _ => return e.message.clone(),
    };
    // The domain's own words stay beside ours: they carry the limits ("1 to 100").
    format!("{ko} ({})", e.message)
}
