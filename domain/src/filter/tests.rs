use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::FieldError;

fn stages() -> Vec<String> {
    ["lead", "prospect", "customer", "inactive", "churned"]
        .map(String::from)
        .to_vec()
}

fn interests() -> Vec<String> {
    ["golf", "tea"].map(String::from).to_vec()
}

/// A customer-like catalogue with one field of every kind.
fn catalogue() -> Catalogue {
    Catalogue::new(vec![
        FieldSpec::new("name", FieldKind::Text, false),
        FieldSpec::new("address.city", FieldKind::Text, true),
        FieldSpec::new("total_spent", FieldKind::Number, false),
        FieldSpec::new("vip", FieldKind::Boolean, false),
        FieldSpec::new("birthday", FieldKind::Date, true),
        FieldSpec::new("created_at", FieldKind::DateTime, false),
        FieldSpec::new("owner_id", FieldKind::Uuid, true),
        FieldSpec::new("lifecycle_stage", FieldKind::Enum(stages()), false),
        FieldSpec::new("tags", FieldKind::TextList, false),
        FieldSpec::new(
            "custom_fields.interests",
            FieldKind::EnumList(interests()),
            false,
        ),
        FieldSpec::new("custom_fields.industry", FieldKind::Text, true),
        FieldSpec::new("purchases", FieldKind::Purchases, false),
        FieldSpec::new("currency", FieldKind::Keyword, false),
    ])
}

fn parse(raw: &Value) -> Result<Filter, Vec<FieldError>> {
    Filter::parse(raw, &catalogue(), "filter")
}

/// The (path, code) of every error, in the order reported.
fn errors(raw: &Value) -> Vec<(String, &'static str)> {
    parse(raw)
        .expect_err("the filter should be refused")
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect()
}

fn one_error(raw: &Value, path: &str, code: &'static str) {
    assert_eq!(errors(raw), vec![(path.to_owned(), code)], "{raw}");
}

fn cond(field: &str, op: &str, value: Value) -> Value {
    let mut node = json!({"field": field, "op": op});
    node["value"] = value;
    node
}

fn example() -> Value {
    json!({"and": [
      {"field": "lifecycle_stage", "op": "in", "value": ["customer", "prospect"]},
      {"field": "created_at", "op": "gte", "value": "2026-01-01T00:00:00Z"},
      {"or": [
        {"field": "tags", "op": "contains", "value": "vip"},
        {"field": "address.city", "op": "eq", "value": "Shanghai"}
      ]},
      {"field": "custom_fields.industry", "op": "eq", "value": "retail"}
    ]})
}

#[test]
fn the_documented_example_parses_into_a_typed_tree() {
    let text = |s: &str| FilterValue::Text(s.to_owned());
    let expected = Filter::And(vec![
        Filter::condition(
            "lifecycle_stage",
            FieldKind::Enum(stages()),
            Operator::In,
            FilterValue::List(vec![text("customer"), text("prospect")]),
        ),
        Filter::condition(
            "created_at",
            FieldKind::DateTime,
            Operator::Gte,
            FilterValue::DateTime(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
        ),
        Filter::Or(vec![
            Filter::condition("tags", FieldKind::TextList, Operator::Contains, text("vip")),
            Filter::condition(
                "address.city",
                FieldKind::Text,
                Operator::Eq,
                text("Shanghai"),
            ),
        ]),
        Filter::condition(
            "custom_fields.industry",
            FieldKind::Text,
            Operator::Eq,
            text("retail"),
        ),
    ]);
    assert_eq!(parse(&example()), Ok(expected));
}

#[test]
fn the_conventions_example_parses() {
    let catalogue = Catalogue::new(vec![
        FieldSpec::new(
            "level",
            FieldKind::Enum(vec!["gold".into(), "platinum".into()]),
            false,
        ),
        FieldSpec::new("total_spent", FieldKind::Number, false),
        FieldSpec::new("tags", FieldKind::TextList, false),
        FieldSpec::new("address.city", FieldKind::Text, true),
        FieldSpec::new("custom_fields.industry", FieldKind::Text, true),
    ]);
    let raw = json!({"and": [
        {"field": "level", "op": "in", "value": ["gold", "platinum"]},
        {"field": "total_spent", "op": "gte", "value": 100000},
        {"or": [
          {"field": "tags", "op": "contains", "value": "vip"},
          {"field": "address.city", "op": "eq", "value": "Shanghai"}
        ]},
        {"field": "custom_fields.industry", "op": "eq", "value": "retail"}
    ]});
    let filter = Filter::parse(&raw, &catalogue, "filter").unwrap();
    assert_eq!(filter.conditions().count(), 5);
    assert_eq!(filter.to_json(), raw);
}

#[test]
fn a_single_condition_is_a_whole_filter() {
    assert_eq!(
        parse(&cond("vip", "eq", json!(true))),
        Ok(Filter::condition(
            "vip",
            FieldKind::Boolean,
            Operator::Eq,
            FilterValue::Boolean(true)
        ))
    );
}

#[test]
fn conditions_are_walked_in_written_order() {
    let filter = parse(&example()).unwrap();
    let fields: Vec<&str> = filter.conditions().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "lifecycle_stage",
            "created_at",
            "tags",
            "address.city",
            "custom_fields.industry"
        ]
    );
}

#[test]
fn to_json_gives_the_canonical_form_which_parses_back_the_same() {
    let raw = json!({"or": [
        cond("created_at", "lt", json!("2026-03-01T08:30:00.5+08:00")),
        cond("owner_id", "eq", json!("0190B4C2-7A3E-7C1D-9F00-123456789ABC")),
        cond("total_spent", "in", json!([1.0, 2.5, -3])),
    ]});
    let filter = parse(&raw).unwrap();
    let canonical = json!({"or": [
        cond("created_at", "lt", json!("2026-03-01T00:30:00.500Z")),
        cond("owner_id", "eq", json!("0190b4c2-7a3e-7c1d-9f00-123456789abc")),
        cond("total_spent", "in", json!([1, 2.5, -3])),
    ]});
    assert_eq!(filter.to_json(), canonical);
    assert_eq!(parse(&filter.to_json()), Ok(filter));
}

// --- error codes and paths ---

#[test]
fn an_unknown_field_is_reported_at_its_nested_path() {
    let mut raw = example();
    raw["and"][2]["or"][0]["field"] = json!("favourite_colour");
    one_error(&raw, "filter.and[2].or[0].field", "unknown_field");
    // A field name that is not a text at all.
    raw["and"][2]["or"][0]["field"] = json!(7);
    one_error(&raw, "filter.and[2].or[0].field", "unknown_field");
}

#[test]
fn an_unknown_operator_is_unsupported() {
    let mut raw = example();
    raw["and"][0]["op"] = json!("like");
    one_error(&raw, "filter.and[0].op", "unsupported_operator");
    raw["and"][0]["op"] = json!(null);
    one_error(&raw, "filter.and[0].op", "unsupported_operator");
}

#[test]
fn an_operator_that_does_not_fit_the_kind_is_unsupported() {
    let mut raw = example();
    raw["and"][0] = cond("name", "gt", json!("M"));
    one_error(&raw, "filter.and[0].op", "unsupported_operator");
    let message = &parse(&raw).unwrap_err()[0].message;
    assert!(
        message.contains("eq, ne, in, not_in, contains, starts_with"),
        "{message}"
    );
}

#[test]
fn a_value_of_the_wrong_type_is_invalid() {
    let mut raw = example();
    raw["and"][1]["value"] = json!(20260101);
    one_error(&raw, "filter.and[1].value", "invalid_value");
}

#[test]
fn a_wrong_item_of_a_list_is_reported_at_its_index() {
    let mut raw = example();
    raw["and"][0]["value"] = json!(["customer", "vip", "lead", 3]);
    assert_eq!(
        errors(&raw),
        vec![
            ("filter.and[0].value[1]".to_owned(), "invalid_value"),
            ("filter.and[0].value[3]".to_owned(), "invalid_value"),
        ]
    );
}

#[test]
fn nodes_of_no_known_shape_are_invalid() {
    let good = cond("name", "eq", json!("x"));
    for bad in [
        json!("name = x"),
        json!(null),
        json!([good.clone()]),
        json!({}),
        json!({"and": []}),
        json!({"or": []}),
        json!({"and": good.clone()}),
        json!({"and": [good.clone()], "or": [good.clone()]}),
        json!({"and": [good.clone()], "field": "name"}),
        json!({"not": [good.clone()]}),
        json!({"field": "name", "op": "eq"}),
        json!({"field": "name", "op": "eq", "value": "x", "note": "y"}),
        json!({"field": "name", "op": "eq", "values": ["x"]}),
    ] {
        let raw = json!({"and": [good.clone(), {"or": [good.clone(), bad]}]});
        one_error(&raw, "filter.and[1].or[1]", "invalid_node");
    }
}

#[test]
fn the_root_is_reported_at_the_path_given() {
    assert_eq!(
        Filter::parse(&json!(42), &catalogue(), "audience.filter")
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect::<Vec<_>>(),
        vec![("audience.filter".to_owned(), "invalid_node")]
    );
}

#[test]
fn every_mistake_is_reported_together() {
    let raw = json!({"and": [
        cond("name", "eq", json!("ok")),
        cond("nickname", "eq", json!("x")),
        cond("total_spent", "gte", json!("100")),
        {"or": [
            cond("tags", "eq", json!("vip")),
            "junk",
            cond("lifecycle_stage", "in", json!([])),
        ]},
        cond("nickname", "between", json!([1, 2])),
        cond("birthday", "eq", json!("2026-02-30")),
    ]});
    assert_eq!(
        errors(&raw),
        vec![
            ("filter.and[1].field".to_owned(), "unknown_field"),
            ("filter.and[2].value".to_owned(), "invalid_value"),
            ("filter.and[3].or[0].op".to_owned(), "unsupported_operator"),
            ("filter.and[3].or[1]".to_owned(), "invalid_node"),
            ("filter.and[3].or[2].value".to_owned(), "invalid_value"),
            ("filter.and[4].field".to_owned(), "unknown_field"),
            ("filter.and[4].op".to_owned(), "unsupported_operator"),
            ("filter.and[5].value".to_owned(), "invalid_value"),
        ]
    );
}

// --- limits ---

/// `levels` groups nested in each other, alternating and/or, around one condition.
fn nested(levels: usize, inner: Value) -> Value {
    (0..levels).fold(inner, |node, level| {
        let key = if level % 2 == 0 { "and" } else { "or" };
        json!({ key: [node] })
    })
}

#[test]
fn groups_may_nest_four_deep_but_not_five() {
    let leaf = cond("name", "eq", json!("x"));
    let filter = parse(&nested(MAX_DEPTH, leaf.clone())).unwrap();
    assert_eq!(filter.conditions().count(), 1);

    // The fifth group is reported once, and nothing below it is looked at.
    let bad_leaf = cond("nickname", "like", json!(null));
    let raw = nested(MAX_DEPTH + 1, nested(2, bad_leaf));
    one_error(&raw, "filter.and[0].or[0].and[0].or[0]", "too_deep");
}

#[test]
fn fifty_conditions_are_allowed_but_not_fifty_one() {
    let leaves = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| cond("name", "eq", json!(format!("n{i}"))))
            .collect()
    };
    let mut all = leaves(MAX_CONDITIONS - 1);
    let tail = all.split_off(25);
    let split = json!({"and": [{"or": all}, {"and": tail}, cond("vip", "eq", json!(true))]});
    assert_eq!(parse(&split).unwrap().conditions().count(), MAX_CONDITIONS);

    let raw = json!({"or": leaves(MAX_CONDITIONS + 1)});
    one_error(&raw, "filter", "too_many_conditions");
}

#[test]
fn conditions_past_the_limit_are_not_checked() {
    let half =
        |n: usize| -> Vec<Value> { (0..n).map(|_| cond("name", "eq", json!("x"))).collect() };
    let mut first = half(MAX_CONDITIONS / 2);
    first[0] = cond("name", "eq", json!(""));
    let mut second = half(MAX_CONDITIONS / 2 + 1);
    second.push(cond("nickname", "eq", json!("x")));
    assert_eq!(
        errors(&json!({"and": [{"and": first}, {"and": second}]})),
        vec![
            ("filter.and[0].and[0].value".to_owned(), "invalid_value"),
            ("filter".to_owned(), "too_many_conditions"),
        ]
    );
}

#[test]
fn a_group_of_more_parts_than_the_limit_is_refused_unread() {
    let mut leaves: Vec<Value> = (0..MAX_CONDITIONS)
        .map(|_| cond("name", "eq", json!("x")))
        .collect();
    leaves.push(cond("nickname", "eq", json!("x")));
    leaves[0] = cond("name", "eq", json!(""));
    assert_eq!(
        errors(&json!({"and": leaves})),
        vec![("filter".to_owned(), "too_many_conditions")]
    );
    // Malformed groups count too: a long list of them is refused as one mistake.
    let broken = vec![json!({"and": 1}); 10_000];
    assert_eq!(
        errors(&json!({"or": [{"or": broken}]})),
        vec![("filter".to_owned(), "too_many_conditions")]
    );
}

#[test]
fn an_in_list_holds_at_most_a_hundred_values() {
    let numbers = |n: usize| Value::Array((0..n).map(|i| json!(i)).collect());
    let ok = parse(&cond("total_spent", "not_in", numbers(MAX_VALUES))).unwrap();
    let Filter::Condition(Condition {
        value: FilterValue::List(values),
        ..
    }) = ok
    else {
        panic!("expected a list condition");
    };
    assert_eq!(values.len(), MAX_VALUES);
    one_error(
        &cond("total_spent", "in", numbers(MAX_VALUES + 1)),
        "filter.value",
        "too_many_values",
    );
}

// --- operators by kind ---

#[test]
fn each_kind_takes_the_documented_operators() {
    use Operator::*;
    let table: [(FieldKind, &[Operator]); 11] = [
        (FieldKind::Text, &[Eq, Ne, In, NotIn, Contains, StartsWith]),
        (FieldKind::Keyword, &[Eq, Ne, In, NotIn]),
        (FieldKind::Number, &[Eq, Ne, Lt, Lte, Gt, Gte, In, NotIn]),
        (FieldKind::Boolean, &[Eq, Ne]),
        (FieldKind::Date, &[Eq, Ne, Lt, Lte, Gt, Gte, In, NotIn]),
        (FieldKind::DateTime, &[Eq, Ne, Lt, Lte, Gt, Gte]),
        (FieldKind::Uuid, &[Eq, Ne, In, NotIn]),
        (FieldKind::Enum(stages()), &[Eq, Ne, In, NotIn]),
        (FieldKind::TextList, &[Contains, IsNull]),
        (FieldKind::EnumList(interests()), &[Contains, IsNull]),
        (FieldKind::Purchases, &[Exists, NotExists]),
    ];
    for (kind, expected) in table {
        assert_eq!(kind.operators(), expected, "{}", kind.name());
        let plain = FieldSpec::new("f", kind.clone(), false);
        let nullable = FieldSpec::new("f", kind.clone(), true);
        assert_eq!(plain.operators(), expected, "{}", kind.name());
        let with_null: Vec<Operator> = Operator::ALL
            .into_iter()
            .filter(|op| expected.contains(op) || *op == IsNull)
            .collect();
        assert_eq!(nullable.operators(), with_null, "{}", kind.name());
    }
}

/// A value that fits a field of this catalogue under `op`.
fn good_value(field: &str, op: Operator) -> Value {
    let one = match field {
        "name" | "address.city" | "custom_fields.industry" | "tags" => json!("vip"),
        "total_spent" => json!(12.5),
        "vip" => json!(false),
        "birthday" => json!("1990-05-17"),
        "created_at" => json!("2026-01-01T00:00:00Z"),
        "owner_id" => json!("0190b4c2-7a3e-7c1d-9f00-123456789abc"),
        "lifecycle_stage" => json!("lead"),
        "custom_fields.interests" => json!("tea"),
        "purchases" => json!({"product_id": "0190b4c2-7a3e-7c1d-9f00-123456789abc"}),
        "currency" => json!("CNY"),
        _ => unreachable!("{field}"),
    };
    match op {
        Operator::In | Operator::NotIn => json!([one]),
        Operator::IsNull => json!(true),
        _ => one,
    }
}

#[test]
fn each_field_accepts_exactly_its_operators() {
    let catalogue = catalogue();
    for spec in &catalogue.fields {
        for op in Operator::ALL {
            let raw = cond(&spec.name, op.as_str(), good_value(&spec.name, op));
            let result = parse(&raw);
            if spec.accepts(op) {
                let filter = result.unwrap_or_else(|e| panic!("{raw}: {e:?}"));
                assert_eq!(filter.conditions().next().map(|c| c.op), Some(op));
            } else {
                one_error(&raw, "filter.op", "unsupported_operator");
            }
        }
    }
}

#[test]
fn is_null_needs_a_nullable_field_or_a_list() {
    assert!(parse(&cond("address.city", "is_null", json!(true))).is_ok());
    assert!(parse(&cond("birthday", "is_null", json!(false))).is_ok());
    assert!(parse(&cond("tags", "is_null", json!(true))).is_ok());
    assert!(parse(&cond("custom_fields.interests", "is_null", json!(false))).is_ok());
    one_error(
        &cond("name", "is_null", json!(true)),
        "filter.op",
        "unsupported_operator",
    );
    for bad in [json!("true"), json!(1), json!(null), json!([true])] {
        one_error(
            &cond("address.city", "is_null", bad),
            "filter.value",
            "invalid_value",
        );
    }
}

// --- values ---

fn accepts(field: &str, op: &str, value: Value) -> bool {
    parse(&cond(field, op, value)).is_ok()
}

fn refuses(field: &str, op: &str, value: Value) {
    one_error(&cond(field, op, value), "filter.value", "invalid_value");
}

#[test]
fn texts_are_one_to_two_hundred_characters_as_sent() {
    assert!(accepts("name", "eq", json!("张".repeat(MAX_TEXT_CHARS))));
    refuses("name", "eq", json!("张".repeat(MAX_TEXT_CHARS + 1)));
    refuses("name", "contains", json!(""));
    refuses("name", "starts_with", json!(""));
    refuses("tags", "contains", json!(""));
    // Not trimmed: the filter compares what was written.
    assert_eq!(
        parse(&cond("name", "eq", json!(" 王芳 "))).unwrap(),
        Filter::condition(
            "name",
            FieldKind::Text,
            Operator::Eq,
            FilterValue::Text(" 王芳 ".to_owned())
        )
    );
    assert!(accepts("name", "contains", json!(" ")));
}

#[test]
fn texts_take_tab_and_newline_but_no_other_control_character() {
    assert!(accepts("name", "contains", json!("a\tb\nc")));
    for bad in ["a\u{0}b", "ab\r", "\u{7f}", "x\u{85}"] {
        refuses("name", "contains", json!(bad));
    }
}

#[test]
fn texts_must_be_strings() {
    refuses("name", "eq", json!(5));
    refuses("name", "in", json!("a"));
    refuses("tags", "contains", json!(["vip"]));
}

#[test]
fn enum_values_are_among_the_options_exactly() {
    assert!(accepts("lifecycle_stage", "ne", json!("churned")));
    refuses("lifecycle_stage", "eq", json!("Churned"));
    refuses("lifecycle_stage", "eq", json!("vip"));
    assert!(accepts(
        "custom_fields.interests",
        "contains",
        json!("golf")
    ));
    refuses("custom_fields.interests", "contains", json!("chess"));
}

#[test]
fn numbers_are_limited_to_plus_or_minus_two_to_the_fifty_three() {
    let limit: i64 = 1 << 53;
    assert!(accepts("total_spent", "eq", json!(limit)));
    assert!(accepts("total_spent", "eq", json!(-limit)));
    assert!(accepts("total_spent", "lt", json!(-0.25)));
    assert!(accepts("total_spent", "gt", json!(MAX_NUMBER)));
    refuses("total_spent", "eq", json!(limit + 1));
    refuses("total_spent", "eq", json!(-limit - 1));
    refuses("total_spent", "eq", json!(u64::MAX));
    refuses("total_spent", "eq", json!(1e300));
    refuses("total_spent", "eq", json!("100"));
    refuses("total_spent", "eq", json!(true));
}

#[test]
fn dates_are_calendar_days_written_in_full() {
    assert!(accepts("birthday", "lte", json!("2024-02-29")));
    for bad in [
        "2023-02-29",
        "2026-1-01",
        "2026-01-1",
        "20260101",
        "+2026-01-01",
        "2026-01-01T00:00:00Z",
        "2026/01/01",
    ] {
        refuses("birthday", "eq", json!(bad));
    }
}

#[test]
fn instants_are_held_to_the_microsecond() {
    let filter = parse(&cond(
        "created_at",
        "gt",
        json!("2026-01-01T00:00:00.1234567Z"),
    ))
    .unwrap();
    assert_eq!(
        filter.conditions().next().map(|c| c.value.clone()),
        Some(FilterValue::DateTime(
            DateTime::parse_from_rfc3339("2026-01-01T00:00:00.123456Z")
                .unwrap()
                .with_timezone(&Utc)
        ))
    );
}

#[test]
fn instants_are_rfc_3339_and_held_in_utc() {
    let filter = parse(&cond(
        "created_at",
        "gt",
        json!("2026-01-01T08:00:00+08:00"),
    ))
    .unwrap();
    assert_eq!(
        filter.conditions().next().map(|c| c.value.clone()),
        Some(FilterValue::DateTime(
            DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
        ))
    );
    for bad in [
        "2026-01-01",
        "2026-01-01T00:00:00",
        "yesterday",
        "2026-13-01T00:00:00Z",
    ] {
        refuses("created_at", "gt", json!(bad));
    }
}

#[test]
fn uuids_are_hyphenated() {
    assert!(accepts(
        "owner_id",
        "in",
        json!(["0190b4c2-7a3e-7c1d-9f00-123456789abc"])
    ));
    refuses("owner_id", "eq", json!("0190b4c27a3e7c1d9f00123456789abc"));
    refuses("owner_id", "eq", json!("not-a-uuid"));
}

#[test]
fn booleans_are_true_or_false() {
    assert!(accepts("vip", "ne", json!(true)));
    refuses("vip", "eq", json!("true"));
    refuses("vip", "eq", json!(0));
}

#[test]
fn in_lists_are_non_empty_lists() {
    refuses("lifecycle_stage", "in", json!([]));
    refuses("lifecycle_stage", "not_in", json!("lead"));
    assert!(accepts(
        "birthday",
        "in",
        json!(["2000-01-01", "2000-01-02"])
    ));
}

// --- round trip ---

/// A value that fits a field of `kind` under `op`, and the canonical strategies for each type.
fn value_for(kind: &FieldKind, op: Operator) -> BoxedStrategy<FilterValue> {
    match op {
        Operator::IsNull => any::<bool>().prop_map(FilterValue::Boolean).boxed(),
        Operator::In | Operator::NotIn => proptest::collection::vec(scalar_for(kind), 1..=4)
            .prop_map(FilterValue::List)
            .boxed(),
        _ => scalar_for(kind),
    }
}

fn scalar_for(kind: &FieldKind) -> BoxedStrategy<FilterValue> {
    match kind {
        FieldKind::Text | FieldKind::Keyword | FieldKind::TextList => proptest::collection::vec(
            proptest::sample::select(vec!['a', 'Z', '张', ' ', '\t', '\n', '%', '_', '"', '\\']),
            1..=12,
        )
        .prop_map(|chars| FilterValue::Text(chars.into_iter().collect()))
        .boxed(),
        FieldKind::Enum(options) | FieldKind::EnumList(options) => {
            proptest::sample::select(options.clone())
                .prop_map(FilterValue::Text)
                .boxed()
        }
        FieldKind::Number => prop_oneof![
            (-(1i64 << 53)..=(1i64 << 53)).prop_map(|n| FilterValue::Number(n as f64)),
            (-MAX_NUMBER..=MAX_NUMBER).prop_map(FilterValue::Number),
            (-1e3..1e3f64).prop_map(FilterValue::Number),
        ]
        .boxed(),
        FieldKind::Boolean => any::<bool>().prop_map(FilterValue::Boolean).boxed(),
        FieldKind::Date => (1..=3_652_059i32)
            .prop_map(|days| FilterValue::Date(NaiveDate::from_num_days_from_ce_opt(days).unwrap()))
            .boxed(),
        // Instants are held at microsecond precision, as records store them.
        FieldKind::DateTime => (-62_135_596_800i64..=253_402_300_799, 0..1_000_000u32)
            .prop_map(|(secs, micros)| {
                FilterValue::DateTime(DateTime::from_timestamp(secs, micros * 1000).unwrap())
            })
            .boxed(),
        FieldKind::Uuid => any::<u128>()
            .prop_map(|n| FilterValue::Uuid(Uuid::from_u128(n)))
            .boxed(),
        FieldKind::Purchases => {
            let id = || proptest::option::of(any::<u128>().prop_map(Uuid::from_u128));
            let instant = || {
                proptest::option::of(scalar_for(&FieldKind::DateTime).prop_map(|v| match v {
                    FilterValue::DateTime(instant) => instant,
                    other => panic!("a date_time strategy gave {other:?}"),
                }))
            };
            (id(), id(), id(), id(), instant(), instant())
                .prop_map(
                    |(product_id, variant_id, category_id, brand_id, paid_since, paid_before)| {
                        FilterValue::Purchase(PurchaseTest {
                            product_id,
                            variant_id,
                            category_id,
                            brand_id,
                            paid_since,
                            paid_before,
                        })
                    },
                )
                .boxed()
        }
    }
}

fn any_condition() -> impl Strategy<Value = Filter> {
    let specs = catalogue().fields;
    proptest::sample::select(specs)
        .prop_flat_map(|spec| {
            let ops = spec.operators();
            (Just(spec), proptest::sample::select(ops))
        })
        .prop_flat_map(|(spec, op)| {
            value_for(&spec.kind, op).prop_map(move |value| {
                Filter::Condition(Condition {
                    field: spec.name.clone(),
                    kind: spec.kind.clone(),
                    op,
                    value,
                })
            })
        })
}

fn any_filter() -> impl Strategy<Value = Filter> {
    any_condition()
        .prop_recursive(u32::try_from(MAX_DEPTH).unwrap(), 40, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..=4).prop_map(Filter::And),
                proptest::collection::vec(inner, 1..=4).prop_map(Filter::Or),
            ]
        })
        .prop_filter("within the condition limit", |f| {
            f.conditions().count() <= MAX_CONDITIONS
        })
}

proptest! {
    #[test]
    fn a_valid_filter_survives_its_wire_form(filter in any_filter()) {
        let wire = filter.to_json();
        prop_assert_eq!(parse(&wire), Ok(filter.clone()), "{}", wire);
        // The wire form is canonical: writing it again changes nothing.
        prop_assert_eq!(parse(&wire).map(|f| f.to_json()), Ok(wire));
    }

    #[test]
    fn parsing_never_panics_and_always_names_a_path_inside_the_filter(
        raw in arbitrary_json()
    ) {
        if let Err(errors) = parse(&raw) {
            prop_assert!(!errors.is_empty());
            for error in errors {
                prop_assert!(error.field.starts_with("filter"), "{}", error.field);
            }
        }
    }
}

/// JSON shaped loosely like filters, to probe the parser with near misses.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        proptest::sample::select(vec![
            "name",
            "eq",
            "in",
            "and",
            "tags",
            "vip",
            "2026-01-01",
            "contains",
            "lead"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    proptest::sample::select(vec!["and", "or", "field", "op", "value", "x"]),
                    inner
                ),
                0..4
            )
            .prop_map(|pairs| Value::Object(
                pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}
