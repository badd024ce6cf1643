//! Errors as `application/problem+json` (RFC 9457), from one table of stable codes.
//!
//! Handlers return [`ApiError`]; the envelope middleware renders every error response, the
//! framework's own included, into a [`Problem`] with the request id, the path and the caller's
//! language.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use rapport_domain::{FieldError, FieldErrors};
use rapport_persistence::Error as StoreError;
use serde::Serialize;
use utoipa::ToSchema;

macro_rules! error_codes {
    ($($variant:ident => $code:literal, $status:literal, $title:literal, $title_zh:literal;)+) => {
        /// Every error code Rapport returns. Codes are stable; texts follow `Accept-Language`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];
            /// The code as sent.
            pub fn as_str(self) -> &'static str { match self { $(ErrorCode::$variant => $code),+ } }
            /// The HTTP status it comes with.
            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::from_u16($status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)),+ }
            }
            /// A short title in English or Simplified Chinese.
            pub fn title(self, lang: Lang) -> &'static str {
                match (self, lang) { $((ErrorCode::$variant, Lang::En) => $title, (ErrorCode::$variant, Lang::ZhCn) => $title_zh),+ }
            }
        }
    };
}

error_codes! {
    BadRequest => "bad_request", 400, "Bad request", "请求有误";
    Unauthenticated => "unauthenticated", 401, "Authentication required", "需要身份验证";
    Forbidden => "forbidden", 403, "Forbidden", "无权执行此操作";
    PrivilegeEscalation => "privilege_escalation", 403, "Beyond your own access", "超出您自身的权限";
    NotFound => "not_found", 404, "Not found", "未找到";
    MethodNotAllowed => "method_not_allowed", 405, "Method not allowed", "不支持该请求方法";
    Conflict => "conflict", 409, "Conflict", "冲突";
    InvalidTransition => "invalid_transition", 409, "Not allowed in this state", "当前状态不允许此操作";
    EmailTaken => "email_taken", 409, "Email already in use", "邮箱已被使用";
    PhoneTaken => "phone_taken", 409, "Phone number already in use", "手机号已被使用";
    ExternalIdTaken => "external_id_taken", 409, "External id already in use", "外部编号已被使用";
    ContactsRequireCompany => "contacts_require_company", 409, "Only company customers have contacts", "只有企业客户才能添加联系人";
    BuiltInRole => "built_in_role", 409, "Built-in roles cannot change", "内置角色不可修改";
    RoleInUse => "role_in_use", 409, "Role in use", "角色仍在使用中";
    RoleNameTaken => "role_name_taken", 409, "Role name already in use", "角色名已被使用";
    CannotDisableSelf => "cannot_disable_self", 409, "You cannot disable your own account", "不能停用自己的账号";
    CannotChangeOwnRole => "cannot_change_own_role", 409, "You cannot change your own role", "不能修改自己的角色";
    KeyTaken => "key_taken", 409, "Custom field key already in use", "自定义字段键已被使用";
    TooManyCustomFields => "too_many_custom_fields", 409, "Too many custom fields", "自定义字段数量已达上限";
    TooManyTags => "too_many_tags", 409, "Too many tags", "标签数量已达上限";
    TooManyMatches => "too_many_matches", 409, "The filter selects too many customers", "筛选出的客户过多";
    SegmentNameTaken => "segment_name_taken", 409, "Segment name already in use", "分群名称已被使用";
    SegmentIsDynamic => "segment_is_dynamic", 409, "The segment is dynamic", "动态分群的成员由筛选条件决定";
    SegmentFilterOutdated => "segment_filter_outdated", 409, "The segment's filter is outdated", "分群的筛选条件已失效";
    CategoryNameTaken => "category_name_taken", 409, "Category name already in use", "同级分类名称已被使用";
    CategoryCycle => "category_cycle", 409, "A category cannot sit under its own subtree", "分类不能移动到自身或其子分类之下";
    CategoryInUse => "category_in_use", 409, "Category in use", "分类仍在使用中";
    BrandNameTaken => "brand_name_taken", 409, "Brand name already in use", "品牌名称已被使用";
    BrandInUse => "brand_in_use", 409, "Brand in use", "品牌仍在使用中";
    SkuTaken => "sku_taken", 409, "SKU already in use", "SKU 已被使用";
    VariantOptionsTaken => "variant_options_taken", 409, "Another variant has these options", "已有相同规格的变体";
    TooManyVariants => "too_many_variants", 409, "Too many variants", "商品规格数量已达上限";
    LastVariant => "last_variant", 409, "A product keeps at least one variant", "商品至少保留一个规格";
    HasOrders => "has_orders", 409, "The customer has orders", "该客户已有订单";
    InsufficientStock => "insufficient_stock", 409, "Not enough stock", "库存不足";
    RefundWindowClosed => "refund_window_closed", 409, "The refund window has closed", "已超过可申请退款的期限";
    RefundExceedsRefundable => "refund_exceeds_refundable", 409, "More than can still be refunded", "退款金额超过可退金额";
    TooManyRefunds => "too_many_refunds", 409, "Too many refunds", "退款次数已达上限";
    LevelNameTaken => "level_name_taken", 409, "Level name already in use", "等级名称已被使用";
    LevelRankTaken => "level_rank_taken", 409, "Level rank already in use", "等级排名已被使用";
    TooManyLevels => "too_many_levels", 409, "Too many levels", "客户等级数量已达上限";
    TooManyShipmentEvents => "too_many_shipment_events", 409, "Too many shipment events", "物流轨迹数量已达上限";
    PipelineNameTaken => "pipeline_name_taken", 409, "Pipeline name already in use", "销售流程名称已被使用";
    PipelineInUse => "pipeline_in_use", 409, "The pipeline has deals", "该销售流程中仍有商机";
    StageInUse => "stage_in_use", 409, "Deals are in the stage", "该阶段中仍有商机";
    CarePlanNameTaken => "care_plan_name_taken", 409, "Care plan name already in use", "关怀计划名称已被使用";
    ParticipationClosed => "participation_closed", 409, "What came of the occasion was recorded already", "该关怀已记录结果";
    SegmentInUse => "segment_in_use", 409, "Care plans are for the segment", "仍有关怀计划使用该分群";
    LeadConverted => "lead_converted", 409, "The lead was converted already", "该线索已转化";
    NotResolved => "not_resolved", 409, "The ticket is not resolved yet", "工单尚未解决";
    AlreadyRated => "already_rated", 409, "The ticket was rated already", "该工单已评价";
    ConversationClosed => "conversation_closed", 409, "The conversation is closed", "会话已结束";
    AlreadyTicketed => "already_ticketed", 409, "The conversation was turned into a ticket already", "该会话已转为工单";
    CouponCodeTaken => "coupon_code_taken", 409, "Coupon code already in use", "优惠券码已被使用";
    CouponInUse => "coupon_in_use", 409, "Orders have taken the coupon or rewards offer it", "已有订单或奖品使用该优惠券";
    CouponExhausted => "coupon_exhausted", 409, "Every use of the coupon has been made", "优惠券已被领用完";
    CustomerLimitReached => "customer_limit_reached", 409, "The customer has used the coupon as often as allowed", "该客户已达到优惠券使用上限";
    CouponPaused => "coupon_paused", 409, "The coupon is paused", "优惠券已暂停";
    CouponExpired => "coupon_expired", 409, "The coupon has expired", "优惠券已过期";
    NotStarted => "not_started", 409, "The coupon cannot be used yet", "优惠券尚未生效";
    AlreadyUsed => "already_used", 409, "The coupon code has been used", "该优惠券码已被使用";
    InsufficientPoints => "insufficient_points", 409, "Not enough points", "积分不足";
    TierNameTaken => "tier_name_taken", 409, "Tier name already in use", "会员等级名称已被使用";
    TierRankTaken => "tier_rank_taken", 409, "Tier rank already in use", "会员等级排名已被使用";
    TooManyTiers => "too_many_tiers", 409, "Too many tiers", "会员等级数量已达上限";
    AlreadyMember => "already_member", 409, "Already a member", "客户已是会员";
    MemberNumberTaken => "member_number_taken", 409, "Member number already in use", "会员号已被使用";
    OutOfStock => "out_of_stock", 409, "The reward is out of stock", "奖品已兑完";
    RewardPaused => "reward_paused", 409, "The reward is paused", "奖品已暂停兑换";
    AlreadyFulfilled => "already_fulfilled", 409, "The gift was fulfilled already", "礼品已发放";
    NotAGift => "not_a_gift", 409, "Only a gift is fulfilled", "只有礼品需要发放";
    NoAudience => "no_audience", 409, "The campaign has no audience", "活动尚未指定目标分群";
    NotPublished => "not_published", 409, "The campaign is not published", "活动尚未发布";
    SlaPolicyNameTaken => "sla_policy_name_taken", 409, "SLA policy name already in use", "服务级别策略名称已被使用";
    FilePurged => "file_purged", 409, "The file was forgotten after its retention", "文件已超过保留期限被清除";
    IdempotencyKeyInUse => "idempotency_key_in_use", 409, "Idempotency key in use", "幂等键正在使用中";
    RequestTimeout => "request_timeout", 408, "Request timeout", "请求超时";
    PreconditionFailed => "precondition_failed", 412, "Precondition failed", "版本不匹配";
    PayloadTooLarge => "payload_too_large", 413, "Payload too large", "请求体过大";
    UnsupportedMediaType => "unsupported_media_type", 415, "Unsupported media type", "不支持的内容类型";
    ValidationFailed => "validation_failed", 422, "Validation failed", "校验失败";
    IdempotencyKeyReused => "idempotency_key_reused", 422, "Idempotency key reused", "幂等键已用于其他请求";
    RateLimited => "rate_limited", 429, "Too many requests", "请求过于频繁";
    Internal => "internal", 500, "Internal error", "服务器内部错误";
    TooManyStreams => "too_many_streams", 503, "Too many open streams", "打开的事件流过多";
    Unavailable => "unavailable", 503, "Service unavailable", "服务暂不可用";
}

impl ErrorCode {
    /// The code for a status the framework produced on its own.
    pub fn for_status(status: StatusCode) -> ErrorCode {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|code| code.status() == status)
            .unwrap_or(if status.is_server_error() {
                ErrorCode::Internal
            } else {
                ErrorCode::BadRequest
            })
    }
}

/// The languages problem texts come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English, the default.
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Lang {
    /// The first supported language of an `Accept-Language` header, English otherwise.
    pub fn negotiate(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag == "zh"
                || tag.starts_with("zh-cn")
                || tag.starts_with("zh-hans")
                || tag == "zh-sg"
            {
                return Lang::ZhCn;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }
}

/// A field-level problem inside a 422 (or 409) answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"field": "email", "code": "invalid_email", "message": "not an email address"}))]
pub struct ProblemField {
    /// The field's path in the request body, or the query parameter's name.
    pub field: String,
    /// A stable code for the rule that broke, such as `invalid_email`, `too_long`, `required`.
    pub code: String,
    /// What is wrong, in the caller's language.
    pub message: String,
}

/// An error, as RFC 9457 problem details with Rapport's stable `code`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://rapport.dev/problems/validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "2 fields are invalid",
    "instance": "/api/v1/customers",
    "code": "validation_failed",
    "request_id": "0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20",
    "errors": [{"field": "email", "code": "invalid_email", "message": "not an email address"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The request path.
    pub instance: String,
    /// The stable machine-readable code.
    pub code: ErrorCode,
    /// The request's id, as in the `X-Request-Id` header and the server's logs.
    pub request_id: String,
    /// Every field problem, for `validation_failed` and field conflicts.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<ProblemField>,
    /// The record's current version, for `precondition_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// Seconds a client is asked to wait before retrying when the database cannot serve.
pub const RETRY_AFTER_UNAVAILABLE: u64 = 5;

/// An error a handler returns; rendered into a [`Problem`] by the envelope middleware.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The code.
    pub code: ErrorCode,
    /// What went wrong this time.
    pub detail: String,
    /// Field problems.
    pub errors: Vec<FieldError>,
    /// The current version, for 412.
    pub current_version: Option<i64>,
    /// Seconds to wait, for 429.
    pub retry_after: Option<u64>,
    /// The methods a path allows, for 405.
    pub allow: Option<String>,
    /// For a 404 on a record that exists beyond the caller's scope: its kind and id, so the
    /// refusal is audited (see `auth::denials`).
    pub beyond_scope: Option<Box<(&'static str, uuid::Uuid)>>,
}

impl ApiError {
    /// An error with a code and a detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            current_version: None,
            retry_after: None,
            allow: None,
            beyond_scope: None,
        }
    }

    /// 422 with every field problem.
    pub fn validation(errors: FieldErrors) -> Self {
        let count = errors.0.len();
        let detail = if count == 1 {
            "1 field is invalid".to_owned()
        } else {
            format!("{count} fields are invalid")
        };
        Self {
            errors: errors.0,
            ..Self::new(ErrorCode::ValidationFailed, detail)
        }
    }

    /// 400 naming a query parameter.
    pub fn bad_parameter(parameter: &str, code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            errors: vec![FieldError::new(parameter, code, message.clone())],
            ..Self::new(
                ErrorCode::BadRequest,
                format!("query parameter `{parameter}`: {message}"),
            )
        }
    }

    /// 400 for a query written in the body (a filter, a sort order) that does not fit what it
    /// searches, every mistake named by its path (`filter.and[2].field`).
    pub fn bad_query(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => "the query has 1 mistake".to_owned(),
            n => format!("the query has {n} mistakes"),
        };
        Self {
            errors,
            ..Self::new(ErrorCode::BadRequest, detail)
        }
    }

    /// 400 for a request header with a bad value, naming it.
    pub fn bad_header(header: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            errors: vec![FieldError::new(header, "invalid_value", message.clone())],
            ..Self::new(
                ErrorCode::BadRequest,
                format!("header `{header}`: {message}"),
            )
        }
    }

    /// 401.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, detail)
    }

    /// The same error with an `Allow` header.
    pub fn with_allow(self, methods: String) -> Self {
        Self {
            allow: Some(methods),
            ..self
        }
    }

    /// 503 with `Retry-After`: the database cannot serve now; the same request may succeed later.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self {
            retry_after: Some(RETRY_AFTER_UNAVAILABLE),
            ..Self::new(ErrorCode::Unavailable, detail)
        }
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "no such record")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        // The envelope middleware renders the body; it finds this error on the response.
        HttpResponse::build(self.status_code()).finish()
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::validation(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::BeyondScope { kind, id } => ApiError::beyond_scope(kind, id),
            StoreError::Conflict {
                code,
                field,
                message,
            } => {
                // A conflict's code is the code of the error table it names; any other is a
                // plain `conflict`.
                let error_code = ErrorCode::ALL
                    .iter()
                    .copied()
                    .find(|c| c.as_str() == code && c.status() == StatusCode::CONFLICT)
                    .unwrap_or(ErrorCode::Conflict);
                let errors = field
                    .map(|f| vec![FieldError::new(f, code, message.clone())])
                    .unwrap_or_default();
                ApiError {
                    errors,
                    ..ApiError::new(error_code, message)
                }
            }
            StoreError::Forbidden { code, message } => {
                let error_code = match code {
                    "privilege_escalation" => ErrorCode::PrivilegeEscalation,
                    _ => ErrorCode::Forbidden,
                };
                ApiError::new(error_code, message)
            }
            StoreError::PreconditionFailed { current } => ApiError {
                current_version: Some(current),
                ..ApiError::new(
                    ErrorCode::PreconditionFailed,
                    format!(
                        "If-Match does not match the current version {current}; fetch the record again"
                    ),
                )
            },
            StoreError::Invalid(errors) => ApiError::validation(errors),
            StoreError::IdempotencyKeyReused => ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request; use a new key",
            ),
            StoreError::BadCursor => ApiError::bad_parameter(
                "cursor",
                "invalid_cursor",
                "not a cursor from this list and sort order",
            ),
            StoreError::Unavailable(reason) => {
                tracing::error!(%reason, "database unavailable");
                ApiError::unavailable("the database is unavailable; retry shortly")
            }
            StoreError::Internal(reason) => {
                tracing::error!(%reason, "internal error");
                ApiError::new(
                    ErrorCode::Internal,
                    "an internal error occurred; the request id identifies it in the logs",
                )
            }
        }
    }
}

/// Field messages in Simplified Chinese, by rule code; English stays where there is none.
pub fn field_message(code: &str, english: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return english.to_owned();
    }
    let zh = match code {
        "blank" => "不能为空",
        "required" => "必填",
        "too_long" => "太长",
        "too_short" => "太短",
        "common_password" => "是最常见的密码之一，请另选一个",
        "too_many" => "数量过多",
        "invalid_email" => "不是有效的邮箱地址",
        "invalid_phone" => "不是有效的电话号码",
        "invalid_type" => "类型不正确",
        "unknown_field" => "未知字段",
        "invalid_key" => "键的格式不正确",
        "invalid_value" => "值不符合字段类型",
        "invalid_option" => "不是可选项之一",
        "invalid_count" => "数量不正确",
        "not_allowed" => "此处不允许",
        "key_taken" => "键已被使用",
        "in_future" => "不能是将来的日期",
        "email_taken" => "邮箱已被使用",
        "phone_taken" => "手机号已被使用",
        "unsupported_operator" => "该字段不支持此运算符",
        "invalid_node" => "过滤条件的结构不正确",
        "too_deep" => "过滤条件嵌套过深",
        "too_many_conditions" => "过滤条件过多",
        "too_many_values" => "取值过多",
        "invalid_sort" => "不能按此字段排序",
        _ => return english.to_owned(),
    };
    zh.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_name() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn codes_serialise_as_their_names() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
        }
    }

    #[test]
    fn chinese_is_chosen_for_zh_cn() {
        assert_eq!(Lang::negotiate(Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::ZhCn);
        assert_eq!(Lang::negotiate(Some("en-US")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
    }
}
